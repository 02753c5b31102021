package scimapi

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/web"
)

// listParams are the query parameters of RFC 7644 §3.4.2 (GET), or the
// members of a SearchRequest (RFC 7644 §3.4.3), checked and defaulted.
type listParams struct {
	filter     string
	sortBy     string
	descending bool
	startIndex int // 1-based, at least 1
	count      int // at least 0, at most MaxResults
	attributes []string
	excluded   []string
}

// listResponse is the ListResponse message (RFC 7644 §3.4.2). Its numbers
// are JSON numbers, itemsPerPage is exactly len(Resources), and Resources
// is [] rather than null when the page is empty (Entra ID needs this).
type listResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
}

func writeList(w http.ResponseWriter, total, startIndex int, resources []any) error {
	if resources == nil {
		resources = []any{}
	}
	return writeJSON(w, http.StatusOK, listResponse{
		Schemas: []string{schema.ListResponseURN}, TotalResults: total, StartIndex: startIndex,
		ItemsPerPage: len(resources), Resources: resources,
	})
}

// queryParams reads list parameters from a GET query string. Unknown
// parameters (Entra ID may forward aadOptscim062020) are ignored.
func (h *Handler) queryParams(q params) (listParams, error) {
	lp := listParams{
		filter:     q.get("filter"),
		sortBy:     q.get("sortBy"),
		attributes: splitList(q.get("attributes")),
		excluded:   splitList(q.get("excludedAttributes")),
	}
	var startIndex, count any
	if q.has("startIndex") {
		startIndex = q.get("startIndex")
	}
	if q.has("count") {
		count = q.get("count")
	}
	return lp, h.finishParams(&lp, q.get("sortOrder"), startIndex, count)
}

// searchParams reads list parameters from a POST .search body, a
// SearchRequest (RFC 7644 §3.4.3). Member names match case-insensitively;
// the attribute lists may be arrays (as the RFC says) or comma-separated
// strings.
func (h *Handler) searchParams(w http.ResponseWriter, r *http.Request) (listParams, error) {
	obj, err := h.readObject(w, r)
	if err != nil {
		return listParams{}, err
	}
	m := make(map[string]any, len(obj))
	for k, v := range obj {
		m[strings.ToLower(k)] = v
	}
	var lp listParams
	var sortOrder string
	strs := []struct {
		name, scimType string
		into           *string
	}{
		{"filter", schema.ErrInvalidFilter, &lp.filter},
		{"sortBy", schema.ErrInvalidValue, &lp.sortBy},
		{"sortOrder", schema.ErrInvalidValue, &sortOrder},
	}
	for _, s := range strs {
		switch v := m[strings.ToLower(s.name)].(type) {
		case nil:
		case string:
			*s.into = v
		default:
			return lp, invalid(s.scimType, "%q must be a string", s.name)
		}
	}
	if lp.attributes, err = stringList("attributes", m["attributes"]); err != nil {
		return lp, err
	}
	if lp.excluded, err = stringList("excludedAttributes", m["excludedattributes"]); err != nil {
		return lp, err
	}
	return lp, h.finishParams(&lp, sortOrder, m["startindex"], m["count"])
}

func stringList(name string, v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return splitList(x), nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, invalid(schema.ErrInvalidValue, "%q must be a list of attribute names", name)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, invalid(schema.ErrInvalidValue, "%q must be a list of attribute names", name)
}

// finishParams checks sortOrder and the pagination parameters
// (RFC 7644 §3.4.2.3, §3.4.2.4): startIndex below 1 is 1; count absent is
// 100, above MaxResults is MaxResults, negative is 0 (totalResults only).
func (h *Handler) finishParams(lp *listParams, sortOrder string, startIndex, count any) error {
	switch strings.ToLower(strings.TrimSpace(sortOrder)) {
	case "", "ascending":
	case "descending":
		lp.descending = true
	default:
		return invalid(schema.ErrInvalidValue, `sortOrder must be "ascending" or "descending", not %q`, sortOrder)
	}
	n, ok, err := intParam("startIndex", startIndex)
	if err != nil {
		return err
	}
	lp.startIndex = max(n, 1)
	if !ok {
		lp.startIndex = 1
	}
	n, ok, err = intParam("count", count)
	if err != nil {
		return err
	}
	if !ok {
		n = defaultCount
	}
	lp.count = min(max(n, 0), h.lim.results)
	return nil
}

