package scimapi

import (
	"net/http"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// searchAll is POST /.search at the directory root (RFC 7644 §3.4.3): a
// search across Users and Groups.
//
// The RFC leaves the details to the service provider; ours:
//   - the filter is resolved against each resource type; a type whose
//     schema does not define an attribute the filter names has no matches
//     (userName eq "x" finds only users). A filter that is invalid for
//     every type, or invalid in any other way, is 400 invalidFilter;
//   - results are Users then Groups, and startIndex/count page over that
//     concatenation, so totalResults is the sum of both totals;
//   - sortBy sorts within each type; a type that does not define the
//     attribute keeps creation order. An attribute no type defines is 400.
func (h *Handler) searchAll(w http.ResponseWriter, r *http.Request, c *call) error {
	lp, err := h.searchParams(w, r)
	if err != nil {
		return err
	}
	types := []*schema.ResourceType{c.types.User, c.types.Group}
	queries := make([]*directory.Query, len(types))
	var firstErr error
	sortKnown := false
	for i, rt := range types {
		e, err := compileFilter(rt, lp.filter)
		if err != nil {
			if !filter.IsUnknownAttribute(err) {
				return err
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		sortBy, known, err := sortPath(rt, lp.sortBy)
		if err != nil {
			return err
		}
		sortKnown = sortKnown || known
		queries[i] = &directory.Query{Filter: e, SortBy: sortBy, Descending: lp.descending}
	}
	if queries[0] == nil && queries[1] == nil {
		return firstErr
	}
	if !sortKnown {
		return unknownSort(lp.sortBy)
	}
	// totalResults comes before Resources: count both types first.
	totals := make([]int, len(types))
	total := 0
	for i, rt := range types {
		if queries[i] == nil {
			continue
		}
		cq := *queries[i]
		cq.Limit = 0
		cr, err := h.reader(rt, c)(r.Context(), c, cq, nil)
		if err != nil {
			return err
		}
		totals[i] = cr.total
		total += cr.total
	}
	lw := newListWriter(w, h.lim.pageBytes)
	lw.begin(total, lp.startIndex)
	offset, limit := lp.startIndex-1, lp.count
	for i, rt := range types {
		q := queries[i]
		if q == nil {
			continue
		}
		if limit <= 0 {
			break
		}
		q.Offset, q.Limit, q.SkipTotal = offset, limit, true
		f, err := h.fill(r.Context(), c, h.reader(rt, c), *q, newProjection(rt, lp.attributes, lp.excluded), lw, func(int) {})
		n := f.n
		if err != nil {
			h.logger.WarnContext(r.Context(), "SCIM search page ended early: reading resources failed", "directory_id", c.dir, "error", err)
			break
		}
		if !lw.more() {
			break
		}
		limit -= n
		offset = max(offset-totals[i], 0)
	}
	return h.endList(r, lw)
}
