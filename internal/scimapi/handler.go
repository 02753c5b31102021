package scimapi

import (
	"context"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/web"
)

// Defaults for the Handler's zero-valued limits.
const (
	DefaultMaxBodyBytes        = 16 << 20
	DefaultMaxResults          = 1000
	DefaultBulkMaxOperations   = 1000
	DefaultBulkMaxPayloadBytes = 16 << 20
	// defaultCount is the page size when a list request names no count
	// (RFC 7644 §3.4.2.4 leaves it to the service provider).
	defaultCount = 100
)

// prefix is where the app mounts the surface; Routes expects it in the
// request path (the app does not strip it).
const prefix = "/scim/v2/"

// contentType is the media type of every response (RFC 7644 §3.1, §8.1).
const contentType = "application/scim+json"

// Handler serves the SCIM 2.0 surface. Its exported fields are its
// dependencies and limits; zero limits take the Default* values. Build it
// as a struct literal and call Routes once; it must not be copied after
// that.
type Handler struct {
	Service *directory.Service
	Logger  *slog.Logger
	// PublicURL is the externally visible base URL without a trailing
	// slash, e.g. "https://scim.example.com". meta.location, Location
	// headers and $ref values are PublicURL + "/scim/v2/" + directory id +
	// "/Users/" + id. When empty, the request's scheme and Host are used.
	PublicURL           string
	MaxBodyBytes        int64 // request body limit; 413 beyond it
	MaxResults          int   // filter.maxResults: the largest page served
	BulkMaxOperations   int   // bulk.maxOperations
	BulkMaxPayloadBytes int64 // bulk.maxPayloadSize
	// PageBytes is the byte budget of one list page (page.go); 0 takes
	// DefaultPageBytes.
	PageBytes int
	// Limiter, when set, caps the requests in flight across the surfaces
	// that share it; beyond it a request is answered 503 with Retry-After.
	Limiter *web.Limiter
	// RequestLog, when set, records requests to each directory's endpoint
	// (see recordRequests for which ones); nil: no request log.
	RequestLog *directory.RequestLogger
	// AuthFailureRate (per second) and AuthFailureBurst limit requests
	// whose authentication fails (401, 403), per source address and per
	// directory; beyond them the answer is 429 with Retry-After (see
	// refuse). Zero: DefaultAuthFailureRate and DefaultAuthFailureBurst;
	// a negative rate: no limit. Authenticated requests are never limited.
	AuthFailureRate  float64
	AuthFailureBurst int
	// AuthFailureDelay is how long a 429 of that limit is held before it
	// is sent; zero: DefaultAuthFailureDelay, negative: not held.
	AuthFailureDelay time.Duration
	// ReadConcurrency is how many reads run at once, the rest waiting in
	// arrival order (readGate); zero: DefaultReadConcurrency.
	ReadConcurrency int
	// CacheBytes bounds the rendered-resource cache (rescache.go), which
	// answers GET of one user or group and the `userName eq` filter on a
	// store that keeps generations (SQLite); zero: DefaultCacheBytes,
	// negative: no cache.
	CacheBytes int

	once      sync.Once
	failures  *failureLimiter
	held      chan struct{} // the 429s being held (holdRefusal)
	logger    *slog.Logger
	schemas   *schema.Schemas
	lim       limits
	discovery discovery
	cache     *resourceCache // nil: disabled
	memo      listMemo       // list totals and page ends, per directory generation (listmemo.go)
}

// limits are the Handler's limits with defaults applied.
type limits struct {
	body         int64
	results      int
	bulkOps      int
	bulkBytes    int64
	pageBytes    int
	failureDelay time.Duration
}