// intParam reads an integer parameter sent as a query string value, a
// JSON number or a JSON string. present is false when it was not sent.
func intParam(name string, v any) (n int, present bool, err error) {
	var s string
	switch x := v.(type) {
	case nil:
		return 0, false, nil
	case string:
		s = strings.TrimSpace(x)
		if s == "" {
			return 0, false, nil
		}
	case json.Number:
		s = x.String()
	default:
		return 0, false, invalid(schema.ErrInvalidValue, "%s must be an integer", name)
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || math.IsInf(f, 0) {
			return 0, false, invalid(schema.ErrInvalidValue, "%s must be an integer, not %q", name, s)
		}
		i = int64(max(min(f, math.MaxInt32), math.MinInt32))
	}
	return int(max(min(i, math.MaxInt32), math.MinInt32)), true, nil
}

// compileFilter parses a filter and resolves it against rt (RFC 7644
// §3.4.2.2). Every error is 400 invalidFilter: a filter is never ignored.
func compileFilter(rt *schema.ResourceType, s string) (filter.Expr, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	e, err := filter.Parse(s)
	if err != nil {
		return nil, fromSchema(err)
	}
	e, err = filter.Resolve(rt, e)
	if err != nil {
		return nil, fromSchema(err)
	}
	return e, nil
}

// sortPath resolves sortBy against rt (RFC 7644 §3.4.2.3). known is false
// for an attribute rt does not define; an attribute that is defined but
// cannot be sorted by (a user's groups, a group's members, meta values
// computed when rendering) is an error. nil means creation order.
func sortPath(rt *schema.ResourceType, s string) (p *schema.Path, known bool, err error) {
	if strings.TrimSpace(s) == "" {
		return nil, true, nil
	}
	path, ok := resolvePath(rt, s)
	if !ok {
		return nil, false, nil
	}
	if path.URN == "" {
		switch {
		case path.Name == "groups" || path.Name == "members":
			return nil, true, invalid(schema.ErrInvalidValue, "sortBy %q: resources cannot be sorted by their %s", s, path.Name)
		case path.Name == "meta" && path.Sub == "resourceType":
			return nil, true, nil // one resource type: every value is the same
		case path.Name == "meta" && path.Sub != "created" && path.Sub != "lastModified":
			return nil, true, invalid(schema.ErrInvalidValue, "sortBy %q: resources can be sorted by meta.created and meta.lastModified only", s)
		}
	}
	return &path, true, nil
}

func unknownSort(s string) error {
	return invalid(schema.ErrInvalidValue, "sortBy %q names no attribute of this resource type", s)
}

// buildQuery turns list parameters into a store query for rt.
func buildQuery(rt *schema.ResourceType, lp listParams) (directory.Query, error) {
	q := directory.Query{Descending: lp.descending, Offset: lp.startIndex - 1, Limit: lp.count}
	var err error
	if q.Filter, err = compileFilter(rt, lp.filter); err != nil {
		return q, err
	}
	var known bool
	if q.SortBy, known, err = sortPath(rt, lp.sortBy); err != nil {
		return q, err
	}
	if !known {
		return q, unknownSort(lp.sortBy)
	}
	return q, nil
}

