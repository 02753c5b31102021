package portal

import (
	"context"
	"crypto/subtle"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/web"
)

// Branding is what the portal shows of the operator's product.
type Branding struct {
	Name    string // product name; default "scimbridge"
	LogoURL string // optional
	Accent  string // #rrggbb; default indigo
}

// Handler serves /portal/. Its exported fields are its dependencies; build
// it with New, which parses the templates.
type Handler struct {
	Service   *directory.Service
	Portal    *directory.Portal
	Logger    *slog.Logger
	PublicURL string // https://… turns on Secure cookies
	Branding  Branding
	// FrameAncestors are the origins allowed to embed the portal; none:
	// it cannot be framed.
	FrameAncestors []string
	// RequestLogEnabled says whether the SCIM request log is recorded.
	RequestLogEnabled bool
	// Audit records every change made in the portal (audit.go); nil
	// records nothing.
	Audit *directory.AuditLog
	// CountShown is where the Users and Groups tabs stop counting: past
	// it the first page says "More than CountShown users" instead of
	// counting a large directory's every row on each view
	// (directory.Query.CountLimit). The counts of a directory with more
	// users are reused for 30 s on the directory page, its live status
	// and the SCIM and Roles tabs (counts.go). Default 10,000.
	CountShown int

	// Forms makes Configure and "Generate new token" safe against a
	// double submit, Reload and Back (portalforms.go); nil: no such guard.
	Forms *directory.PortalForms

	pages    pages
	counts   *dirCounts         // large directories' counts, reused for a while (counts.go)
	guideSet *template.Template // setup guides by provider slug (guide.go)
}