// setup applies defaults and builds the discovery documents, once.
func (h *Handler) setup() {
	h.once.Do(func() {
		h.logger = h.Logger
		if h.logger == nil {
			h.logger = slog.New(slog.DiscardHandler)
		}
		h.schemas = h.Service.Schemas
		if h.schemas == nil {
			h.schemas = schema.New()
		}
		h.lim = limits{body: h.MaxBodyBytes, results: h.MaxResults, bulkOps: h.BulkMaxOperations, bulkBytes: h.BulkMaxPayloadBytes, pageBytes: h.PageBytes}
		if h.lim.pageBytes <= 0 {
			h.lim.pageBytes = DefaultPageBytes
		}
		if h.lim.body <= 0 {
			h.lim.body = DefaultMaxBodyBytes
		}
		if h.lim.results <= 0 {
			h.lim.results = DefaultMaxResults
		}
		if h.lim.bulkOps <= 0 {
			h.lim.bulkOps = DefaultBulkMaxOperations
		}
		if h.lim.bulkBytes <= 0 {
			h.lim.bulkBytes = DefaultBulkMaxPayloadBytes
		}
		h.discovery = buildDiscovery(h.schemas, h.advertisedLimits())
		h.failures = newFailureLimiter(h.AuthFailureRate, h.AuthFailureBurst)
		h.held = make(chan struct{}, maxDelayedRefusals)
		cacheBytes := h.CacheBytes
		if cacheBytes == 0 {
			cacheBytes = DefaultCacheBytes
		}
		h.cache = newResourceCache(cacheBytes)
		h.lim.failureDelay = h.AuthFailureDelay
		if h.lim.failureDelay == 0 {
			h.lim.failureDelay = DefaultAuthFailureDelay
		}
	})
}

// call is what every authenticated handler gets besides the request: the
// directory it addresses, the base URL of that directory's endpoint and the
// parsed query string.
type call struct {
	dir   string
	d     directory.Directory // the authenticated directory, with its settings
	base  string              // e.g. https://scim.example.com/scim/v2/dir_…
	query params
	types *schema.Schemas
	read  *directory.UserRead // GET /Users/{id}, or GET /Users with the plain userName filter: the user, read with the token (AuthenticateSCIMUser, AuthenticateSCIMUserNamed), or nil
	// listMissed: a read of this list page missed the rendered-resource
	// cache, so its later reads do not look (list.go, cachedUsers).
	listMissed bool
}