// users reads users and, with one query for all of them, their groups
// when the projection renders them. In the default projection, on a store
// that keeps generations, listed users come from the rendered-resource
// cache (cachedUsers), and those rendered here are kept in it.
func (h *Handler) users(ctx context.Context, c *call, q directory.Query, p *projection) (chunkRead, error) {
	gen, cache := uint64(0), false
	if p == nil && h.cache != nil {
		// Read before the store (rescache.go).
		gen, cache = h.Service.Read().Generation(c.dir)
	}
	counted := -1
	if cache && !c.listMissed {
		cr, ok, err := h.cachedUsers(ctx, c, q, gen)
		if err != nil || ok {
			return cr, err
		}
		c.listMissed = true
		if !q.SkipTotal {
			counted, q.SkipTotal = cr.total, true // counted once
		}
	}
	q.Fields = directory.RenderFields
	page, err := h.Service.Read().ListUsers(ctx, c.dir, q)
	if err != nil {
		return chunkRead{}, err
	}
	var groups map[string][]directory.GroupRef
	if len(page.Users) > 0 && p.wants("", "groups") {
		ids := make([]string, len(page.Users))
		for i, u := range page.Users {
			ids[i] = u.ID
		}
		if groups, err = h.Service.Read().UserGroups(ctx, c.dir, ids); err != nil {
			return chunkRead{}, err
		}
	}
	out := chunkRead{items: make([]listItem, 0, len(page.Users)), total: page.Total}
	if counted >= 0 {
		out.total = counted
	}
	var e *encoder
	var b bytes.Buffer
	if cache {
		e = newEncoder(&b)
	}
	for _, u := range page.Users {
		res := c.listedUser(u, groups[u.ID])
		if !cache {
			out.items = append(out.items, listItem{id: u.ID, res: res})
			continue
		}
		// Rendered here, once, for the page and for the cache.
		b.Reset()
		derived, err := c.listedJSON(e, res, nil)
		if err != nil {
			return chunkRead{}, err
		}
		v := bodyOf(directory.ETag(u.Version), b.Bytes(), derived)
		h.cacheUser(c, gen, u, v)
		out.items = append(out.items, listItem{id: u.ID, json: v.body[:len(v.body)-1], derived: derived})
	}
	return out, nil
}

// cachedUsers answers one read of a list page from the rendered-resource
// cache: it reads the page's ids and versions only (KeyFields) and, when
// every user is cached at generation gen with that version, returns their
// cached representations (ok). Otherwise it returns only the total it
// counted (unless q.SkipTotal), and the caller reads and renders the
// page; once a read of a request has missed, the request's later reads
// skip the cache lookup (call.listMissed: their users are likely cold
// too).
func (h *Handler) cachedUsers(ctx context.Context, c *call, q directory.Query, gen uint64) (cr chunkRead, ok bool, err error) {
	kq := q
	kq.Fields = directory.KeyFields
	page, err := h.Service.Read().ListUsers(ctx, c.dir, kq)
	if err != nil {
		return chunkRead{}, false, err
	}
	cr = chunkRead{items: make([]listItem, 0, len(page.Users)), total: page.Total}
	for _, u := range page.Users {
		v, hit := h.cache.get(c.cacheKey(c.types.User, u.ID), gen)
		if !hit || v.etag != directory.ETag(u.Version) {
			return chunkRead{total: page.Total}, false, nil
		}
		cr.items = append(cr.items, listItem{id: u.ID, json: v.body[:len(v.body)-1], derived: v.derived})
	}
	return cr, true, nil
}

// groups reads groups and, with one query for all of them, their members
// when the projection renders them.
func (h *Handler) groups(ctx context.Context, c *call, q directory.Query, p *projection) (chunkRead, error) {
	q.Fields = directory.RenderFields
	page, err := h.Service.Read().ListGroups(ctx, c.dir, q)
	if err != nil {
		return chunkRead{}, err
	}
	var members map[string][]directory.Member
	if len(page.Groups) > 0 && p.wants("", "members") {
		ids := make([]string, len(page.Groups))
		for i, g := range page.Groups {
			ids[i] = g.ID
		}
		if members, err = h.Service.Read().MembersOf(ctx, c.dir, ids); err != nil {
			return chunkRead{}, err
		}
	}
	out := chunkRead{items: make([]listItem, 0, len(page.Groups)), total: page.Total}
	for _, g := range page.Groups {
		out.items = append(out.items, listItem{id: g.ID, res: c.listedGroup(g, members[g.ID])})
	}
	return out, nil
}

func (h *Handler) reader(rt *schema.ResourceType, c *call) chunk {
	if rt == c.types.Group {
		return h.groups
	}
	return h.users
}

// list answers a query on one resource type (RFC 7644 §3.4.2), within the
// page byte budget (page.go).
func (h *Handler) list(w http.ResponseWriter, r *http.Request, c *call, rt *schema.ResourceType, lp listParams) error {
	q, err := buildQuery(rt, lp)
	if err != nil {
		return err
	}
	lw := newListWriter(w, h.lim.pageBytes)
	p := newProjection(rt, lp.attributes, lp.excluded)
	m := h.memoStart(c, rt, lp.filter, &q)
	begin := func(total int) { lw.begin(m.begin(total), lp.startIndex) }
	f, err := h.fill(r.Context(), c, h.reader(rt, c), q, p, lw, begin)
	if err != nil && m.retry(&q) {
		// The remembered page end was deleted meanwhile: walk the offset.
		f, err = h.fill(r.Context(), c, h.reader(rt, c), q, p, lw, begin)
	}
	if err != nil {
		return err // nothing was written yet
	}
	m.done(f)
	return h.endList(r, lw)
}

