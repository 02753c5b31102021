package scimapi

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// Reads served from the rendered-resource cache (rescache.go): GET of one
// user or group in its default projection, and the `userName eq "…"`
// filter identity providers send before creating a user. Everything else
// (attributes, excludedAttributes, other filters, sortBy, startIndex past
// the first result, count=0) takes the uncached path, as does every read
// when the store keeps no generations (PostgreSQL).

// userNameLookup is the cacheKey.typ of what a `userName eq` filter
// found; the key's id is the folded userName.
const userNameLookup = "userName eq"

// DefaultCacheBytes is the rendered-resource cache's size when the
// Handler's CacheBytes is zero.
const DefaultCacheBytes = 32 << 20

// cacheGen returns the directory's generation when the request may be
// answered from the cache: a cache, a store that keeps generations, and
// the default projection (RFC 7644 §3.4.2.5: attributes and
// excludedAttributes change the representation).
func (h *Handler) cacheGen(c *call) (uint64, bool) {
	if h.cache == nil || c.query.has("attributes") || c.query.has("excludedAttributes") {
		return 0, false
	}
	return h.Service.Read().Generation(c.dir)
}

// renderCached encodes a rendered resource as the body of its response,
// byte for byte as a list page writes it (renderJSON), with its derived
// attribute's size for a list page's budget (listWriter).
func renderCached(etag string, o object) (cachedResource, error) {
	var b bytes.Buffer
	derived, err := renderJSON(newEncoder(&b), o)
	if err != nil {
		return cachedResource{}, err
	}
	return bodyOf(etag, b.Bytes(), derived), nil
}

// bodyOf makes a cached response of a resource's JSON: its own copy of
// the bytes, followed by a newline, as a response ends.
func bodyOf(etag string, json []byte, derived int) cachedResource {
	body := make([]byte, len(json)+1)
	copy(body, json)
	body[len(body)-1] = '\n'
	return cachedResource{etag: etag, body: body, derived: derived}
}

// writeCached answers with a cached resource, or 304 Not Modified when
// If-None-Match names its ETag (RFC 7644 §3.14, RFC 7232 §3.2), as
// writeResource and getUser do.
func writeCached(w http.ResponseWriter, r *http.Request, v cachedResource) error {
	if etagMatches(r.Header.Get("If-None-Match"), v.etag) {
		return writeEmpty(w, http.StatusNotModified, v.etag)
	}
	hd := w.Header()
	hd.Set("ETag", v.etag)
	hd.Set("Content-Type", contentType)
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(v.body)
	return err
}

// cacheKey names the cached response of resource id of type rt, as this
// request renders it (its directory and base URL).
func (c *call) cacheKey(rt *schema.ResourceType, id string) cacheKey {
	return cacheKey{dir: c.dir, base: c.base, typ: rt.ID, id: id}
}

// cachedUser returns user id's response in the default projection, from
// the cache or read (with its groups, RFC 7643 §4.1.2) and rendered at
// generation gen, read before.
func (h *Handler) cachedUser(ctx context.Context, c *call, gen uint64, id string) (cachedResource, error) {
	rt := c.types.User
	k := c.cacheKey(rt, id)
	if v, ok := h.cache.get(k, gen); ok {
		return v, nil
	}
	u, groups, err := h.Service.Read().GetUserWithGroups(ctx, c.dir, id)
	if err != nil {
		return cachedResource{}, err
	}
	v, err := renderCached(directory.ETag(u.Version), c.user(u, groups, newProjection(rt, nil, nil)))
	if err != nil {
		return cachedResource{}, err
	}
	h.cacheUser(c, gen, u, v)
	return v, nil
}

// cacheUser keeps user u's response v, rendered at generation gen, and
// what a `userName eq` filter for its userName finds at gen: u itself
// (userName is unique in a directory, compared folded, RFC 7643 §4.1.1;
// the store keeps the same fold, schema.FoldString). An IdP that read or
// listed its users then filters them by userName (as Entra ID and Okta
// do before each update) finds them without a query.
func (h *Handler) cacheUser(c *call, gen uint64, u directory.User, v cachedResource) {
	h.cache.put(c.cacheKey(c.types.User, u.ID), gen, v)
	// A list page reads the document alone (directory.RenderFields): the
	// userName is the document's, from which the store's is derived.
	name := u.UserName
	if name == "" {
		name, _ = u.Doc["userName"].(string)
	}
	if name != "" {
		h.cache.put(userNameKey(c, name), gen, cachedResource{id: u.ID})
	}
}

// userNameKey names what a `userName eq` filter for name finds.
func userNameKey(c *call, name string) cacheKey {
	return cacheKey{dir: c.dir, typ: userNameLookup, id: schema.FoldString(name)}
}

// cachedGroup is cachedUser for a group and its members (RFC 7643 §4.2).
// Groups whose response exceeds maxCachedBody are rendered every time.
func (h *Handler) cachedGroup(ctx context.Context, c *call, gen uint64, id string) (cachedResource, error) {
	rt := c.types.Group
	k := c.cacheKey(rt, id)
	if v, ok := h.cache.get(k, gen); ok {
		return v, nil
	}
	g, err := h.Service.Read().GetGroup(ctx, c.dir, id)
	if err != nil {
		return cachedResource{}, err
	}
	m, err := h.Service.Read().MembersOf(ctx, c.dir, []string{g.ID})
	if err != nil {
		return cachedResource{}, err
	}
	v, err := renderCached(directory.ETag(g.Version), c.group(g, m[g.ID], newProjection(rt, nil, nil)))
	if err != nil {
		return cachedResource{}, err
	}
	h.cache.put(k, gen, v)
	return v, nil
}

