package mgmtapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// userOut renders a directory user with its normalized fields (the one
// shape events and webhooks carry too). detail adds the full SCIM document
// under raw_attributes.
func userOut(u directory.User, orgID string, groups []directory.GroupRef, eff *directory.Effective, detail bool) (directory.UserRecord, error) {
	out := directory.NewUserRecord(u, orgID, groups, eff)
	if detail {
		raw, err := json.Marshal(u.Doc)
		if err != nil {
			return out, fmt.Errorf("encoding user %s: %w", u.ID, err)
		}
		out.RawAttributes = raw
	}
	return out, nil
}

// and joins filter expressions; nil terms are skipped.
func and(es ...filter.Expr) filter.Expr {
	var out filter.Expr
	for _, e := range es {
		switch {
		case e == nil:
		case out == nil:
			out = e
		default:
			out = &filter.Logical{Op: filter.And, Left: out, Right: e}
		}
	}
	return out
}

func or(es ...filter.Expr) filter.Expr {
	out := es[0]
	for _, e := range es[1:] {
		out = &filter.Logical{Op: filter.Or, Left: out, Right: e}
	}
	return out
}

func cmp(name, sub string, op filter.Op, s string) filter.Expr {
	return &filter.Compare{Path: schema.Path{Name: name, Sub: sub}, Op: op, Value: filter.Value{Kind: filter.StringValue, Str: s}}
}

// updatedAfter parses an RFC 3339 updated_after into a filter.
func updatedAfter(s string) (filter.Expr, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, directory.Errorf(directory.KindInvalid, "updated_after must be an RFC 3339 time such as 2030-01-02T15:04:05Z, got %q", s)
	}
	return cmp("meta", "lastModified", filter.Gt, t.UTC().Format(time.RFC3339Nano)), nil
}

func checkID(name, value, prefix string) error {
	if value != "" && (!strings.HasPrefix(value, prefix+"_") || len(value) > 64 || !isIDChars(value)) {
		return directory.Errorf(directory.KindInvalid, "%s %q is not a %s id", name, value, prefix)
	}
	return nil
}

// userFilter builds the SCIM filter for the list parameters.
func (h *Handler) userFilter(p page) (filter.Expr, error) {
	v := p.v
	var terms []filter.Expr
	if g := v.Get("group_id"); g != "" {
		if err := checkID("group_id", g, directory.PrefixGroup); err != nil {
			return nil, err
		}
	}
	ua, err := updatedAfter(v.Get("updated_after"))
	if err != nil {
		return nil, err
	}
	terms = append(terms, ua)
	active, err := boolParam(v, "active")
	if err != nil {
		return nil, err
	}
	if active != nil {
		terms = append(terms, &filter.Compare{Path: schema.Path{Name: "active"}, Op: filter.Eq, Value: filter.Value{Kind: filter.BoolValue, Bool: *active}})
	}
	if e := v.Get("email"); e != "" {
		terms = append(terms, cmp("emails", "value", filter.Eq, e))
	}
	if q := strings.TrimSpace(v.Get("q")); q != "" {
		if len(q) > 200 {
			return nil, directory.Errorf(directory.KindInvalid, "q must be at most 200 characters")
		}
		terms = append(terms, or(
			cmp("userName", "", filter.Co, q),
			cmp("displayName", "", filter.Co, q),
			cmp("emails", "value", filter.Co, q),
			cmp("name", "givenName", filter.Co, q),
			cmp("name", "familyName", filter.Co, q),
		))
	}
	e := and(terms...)
	if e == nil {
		return nil, nil
	}
	return filter.Resolve(h.Service.Schemas.User, e)
}

// dirOrg returns the directory's organization id, or KindNotFound.
func (h *Handler) dirOrg(r *http.Request) (string, error) {
	d, err := h.Service.Store.GetDirectory(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return "", err
	}
	return d.OrganizationID, nil
}

// listUsers is GET /api/v1/directories/{dir_id}/users.
func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r, directory.PrefixUser, "group_id", "updated_after", "active", "email", "q", "include_detail")
	if err != nil {
		return err
	}
	detail, err := boolParam(p.v, "include_detail")
	if err != nil {
		return err
	}
	f, err := h.userFilter(p)
	if err != nil {
		return err
	}
	orgID, err := h.dirOrg(r)
	if err != nil {
		return err
	}
	dirID := r.PathValue("dir_id")
	withDetail := detail != nil && *detail
	// Read a chunk at a time within the page byte budget; one item more
	// than the page tells whether there is a next page.
	buf := h.newPageBuf()
	after, lastID, prev, more := p.after, "", 0, false
	for !more {
		n := buf.budget.NextChunk(prev, p.size+1-buf.len())
		pg, err := h.Service.Store.ListUsers(r.Context(), dirID, directory.Query{Filter: f, MemberOf: p.v.Get("group_id"), After: after, Limit: n, SkipTotal: true})
		if err != nil {
			return err
		}
		ids := make([]string, len(pg.Users))
		for i, u := range pg.Users {
			ids[i] = u.ID
		}
		groups, err := h.Service.Store.UserGroups(r.Context(), dirID, ids)
		if err != nil {
			return err
		}
		roles, err := h.Service.EffectiveRoles(r.Context(), orgID, dirID, ids)
		if err != nil {
			return err
		}
		for _, u := range pg.Users {
			if buf.len() == p.size {
				more = true
				break
			}
			eff := roles[u.ID]
			out, err := userOut(u, orgID, groups[u.ID], &eff, withDetail)
			if err != nil {
				return err
			}
			ok, err := buf.add(out)
			if err != nil {
				return err
			}
			if !ok {
				more = true
				break
			}
			lastID = u.ID
		}
		if len(pg.Users) < n {
			break
		}
		after, prev = ids[len(ids)-1], n
	}
	return buf.write(w, map[string]any{"next_page_token": nextToken(more, lastID)})
}

// getUser is GET /api/v1/directories/{dir_id}/users/{user_id}.
func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) error {
	v, err := queryParams(r, "include_detail")
	if err != nil {
		return err
	}
	detail, err := boolParam(v, "include_detail")
	if err != nil {
		return err
	}
	orgID, err := h.dirOrg(r)
	if err != nil {
		return err
	}
	dirID := r.PathValue("dir_id")
	u, err := h.Service.Store.GetUser(r.Context(), dirID, r.PathValue("user_id"))
	if err != nil {
		return err
	}
	groups, err := h.Service.Store.UserGroups(r.Context(), dirID, []string{u.ID})
	if err != nil {
		return err
	}
	roles, err := h.Service.EffectiveRoles(r.Context(), orgID, dirID, []string{u.ID})
	if err != nil {
		return err
	}
	eff := roles[u.ID]
	out, err := userOut(u, orgID, groups[u.ID], &eff, detail != nil && *detail)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