// location returns the URL of a resource (RFC 7643 §3.1 meta.location).
func (c *call) location(rt *schema.ResourceType, id string) string {
	return c.base + rt.Endpoint + "/" + pathEscape(id)
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// Routes returns the handler for everything under /scim/v2/. The app
// mounts it at that prefix without stripping it.
func (h *Handler) Routes() http.Handler {
	h.setup()
	mux := http.NewServeMux()
	route := func(pattern string, fn handlerFunc) {
		mux.Handle(pattern, web.Adapt(h.writeError, h.authenticated(fn)))
	}
	const d = prefix + "{dir}"

	// Discovery (RFC 7644 §4). Authenticated like everything else: clients
	// such as authentik call them with the directory token.
	route("GET "+d+"/ServiceProviderConfig", h.serviceProviderConfig)
	route("GET "+d+"/ResourceTypes", h.listResourceTypes)
	route("GET "+d+"/ResourceTypes/{name}", h.getResourceType)
	route("GET "+d+"/Schemas", h.listSchemas)
	route("GET "+d+"/Schemas/{urn}", h.getSchema)

	// Users (RFC 7644 §3.3–3.6).
	// The token checked in the create's transaction where it is read on
	// every request (authenticatedCreate).
	mux.Handle("POST "+d+"/Users", web.Adapt(h.writeError, h.authenticatedCreate()))
	// The plain userName filter is read with the token where the token is
	// read on every request (authenticatedLookup).
	mux.Handle("GET "+d+"/Users", web.Adapt(h.writeError, h.authenticatedLookup(h.listUsersOrLookup)))
	route("POST "+d+"/Users/.search", h.searchUsers)
	// Authenticated and read in one statement where the token is read on
	// every request (AuthenticateSCIMUser).
	mux.Handle("GET "+d+"/Users/{id}", web.Adapt(h.writeError, h.authenticatedRead(h.getUser)))
	route("PUT "+d+"/Users/{id}", h.replaceUser)
	route("PATCH "+d+"/Users/{id}", h.patchUser)
	route("DELETE "+d+"/Users/{id}", h.deleteUser)

	// Groups (RFC 7644 §3.3–3.6).
	route("POST "+d+"/Groups", h.createGroup)
	route("GET "+d+"/Groups", h.listGroups)
	route("POST "+d+"/Groups/.search", h.searchGroups)
	route("GET "+d+"/Groups/{id}", h.getGroup)
	route("PUT "+d+"/Groups/{id}", h.replaceGroup)
	route("PATCH "+d+"/Groups/{id}", h.patchGroup)
	route("DELETE "+d+"/Groups/{id}", h.deleteGroup)

	// Searches across resource types (RFC 7644 §3.4.3) and Bulk (§3.7).
	route("POST "+d+"/.search", h.searchAll)
	route("POST "+d+"/Bulk", h.bulk)

	// /Me (RFC 7644 §3.11) is an alias for the resource of the
	// authenticated subject; a directory token is no user, so every method
	// on it is answered 501 Not Implemented, as §3.11 asks of a service
	// provider that does not support it, after authenticating.
	route(d+"/Me", h.me)
	route(d+"/Me/{rest...}", h.me)

	// Everything else under the prefix: 405 or 404, as SCIM errors.
	mux.Handle(prefix, web.Adapt(h.writeError, h.noRoute(mux)))

	readers := h.ReadConcurrency
	if readers <= 0 {
		readers = DefaultReadConcurrency
	}
	gate := func(next http.Handler) http.Handler { return readGate(readers, next) }
	return web.Chain(mux, ensureRequestID, web.LimitHeaders(web.MaxHeaderBytes, h.writeError), web.Limit(h.Limiter, h.writeError), h.recordRequests, web.Recover(h.logger, h.writeError), gate, h.canonicalPath)
}

// authenticated checks the directory token (RFC 7644 §2) before fn runs.
func (h *Handler) authenticated(fn handlerFunc) web.HandlerFunc {
	return h.authenticatedAs(fn, readNone)
}

// authenticatedRead is authenticated for GET /Users/{id}: the user named
// in the path is read with the token when the service can (call.read).
func (h *Handler) authenticatedRead(fn handlerFunc) web.HandlerFunc {
	return h.authenticatedAs(fn, readByID)
}

// authenticatedLookup is authenticated for GET /Users: for the plain
// `userName eq "…"` filter (namedUser), the user of that name is read
// with the token when the service can (call.read).
func (h *Handler) authenticatedLookup(fn handlerFunc) web.HandlerFunc {
	return h.authenticatedAs(fn, readByName)
}

// readMode says which user, if any, a route reads with its token.
type readMode int

const (
	readNone readMode = iota
	readByID
	readByName
)

func (h *Handler) authenticatedAs(fn handlerFunc, mode readMode) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		raw := r.PathValue("dir")
		dir := directoryID(raw)
		// The context names the IdP (this directory's token) as the actor
		// of the changes the request makes.
		var ctx context.Context
		var d directory.Directory
		var user *directory.UserRead
		var err error
		id := r.PathValue("id")
		// GET /Users reads its query before authenticating, to find the
		// userName filter; every route reports a query that does not parse
		// only after authenticating.
		var q params
		var qerr error
		parsed := mode == readByName
		name, named := "", false
		if parsed {
			if q, qerr = parseQuery(r.URL.RawQuery); qerr == nil {
				name, named = h.namedUser(q)
			}
		}
		switch {
		case mode == readByID && web.TextProblem(id) == "":
			ctx, d, user, err = h.Service.AuthenticateSCIMUser(r.Context(), dir, credential(r), id)
		case named:
			ctx, d, user, err = h.Service.AuthenticateSCIMUserNamed(r.Context(), dir, credential(r), name)
		default:
			ctx, d, err = h.Service.AuthenticateSCIM(r.Context(), dir, credential(r))
		}
		if err != nil {
			return h.refuse(r, dir, err)
		}
		// The request id travels to the domain too (directory.WithRequestID),
		// so that a hold records which request deprovisioned each user.
		r = r.WithContext(directory.WithRequestID(ctx, web.RequestID(ctx)))
		tagRequest(r, d)
		if err := checkPathValues(r); err != nil {
			return err
		}
		if !parsed {
			q, qerr = parseQuery(r.URL.RawQuery)
		}
		if qerr != nil {
			return qerr
		}
		// Locations use the directory id as the client wrote it.
		return fn(w, r, &call{dir: dir, d: d, base: h.baseURL(r, raw), query: q, types: h.schemas, read: user})
	}
}