// memoStart looks up what h.memo knows of the page q asks for and
// rewrites q to use it: no count when the total is known; when a page
// ended at or before q's offset, the page starts after that page's last
// resource (a keyset cursor), skipping only the rest. It returns nil when
// nothing may be remembered (the store has no generations, or the filter
// is long).
func (h *Handler) memoStart(c *call, rt *schema.ResourceType, filter string, q *directory.Query) *memoUse {
	gen, ok := h.Service.Read().Generation(c.dir)
	if !ok || len(filter) > memoFilterBytes {
		return nil
	}
	m := &memoUse{memo: &h.memo, read: h.Service.Read(), key: listKey{dir: c.dir, typ: rt.ID, filter: filter}, gen: gen,
		orig: *q, marks: q.SortBy == nil && q.Limit > 0, counted: -1}
	m.hit = h.memo.lookup(m.key, gen, q.Offset, m.marks, q.Descending)
	if m.hit.total < 0 {
		return m // the store's total with a cursor counts after it: no cursor
	}
	q.SkipTotal = true
	if m.marks && m.hit.mark.pos > 0 {
		q.After, q.Offset = m.hit.mark.id, q.Offset-m.hit.mark.pos
	}
	return m
}

// memoUse is one list request's use of the memo. Its methods accept a nil
// receiver (nothing remembered).
type memoUse struct {
	memo    *listMemo
	read    directory.Reader
	key     listKey
	gen     uint64
	orig    directory.Query // the query as the request asked it
	marks   bool
	hit     memoHit
	counted int // the total the store counted, -1: none
}

// begin returns the page's total: remembered, or as the store counted it.
func (m *memoUse) begin(counted int) int {
	if m == nil {
		return counted
	}
	if m.hit.total >= 0 {
		return m.hit.total
	}
	m.counted = counted
	return counted
}

// retry resets q to the query as asked when it started after a remembered
// page end, and reports whether it did.
func (m *memoUse) retry(q *directory.Query) bool {
	if m == nil || q.After == m.orig.After {
		return false
	}
	*q = m.orig
	q.SkipTotal = true
	return true
}

// done remembers the total and where the page ended, unless a write to
// the directory may have come between (the generation moved).
func (m *memoUse) done(f filled) {
	if m == nil {
		return
	}
	if gen, _ := m.read.Generation(m.key.dir); gen != m.gen {
		return
	}
	total := m.hit.total
	if total < 0 {
		total = m.counted
	}
	var mark pageMark
	if m.marks && f.n > 0 {
		mark = pageMark{pos: m.orig.Offset + f.n, id: f.last}
	}
	m.memo.remember(m.key, m.gen, total, m.orig.Descending, mark)
}

// endList closes a list page. A client that stopped reading (the write
// timed out, or it closed the connection) gets nothing more: the error
// writer logs it once as a client that went away and writes no second
// status line.
func (h *Handler) endList(r *http.Request, lw *listWriter) error {
	if err := lw.end(); err != nil {
		return &web.ClientGoneError{Err: err, Started: true}
	}
	return nil
}

// listUsers is GET /Users.
func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	lp, err := h.queryParams(c.query)
	if err != nil {
		return err
	}
	return h.list(w, r, c, c.types.User, lp)
}

// listGroups is GET /Groups.
func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request, c *call) error {
	lp, err := h.queryParams(c.query)
	if err != nil {
		return err
	}
	return h.list(w, r, c, c.types.Group, lp)
}

// searchUsers is POST /Users/.search (RFC 7644 §3.4.3).
func (h *Handler) searchUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	lp, err := h.searchParams(w, r)
	if err != nil {
		return err
	}
	return h.list(w, r, c, c.types.User, lp)
}

// searchGroups is POST /Groups/.search (RFC 7644 §3.4.3).
func (h *Handler) searchGroups(w http.ResponseWriter, r *http.Request, c *call) error {
	lp, err := h.searchParams(w, r)
	if err != nil {
		return err
	}
	return h.list(w, r, c, c.types.Group, lp)
}
