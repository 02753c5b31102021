package app

import (
	"context"
	"net/http"
	"strings"
)

// LogStartupNotes logs, once at start, what a new operator must know
// before the server is useful: that the endpoint URLs handed to IdPs are
// a local address when --public-url is not set, and that the management
// API is closed while no API key exists.
func (a *App) LogStartupNotes(ctx context.Context) error {
	if a.Config.PublicURLDefaulted {
		a.Logger.WarnContext(ctx, "--public-url is not set: the endpoint URLs given to identity providers are "+
			a.Config.PublicURL+"/scim/v2/…, which a cloud IdP cannot reach. Set --public-url (SCIMBRIDGE_PUBLIC_URL) "+
			"to the https address IdPs and browsers use", "public_url", a.Config.PublicURL)
	}
	if a.Config.APIKey != "" {
		return nil
	}
	keys, err := a.Store.ListAPIKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.RevokedAt.IsZero() {
			return nil
		}
	}
	dir := a.Config.DataDir
	if a.Config.Database != "" {
		dir = "…"
	}
	a.Logger.WarnContext(ctx, "the management API is closed: no API key is configured or stored, so every /api/v1 request "+
		"gets 401. Open it by starting with SCIMBRIDGE_API_KEY set to a secret of at least 32 characters, or create a "+
		"stored key with: scimbridge apikeys create --name my-app --data-dir "+dir)
	return nil
}

// root answers GET /: what this server is and where each surface lives,
// instead of a bare 404.
func (a *App) root(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	b.WriteString("scimbridge is running: a SCIM 2.0 directory-sync service.\n\n")
	b.WriteString("Identity providers: SCIM 2.0 at " + a.Config.PublicURL + "/scim/v2/<directory id>, with a directory's bearer token.\n")
	b.WriteString("Applications: the management API at /api/v1/ (OpenAPI description: /api/v1/openapi.yaml), with an API key.\n")
	b.WriteString("IT admins: the Admin Portal under /portal/, opened through a link the application creates.\n")
	b.WriteString("Operators: /healthz and /readyz; the README and docs/ of the scimbridge repository.\n")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(b.String()))
}