// directoryID maps the path segment to a directory id. "dir-…" is accepted
// for "dir_…": Okta's SCIM guide forbids underscores in base URLs, so an
// Okta admin can paste the endpoint URL with a hyphen instead.
func directoryID(segment string) string {
	if rest, ok := strings.CutPrefix(segment, "dir-"); ok {
		return "dir_" + rest
	}
	return segment
}

// baseURL is the SCIM base URL of directory dir (RFC 7644 §1.3 "Base URI").
func (h *Handler) baseURL(r *http.Request, dir string) string {
	root := strings.TrimRight(h.PublicURL, "/")
	if root == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		root = scheme + "://" + r.Host
	}
	return root + prefix + pathEscape(dir)
}

// noRoute answers requests no route matches: after authenticating against
// the directory named in the path, 405 when the path exists for another
// method, else 404.
func (h *Handler) noRoute(mux *http.ServeMux) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		raw, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, prefix), "/")
		if raw == "" {
			return directory.Errorf(directory.KindNotFound, "no such endpoint: SCIM endpoints are at %s{directory_id}/…", prefix)
		}
		// The same mapping as authenticated: "dir-…" names "dir_…".
		dir := directoryID(raw)
		d, err := h.Service.AuthenticateDirectory(r.Context(), dir, credential(r))
		if err != nil {
			return h.refuse(r, dir, err)
		}
		tagRequest(r, d)
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := r.WithContext(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != prefix {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			return &httpError{status: http.StatusMethodNotAllowed, allow: strings.Join(allow, ", "),
				detail: "method " + r.Method + " is not allowed on " + r.URL.Path + "; allowed: " + strings.Join(allow, ", ")}
		}
		return directory.Errorf(directory.KindNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
	}
}

// me answers /Me and everything under it: not supported (RFC 7644 §3.11).
func (h *Handler) me(w http.ResponseWriter, r *http.Request, c *call) error {
	return &httpError{status: http.StatusNotImplemented,
		detail: "/Me is not supported: a directory token authenticates an identity provider, not a user; use /Users/{id}"}
}

// canonicalPath tolerates a trailing slash ("/Users/") and doubled slashes
// ("/scim/v2/dir_…//Users", from a base URL configured with a trailing
// slash) by cleaning the path before routing, instead of letting ServeMux
// answer with a redirect that is not SCIM.
func (h *Handler) canonicalPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if isCleanSCIMPath(p) {
			next.ServeHTTP(w, r)
			return
		}
		clean := path.Clean("/" + p)
		if !strings.HasPrefix(clean+"/", prefix) {
			h.writeError(w, r, directory.Errorf(directory.KindNotFound, "no such endpoint: SCIM endpoints are at %s{directory_id}/…", prefix))
			return
		}
		if clean+"/" == prefix {
			clean += "/"
		}
		if clean == p {
			next.ServeHTTP(w, r)
			return
		}
		r2 := r.WithContext(r.Context())
		u := *r.URL
		u.Path, u.RawPath = clean, ""
		r2.URL = &u
		next.ServeHTTP(w, r2)
	})
}

// isCleanSCIMPath reports, without allocating, whether path.Clean leaves
// p unchanged and p is under the prefix but not the prefix itself: no
// empty, "." or ".." segment and no trailing slash.
func isCleanSCIMPath(p string) bool {
	if len(p) <= len(prefix) || !strings.HasPrefix(p, prefix) || p[len(p)-1] == '/' {
		return false
	}
	for seg := range strings.SplitSeq(p[len(prefix):], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// ensureRequestID gives the request an id when the app did not, so that
// internal errors can always be matched with their log line. authenticated
// passes it on to the domain.
func ensureRequestID(next http.Handler) http.Handler {
	withID := web.WithRequestID(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if web.RequestID(r.Context()) != "" {
			next.ServeHTTP(w, r)
			return
		}
		withID.ServeHTTP(w, r)
	})
}