// New parses the templates and returns the handler; a template error is a
// programming error reported at start-up.
func New(h Handler) (*Handler, error) {
	if h.Branding.Name == "" {
		h.Branding.Name = "scimbridge"
	}
	if h.CountShown <= 0 {
		h.CountShown = defaultCountShown
	}
	h.counts = &dirCounts{m: map[string]dirCount{}}
	if h.Branding.Accent == "" {
		h.Branding.Accent = "#4f46e5"
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	h.pages = p
	if h.guideSet, err = parseGuides(); err != nil {
		return nil, err
	}
	return &h, nil
}

// cookieName is the session cookie.
const cookieName = "scimbridge_portal"

type ctxKey int

const sessionKey ctxKey = iota

// session is the request's portal session.
type session struct {
	directory.PortalSession
	secret string
	csrf   string
	org    directory.Organization
}

func sessionOf(ctx context.Context) *session {
	s, _ := ctx.Value(sessionKey).(*session)
	return s
}

// route is one entry of the route table.
type route struct {
	pattern string
	fn      web.HandlerFunc
}

func (h *Handler) routeTable() []route {
	return []route{
		{"GET /portal/{$}", h.home},
		{"GET /portal/scim", h.scimTab},
		{"GET /portal/scim/providers/{slug}", h.providerPage},
		{"POST /portal/scim/providers/{slug}", h.configure},
		{"GET /portal/directories/{dir_id}", h.directoryPage},
		{"GET /portal/directories/{dir_id}/status", h.status},
		{"POST /portal/directories/{dir_id}/tokens", h.createToken},
		{"GET /portal/directories/{dir_id}/tokens/{token_id}/revoke", h.revokePage},
		{"POST /portal/directories/{dir_id}/tokens/{token_id}/revoke", h.revokeToken},
		{"POST /portal/directories/{dir_id}/enable", h.enable},
		{"POST /portal/directories/{dir_id}/disable", h.disable},
		{"GET /portal/directories/{dir_id}/delete", h.deletePage},
		{"POST /portal/directories/{dir_id}/delete", h.deleteDirectory},
		{"GET /portal/directories/{dir_id}/deprovisioning", h.deprovisioningPage},
		{"POST /portal/directories/{dir_id}/deprovisioning", h.saveDeprovisioning},
		{"POST /portal/directories/{dir_id}/holds/{hold_id}/release", h.releaseHold},
		{"POST /portal/directories/{dir_id}/holds/{hold_id}/discard", h.discardHold},
		{"GET /portal/users", h.usersTab},
		{"GET /portal/directories/{dir_id}/users/{user_id}", h.userPage},
		{"GET /portal/groups", h.groupsTab},
		{"GET /portal/directories/{dir_id}/groups/{group_id}", h.groupPage},
		{"GET /portal/roles", h.rolesTab},
		{"POST /portal/roles", h.saveRoles},
		{"GET /portal/attributes", h.attributesTab},
		{"POST /portal/attributes", h.saveAttributes},
		{"GET /portal/events", h.eventsTab},
		{"GET /portal/events/requests", h.requestsTab},
		{"POST /portal/logout", h.logout},
	}
}

// Routes returns the handler for everything under /portal/.
func (h *Handler) Routes() http.Handler {
	mux := http.NewServeMux()
	rules := auditRules()
	mux.Handle("GET /portal/open", web.Adapt(h.renderError, h.open))
	mux.Handle("GET /portal/static/{file}", web.Adapt(h.renderError, h.static))
	mux.Handle("GET /portal/signed-out", web.Adapt(h.renderError, h.signedOut))
	for _, rt := range h.routeTable() {
		mux.Handle(rt.pattern, web.Adapt(h.renderError, h.authenticated(h.audited(rt.pattern, rules, checkText(rt.pattern, rt.fn)))))
	}
	mux.Handle("/portal/", web.Adapt(h.renderError, func(w http.ResponseWriter, r *http.Request) error {
		return directory.Errorf(directory.KindNotFound, "There is no page at this address.")
	}))
	return web.Chain(mux, h.headers, web.Recover(h.Logger, h.renderError))
}

// checkText wraps the handler of a route (after authenticated, which
// parses forms): a path value that is not UTF-8 text or holds NUL names
// nothing (404), such a query parameter or form field is refused (400),
// before it reaches the database, which could not store or compare it.
func checkText(pattern string, next web.HandlerFunc) web.HandlerFunc {
	names := web.Wildcards(pattern)
	return func(w http.ResponseWriter, r *http.Request) error {
		switch b := web.FindBadText(r, names); {
		case b == nil:
			return next(w, r)
		case b.In == "path":
			return directory.Errorf(directory.KindNotFound, "There is no page at this address.")
		default:
			return directory.Errorf(directory.KindInvalid, "The %s value %q %s; use plain text.", b.In, b.Name, b.Why)
		}
	}
}

// headers sets the portal's security headers: a strict content security
// policy whose frame-ancestors are the configured origins, and no caching
// (pages show secrets and personal data).
func (h *Handler) headers(next http.Handler) http.Handler {
	ancestors := "'none'"
	if len(h.FrameAncestors) > 0 {
		ancestors = strings.Join(h.FrameAncestors, " ")
	}
	csp := "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
		"form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors " + ancestors
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		if len(h.FrameAncestors) == 0 {
			hd.Set("X-Frame-Options", "DENY")
		}
		if !strings.HasPrefix(r.URL.Path, "/portal/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) secure() bool { return strings.HasPrefix(h.PublicURL, "https://") }

// cookie returns the session cookie. Under HTTPS with frame ancestors it is
// SameSite=None and Partitioned, so that it works inside the app's iframe
// (another site); otherwise SameSite=Lax. CSRF tokens protect the forms in
// both cases.
func (h *Handler) cookie(value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{Name: cookieName, Value: value, Path: "/portal/", HttpOnly: true, Secure: h.secure(), SameSite: http.SameSiteLaxMode}
	if h.secure() && len(h.FrameAncestors) > 0 {
		c.SameSite, c.Partitioned = http.SameSiteNoneMode, true
	}
	if expires.IsZero() {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	return c
}

// open is GET /portal/open?token=…: it exchanges the link token for a
// session and redirects to the portal, removing the token from the URL.
func (h *Handler) open(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	s, secret, err := h.Portal.OpenLink(r.Context(), token)
	if directory.KindOf(err) == directory.KindUnauthorized {
		var current string
		if c, cerr := r.Cookie(cookieName); cerr == nil {
			current = c.Value
		}
		cont, ret := h.Portal.RefusedLink(r.Context(), token, current)
		if cont {
			http.Redirect(w, r, "/portal/scim", http.StatusSeeOther)
			return nil
		}
		return &linkError{err: err, returnURL: ret}
	}
	if err != nil {
		return err
	}
	http.SetCookie(w, h.cookie(secret, s.ExpiresAt))
	http.Redirect(w, r, "/portal/scim", http.StatusSeeOther)
	return nil
}

// linkError is a link OpenLink refused, with the link's return URL for
// the error page's way back to the app.
type linkError struct {
	err       error
	returnURL string
}

func (e *linkError) Error() string { return e.err.Error() }
func (e *linkError) Unwrap() error { return e.err }

// authenticated loads the session from the cookie and checks the CSRF
// token of state-changing requests.
func (h *Handler) authenticated(next web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, err := r.Cookie(cookieName)
		if err != nil {
			return directory.Errorf(directory.KindUnauthorized, "You are not signed in to the portal. Open it from the application again.")
		}
		ps, err := h.Portal.Session(r.Context(), c.Value)
		if err != nil {
			if directory.KindOf(err) == directory.KindUnauthorized {
				http.SetCookie(w, h.cookie("", time.Time{}))
			}
			return err
		}
		org, err := h.Service.Read().GetOrganization(r.Context(), ps.OrganizationID)
		if err != nil {
			return err
		}
		s := &session{PortalSession: ps, secret: c.Value, csrf: directory.CSRFToken(c.Value), org: org}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if err := r.ParseForm(); err != nil {
				return directory.Errorf(directory.KindInvalid, "The form could not be read.")
			}
			if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(s.csrf)) != 1 {
				return errCSRF
			}
		}
		// The admin in this session (named by the link that opened it) is
		// the actor of the changes the request makes.
		ctx := directory.WithActor(context.WithValue(r.Context(), sessionKey, s), directory.Actor{Type: directory.ActorPortal, ID: ps.LinkID, Name: "Admin Portal"})
		return next(w, r.WithContext(ctx))
	}
}

var errCSRF = directory.Errorf(directory.KindForbidden, "This form was not sent from the portal page, or the page is out of date. Reload the page and try again.")

// logout is POST /portal/logout.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) error {
	s := sessionOf(r.Context())
	if err := h.Portal.EndSession(r.Context(), s.secret); err != nil {
		return err
	}
	http.SetCookie(w, h.cookie("", time.Time{}))
	if s.ReturnURL != "" {
		// The page after the redirect offers the way back to the app;
		// only this server sets the cookie, so it cannot be made to
		// link elsewhere.
		http.SetCookie(w, &http.Cookie{Name: returnCookie, Value: url.QueryEscape(s.ReturnURL), Path: "/portal/signed-out",
			MaxAge: 300, HttpOnly: true, Secure: h.secure(), SameSite: http.SameSiteLaxMode})
	}
	return redirect(w, r, "/portal/signed-out", "")
}

