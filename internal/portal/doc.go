// Package portal is the Admin Portal: the web UI a customer's IT admin
// reaches through a link the app creates (POST /api/v1/organizations/{id}/
// portal_links). It serves server-rendered pages (html/template from
// go:embed, parsed once at start-up) under /portal/: SCIM Provisioning
// (providers, Configure, endpoint and token, connection state, setup path,
// tokens, the admin-facing setup guides of guides/), Users, Groups, Roles
// (group-based role assignment) and Events.
//
// Every state-changing POST answers 303 to a GET; Configure and "Generate
// new token" run once per one-time form key (directory.PortalForms), and
// the token they make is shown once by the page after the redirect.
//
// Access: opening a link exchanges its token for a session cookie scoped to
// one organization (directory.Portal); every page checks that what it shows
// belongs to that organization and answers 404 otherwise; every POST
// carries a CSRF token derived from the session secret. Handlers return
// errors, which one function (renderError) turns into an error page.
package portal