// listUsersOrLookup is GET /Users: the plain `userName eq "…"` filter
// as read with the token, or from the cache, any other list as listUsers
// answers it.
func (h *Handler) listUsersOrLookup(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.read != nil {
		return writeNamedUser(w, c)
	}
	if gen, ok := h.cacheGen(c); ok {
		if e, ok := h.plainUserNameFilter(c); ok {
			done, err := h.lookupUserName(w, r, c, gen, e)
			if done || err != nil {
				return err
			}
		}
	}
	return h.listUsers(w, r, c)
}

// namedUser returns the folded userName of a GET /Users whose query q is
// the plain `userName eq "…"` filter in the default projection, read
// before authentication (authenticatedAs): its user can then be read with
// the token, in one statement. Anything else is listed as usual.
func (h *Handler) namedUser(q params) (string, bool) {
	if q.has("attributes") || q.has("excludedAttributes") {
		return "", false
	}
	e, ok := h.plainUserNameFilter(&call{query: q, types: h.schemas})
	if !ok {
		return "", false
	}
	return schema.FoldString(e.Value.Str), true
}

// writeNamedUser answers the plain `userName eq "…"` filter with the user
// read with the token (namedUser): a ListResponse of that user or of
// none, byte for byte as listUsers writes it.
func writeNamedUser(w http.ResponseWriter, c *call) error {
	ur := c.read
	if directory.IsNotFound(ur.Err) {
		return writeOneOrNone(w, nil)
	}
	if ur.Err != nil {
		return ur.Err
	}
	v, err := renderCached(directory.ETag(ur.User.Version), c.user(ur.User, ur.Groups, newProjection(c.types.User, nil, nil)))
	if err != nil {
		return err
	}
	return writeOneOrNone(w, v.body)
}

// plainUserNameFilter returns the filter when the query is
// `filter=userName eq "…"` and nothing that changes its answer from
// "the one user with that userName, or none": no sortBy, the first result
// (startIndex 1), at least one result (count), the default projection.
// Anything it cannot read is left to listUsers, which reports it.
func (h *Handler) plainUserNameFilter(c *call) (*filter.Compare, bool) {
	if !c.query.has("filter") || c.query.has("sortBy") {
		return nil, false
	}
	lp, err := h.queryParams(c.query)
	if err != nil || lp.sortBy != "" || lp.startIndex != 1 || lp.count < 1 {
		return nil, false
	}
	e, err := compileFilter(c.types.User, lp.filter)
	if err != nil {
		return nil, false
	}
	cmp, ok := e.(*filter.Compare)
	if !ok || cmp.Op != filter.Eq || cmp.Value.Kind != filter.StringValue ||
		cmp.Path != (schema.Path{Name: "userName"}) {
		return nil, false
	}
	// Only text a stored userName can be: the fold of anything else
	// could equal the fold of a real name.
	if !utf8.ValidString(cmp.Value.Str) || strings.IndexByte(cmp.Value.Str, 0) >= 0 {
		return nil, false
	}
	return cmp, true
}

// lookupUserName answers `userName eq "…"` (RFC 7644 §3.4.2.2; userName
// is caseExact=false, RFC 7643 §4.1.1, and unique, so there is one match
// or none) from the cache: the folded name's user id, then that user's
// cached response, spliced into the ListResponse. done is false when the
// store's answer was not one user or none, or the user it named is gone:
// the caller then lists as usual.
func (h *Handler) lookupUserName(w http.ResponseWriter, r *http.Request, c *call, gen uint64, e *filter.Compare) (done bool, err error) {
	ctx := r.Context()
	lk := userNameKey(c, e.Value.Str)
	found, ok := h.cache.get(lk, gen)
	if !ok {
		page, err := h.Service.Read().ListUsers(ctx, c.dir, directory.Query{Filter: e, Limit: 2})
		if err != nil {
			return false, err
		}
		switch {
		case len(page.Users) == 0 && page.Total == 0:
			found = cachedResource{}
		case len(page.Users) == 1 && page.Total == 1:
			found = cachedResource{id: page.Users[0].ID}
		default:
			return false, nil
		}
		h.cache.put(lk, gen, found)
	}
	if found.id == "" {
		return true, writeOneOrNone(w, nil)
	}
	v, err := h.cachedUser(ctx, c, gen, found.id)
	if directory.IsNotFound(err) {
		return false, nil // deleted since: its generation has moved
	}
	if err != nil {
		return false, err
	}
	return true, writeOneOrNone(w, v.body)
}

// writeOneOrNone writes the ListResponse (RFC 7644 §3.4.2) of a query
// that found the resource whose response body is body, or none (nil),
// byte for byte as listWriter writes it.
func writeOneOrNone(w http.ResponseWriter, body []byte) error {
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	n := 0
	if body != nil {
		n = 1
		body = body[:len(body)-1] // without its newline
	}
	const head = `{"schemas":["` + schema.ListResponseURN + `"],"totalResults":`
	b := make([]byte, 0, len(head)+len(body)+64)
	b = append(b, head...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"startIndex":1,"Resources":[`...)
	b = append(b, body...)
	b = append(b, `],"itemsPerPage":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, "}\n"...)
	_, err := w.Write(b)
	return err
}