// returnCookie carries the app's return_url from logout to the signed-out
// page.
const returnCookie = "scimbridge_portal_return"

// signedOut is GET /portal/signed-out, where logout leads (POST → 303 →
// GET, so that Reload does not post again).
func (h *Handler) signedOut(w http.ResponseWriter, r *http.Request) error {
	m := message{Heading: "You have signed out", Text: "Open the portal from the application to continue."}
	if c, err := r.Cookie(returnCookie); err == nil {
		if u, err := url.QueryUnescape(c.Value); err == nil && u != "" && directory.CheckReturnURL(u) == nil {
			m.Return = u
		}
	}
	return h.render(w, r, http.StatusOK, "message", page{Title: "Signed out", Data: m})
}

// home is GET /portal/.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/portal/scim", http.StatusSeeOther)
	return nil
}

// message is the data of the message and error pages.
type message struct {
	Heading string
	Text    string
	Status  int
	Return  string
	Signed  bool // the visitor has a session: offer the tabs
	Request string
}

// renderError is the one place errors become pages: domain errors show
// their message with the matching status; anything else is logged and
// shown as a generic error with the request id.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, err error) {
	status, heading, text := http.StatusInternalServerError, "Something went wrong", "The portal could not complete this request. Try again in a moment; if it keeps happening, give your application's support team this request id."
	var de *directory.Error
	var mbe *http.MaxBytesError
	gone, started := web.ClientGone(h.Logger, r, err)
	switch {
	case started:
		return // nothing more can be written; ClientGone logged it
	case gone:
		status, heading, text = http.StatusRequestTimeout, "The request timed out", "The form did not arrive in time. Try again."
	case errors.As(err, &mbe):
		status, heading, text = http.StatusRequestEntityTooLarge, "Too much data", "The form sent too much data."
	case errors.As(err, &de) && de.Kind != directory.KindInternal:
		text = de.Message
		switch de.Kind {
		case directory.KindNotFound:
			status, heading = http.StatusNotFound, "Not found"
		case directory.KindUnauthorized:
			status, heading = http.StatusUnauthorized, "Your portal session has ended"
			if r.URL.Path == "/portal/open" {
				heading = "This link cannot be opened"
			}
		case directory.KindForbidden:
			status, heading = http.StatusForbidden, "Not allowed"
		case directory.KindConflict:
			status, heading = http.StatusConflict, "That cannot be done right now"
		default:
			status, heading = http.StatusBadRequest, "Please check your input"
		}
	default:
		h.Logger.ErrorContext(r.Context(), "portal request failed", "request_id", web.RequestID(r.Context()),
			"method", r.Method, "path", r.URL.Path, "error", err)
	}
	m := message{Heading: heading, Text: text, Status: status, Request: web.RequestID(r.Context())}
	if s := sessionOf(r.Context()); s != nil {
		m.Signed, m.Return = true, s.ReturnURL
	}
	if le := (*linkError)(nil); errors.As(err, &le) {
		m.Return = le.returnURL
	}
	if rerr := h.render(w, r, status, "message", page{Title: heading, Data: m}); rerr != nil {
		h.Logger.DebugContext(r.Context(), "writing portal error page", "error", rerr)
	}
}

