package mgmtapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/web"
)

// List page sizes of the management API.
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// page is the parsed paging and filter parameters of a list request.
type page struct {
	size  int
	after string // the id the page starts after; "" for the first page
	v     url.Values
}

// parsePage reads page_size and page_token, and rejects query parameters
// other than those and allowed. A page token is the base64url of the last
// id of the previous page; prefix is the id prefix it must carry, so a
// token of another list is rejected.
func parsePage(r *http.Request, prefix string, allowed ...string) (page, error) {
	p := page{size: defaultPageSize}
	v, err := queryParams(r, append([]string{"page_size", "page_token"}, allowed...)...)
	if err != nil {
		return p, err
	}
	p.v = v
	if s := v.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPageSize {
			return p, directory.Errorf(directory.KindInvalid, "page_size must be an integer from 1 to %d, got %q", maxPageSize, s)
		}
		p.size = n
	}
	if s := v.Get("page_token"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		id := string(b)
		if err != nil || len(b) > 64 || (prefix != "" && !strings.HasPrefix(id, prefix+"_")) || !isIDChars(id) {
			return p, directory.Errorf(directory.KindInvalid, "page_token is not valid: pass the next_page_token of a previous page as is")
		}
		p.after = id
	}
	return p, nil
}

// queryParams parses the query string, rejecting parameters not in
// allowed and parameters given twice.
func queryParams(r *http.Request, allowed ...string) (url.Values, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, directory.Errorf(directory.KindInvalid, "the query string is malformed: %v", err)
	}
	for k := range v {
		if !contains(allowed, k) {
			if len(allowed) == 0 {
				return nil, directory.Errorf(directory.KindInvalid, "unknown query parameter %q: this endpoint takes none", k)
			}
			return nil, directory.Errorf(directory.KindInvalid, "unknown query parameter %q: use %s", k, strings.Join(allowed, ", "))
		}
		if len(v[k]) > 1 {
			return nil, directory.Errorf(directory.KindInvalid, "query parameter %q is given more than once", k)
		}
	}
	return v, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isIDChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// boolParam parses an optional true/false query parameter.
func boolParam(v url.Values, name string) (*bool, error) {
	s := v.Get(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil || (s != "true" && s != "false") {
		return nil, directory.Errorf(directory.KindInvalid, "%s must be true or false, got %q", name, s)
	}
	return &b, nil
}

// writePage writes a list response. items holds up to size+1 rendered
// items (one more than the page, to know whether there is a next one) and
// ids their ids.
func writePage(w http.ResponseWriter, size int, data []any, lastID func(i int) string) error {
	var next any
	if len(data) > size {
		data = data[:size]
		next = base64.RawURLEncoding.EncodeToString([]byte(lastID(size - 1)))
	}
	if data == nil {
		data = []any{}
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, map[string]any{"data": data, "next_page_token": next})
}

// DefaultPageBytes is the default byte budget of one list page of the
// directory users, directory groups and the events feed, whose items can
// be large (a user's raw attributes, an event's data): a page ends early
// when the next item would take it past the budget, and its cursor
// continues after the last item returned.
const DefaultPageBytes = 8 << 20

// pageBuf collects the encoded items of one list page within the byte
// budget.
type pageBuf struct {
	budget web.PageBudget
	items  []json.RawMessage
}

func (h *Handler) newPageBuf() *pageBuf {
	limit := h.PageBytes
	if limit <= 0 {
		limit = DefaultPageBytes
	}
	return &pageBuf{budget: web.PageBudget{Limit: limit}}
}

// add encodes v and keeps it when it fits; false: the page is full and v
// was not kept.
func (b *pageBuf) add(v any) (bool, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return false, err
	}
	if !b.budget.Fits(len(raw) + 1) {
		return false, nil
	}
	b.budget.Add(len(raw) + 1)
	b.items = append(b.items, raw)
	return true, nil
}

func (b *pageBuf) len() int { return len(b.items) }

// write writes the page as {"data": […], members…}.
func (b *pageBuf) write(w http.ResponseWriter, members map[string]any) error {
	var out bytes.Buffer
	out.Grow(b.budget.Bytes + 64)
	out.WriteString(`{"data":[`)
	for i, raw := range b.items {
		if i > 0 {
			out.WriteByte(',')
		}
		out.Write(raw)
	}
	out.WriteByte(']')
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := json.Marshal(members[k])
		if err != nil {
			return err
		}
		out.WriteString(`,"` + k + `":`)
		out.Write(v)
	}
	out.WriteString("}\n")
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(out.Bytes())
	return err
}

// nextToken is the next_page_token of a page whose last item is lastID:
// null when there is no next page.
func nextToken(more bool, lastID string) any {
	if !more {
		return nil
	}
	return base64.RawURLEncoding.EncodeToString([]byte(lastID))
}