// dir returns the directory with that id if it belongs to the session's
// organization; otherwise KindNotFound, so that ids of other
// organizations reveal nothing.
func (h *Handler) dir(ctx context.Context, id string) (directory.Directory, error) {
	s := sessionOf(ctx)
	d, err := h.Service.Read().GetDirectory(ctx, id)
	if (err == nil && d.OrganizationID != s.OrganizationID) || directory.IsNotFound(err) {
		return directory.Directory{}, directory.Errorf(directory.KindNotFound, "This directory does not exist in your organization.")
	}
	return d, err
}

// dirs returns the organization's directories (at most 100).
func (h *Handler) dirs(ctx context.Context) ([]directory.Directory, error) {
	return h.Service.Read().ListDirectories(ctx, sessionOf(ctx).OrganizationID, "", 100)
}

// selectedDir picks the directory a tab shows: ?dir= when given (it must
// be the organization's), else the first one; ok is false when the
// organization has none.
func (h *Handler) selectedDir(r *http.Request) (d directory.Directory, all []directory.Directory, ok bool, err error) {
	all, err = h.dirs(r.Context())
	if err != nil {
		return d, nil, false, err
	}
	if id := r.URL.Query().Get("dir"); id != "" {
		d, err = h.dir(r.Context(), id)
		return d, all, err == nil, err
	}
	if len(all) == 0 {
		return d, all, false, nil
	}
	return all[0], all, true, nil
}

// endpointURL is a directory's SCIM base URL.
func (h *Handler) endpointURL(dirID string) string { return h.PublicURL + "/scim/v2/" + dirID }

// redirect answers 303 to a portal path with a notice code.
func redirect(w http.ResponseWriter, r *http.Request, path, notice string) error {
	if notice != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "done=" + url.QueryEscape(notice)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}
