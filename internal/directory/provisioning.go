package directory

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/scimbridge/scimbridge/internal/scim/patch"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// This file holds the SCIM provisioning operations (RFC 7644 §3.3–3.6): it
// turns request documents into stored users and groups. Documents arrive
// decoded (json.Decoder with UseNumber) and are normalised here; the SCIM
// surface renders what comes back.

// ETag returns the weak entity tag of a resource version (RFC 7644 §3.14).
func ETag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// checkIfMatch enforces an If-Match precondition (RFC 7644 §3.14,
// RFC 9110 §13.1.1). An empty header is no precondition.
func checkIfMatch(ifMatch string, version int64) error {
	ifMatch = strings.TrimSpace(ifMatch)
	if ifMatch == "" || ifMatch == "*" {
		return nil
	}
	want := ETag(version)
	for _, tag := range strings.Split(ifMatch, ",") {
		tag = strings.TrimSpace(tag)
		// Weak comparison: W/"3" matches "3" and W/"3".
		if strings.TrimPrefix(tag, "W/") == strings.TrimPrefix(want, "W/") {
			return nil
		}
	}
	return &Error{Kind: KindPrecondition, Message: fmt.Sprintf("the resource has changed: its current version is %s, the request's If-Match was %s", want, ifMatch)}
}

// invalid converts a protocol error from the scim packages into a domain
// error, keeping its scimType.
func invalid(err error) error {
	var se *schema.Error
	if errors.As(err, &se) {
		kind := KindInvalid
		if se.ScimType == schema.ErrTooMany {
			kind = KindTooMany
		}
		return &Error{Kind: kind, Message: se.Detail, ScimType: se.ScimType, Err: err}
	}
	return err
}

func (s *Service) patchOptions(d Directory) patch.Options {
	return patch.Options{MaxOperations: s.MaxPatchOperations, Strict: d.Settings.Strict}
}

func schemaOptions(d Directory) schema.Options { return schema.Options{Strict: d.Settings.Strict} }

// checkMembers enforces the directory's unknown-member policy: with
// RejectUnknownMembers, a write naming ids that are no user or group of
// the directory fails with invalidValue (a member deleted concurrently can
// still slip through; it is then skipped as usual).
func (s *Service) checkMembers(ctx context.Context, d Directory, ids []string) error {
	if !d.Settings.RejectUnknownMembers || len(ids) == 0 {
		return nil
	}
	unknown, err := s.Store.UnknownMembers(ctx, d.ID, ids)
	if err != nil {
		return err
	}
	if len(unknown) > 0 {
		more := ""
		if len(unknown) > 1 {
			more = fmt.Sprintf(" (and %d more)", len(unknown)-1)
		}
		return &Error{Kind: KindInvalid, ScimType: schema.ErrInvalidValue,
			Message: fmt.Sprintf("member %q is not a user or group of this directory%s; this directory rejects unknown members", unknown[0], more)}
	}
	return nil
}

// userFields copies the indexed values out of a user document and checks
// the rules a user must satisfy.
func userFields(u *User) error {
	name, _ := u.Doc["userName"].(string)
	if strings.TrimSpace(name) == "" {
		return &Error{Kind: KindInvalid, ScimType: schema.ErrInvalidValue, Message: "userName is required and must be a non-empty string (RFC 7643 §4.1.1)"}
	}
	if err := checkUserIdentifiers(u.Doc); err != nil {
		return err
	}
	u.UserName = name
	u.ExternalID, _ = u.Doc["externalId"].(string)
	// A user whose "active" is unassigned is active for the app: IdPs that
	// omit it provision active users, and deactivate by sending
	// active=false. The document keeps it unassigned (RFC 7644 §3.5.2.2:
	// a PATCH "remove" of active leaves no value to return).
	active, ok := u.Doc["active"].(bool)
	u.Active = active || !ok
	return nil
}

// CreateUser provisions a user from a POST body (RFC 7644 §3.3).
func (s *Service) CreateUser(ctx context.Context, d Directory, raw map[string]any) (User, error) {
	u, err := s.newUser(d, raw)
	if err != nil {
		return User{}, err
	}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		return User{}, err
	}
	return u, nil
}

// newUser makes the user a POST body describes in directory d.
func (s *Service) newUser(d Directory, raw map[string]any) (User, error) {
	doc, err := schema.Normalize(s.Schemas.User, raw, schemaOptions(d))
	if err != nil {
		return User{}, invalid(err)
	}
	id, err := s.IDs.New(PrefixUser)
	if err != nil {
		return User{}, err
	}
	now := s.now()
	// A user created without "active" is active, and is returned so.
	if _, ok := doc["active"]; !ok {
		doc["active"] = true
	}
	u := User{ID: id, DirectoryID: d.ID, Doc: doc, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := userFields(&u); err != nil {
		return User{}, err
	}
	s.mapUser(d, &u)
	if err := s.checkSize("user", u.Doc, nil); err != nil {
		return User{}, err
	}
	return u, nil
}

// ReplaceUser replaces a user's attributes with a PUT body (RFC 7644
// §3.5.1). Attributes the body omits are cleared; readOnly ones ignored.
// It returns the user and its groups (Store.UpdateUser).
func (s *Service) ReplaceUser(ctx context.Context, d Directory, id string, raw map[string]any, ifMatch string) (User, []GroupRef, error) {
	doc, err := schema.Normalize(s.Schemas.User, raw, schemaOptions(d))
	if err != nil {
		return User{}, nil, invalid(err)
	}
	return s.Store.UpdateUser(ctx, d.ID, id, s.now(), func(u *User) (bool, error) {
		if err := checkIfMatch(ifMatch, u.Version); err != nil {
			return false, err
		}
		next := *u
		next.Doc = doc.Clone()
		// A PUT that omits "active" keeps the current state: clients that
		// PUT a partial profile must not reactivate a deprovisioned user
		// (an unassigned active stays unassigned).
		if _, ok := next.Doc["active"]; !ok {
			if cur, ok := u.Doc["active"]; ok {
				next.Doc["active"] = cur
			}
		}
		if err := userFields(&next); err != nil {
			return false, err
		}
		if equalDocs(u.Doc, next.Doc) {
			return false, nil
		}
		if err := s.checkSize("user", next.Doc, u.Doc); err != nil {
			return false, err
		}
		s.mapUser(d, &next)
		*u = next
		return true, nil
	})
}

// PatchUser applies a PatchOp body to a user (RFC 7644 §3.5.2) and
// returns it with its groups (Store.UpdateUser).
func (s *Service) PatchUser(ctx context.Context, d Directory, id string, body []byte, ifMatch string) (User, []GroupRef, error) {
	plan, err := patch.Parse(s.Schemas.User, body, s.patchOptions(d))
	if err != nil {
		return User{}, nil, invalid(err)
	}
	return s.Store.UpdateUser(ctx, d.ID, id, s.now(), func(u *User) (bool, error) {
		if err := checkIfMatch(ifMatch, u.Version); err != nil {
			return false, err
		}
		next := *u
		next.Doc = u.Doc.Clone()
		changed, err := patch.Apply(s.Schemas.User, next.Doc, plan.Ops, s.patchOptions(d))
		if err != nil {
			return false, invalid(err)
		}
		// RFC 7643 §2.4: an "add" may repeat a (type, value) pair.
		if schema.CollapseDuplicates(s.Schemas.User, next.Doc) {
			changed = true
		}
		if !changed || equalDocs(u.Doc, next.Doc) {
			return false, nil
		}
		if err := userFields(&next); err != nil {
			return false, err
		}
		// The result of the patch must respect the limits, whatever the
		// operations looked like.
		if err := s.checkSize("user", next.Doc, u.Doc); err != nil {
			return false, err
		}
		s.mapUser(d, &next)
		*u = next
		return true, nil
	})
}

// DeleteUser deletes a user (RFC 7644 §3.6) and its memberships.
func (s *Service) DeleteUser(ctx context.Context, d Directory, id, ifMatch string) error {
	return s.Store.DeleteUser(ctx, d.ID, id, ifMatchCheck(ifMatch))
}

// ifMatchCheck returns the precondition a store evaluates under the row
// lock before a delete, or nil when the request has none. Checking inside
// the deleting transaction means no write can come between the comparison
// and the delete (RFC 7644 §3.14).
func ifMatchCheck(ifMatch string) func(version int64) error {
	if strings.TrimSpace(ifMatch) == "" {
		return nil
	}
	return func(version int64) error { return checkIfMatch(ifMatch, version) }
}

// groupFields copies the indexed values out of a group document.
func groupFields(g *Group) error {
	name, _ := g.Doc["displayName"].(string)
	if strings.TrimSpace(name) == "" {
		return &Error{Kind: KindInvalid, ScimType: schema.ErrInvalidValue, Message: "displayName is required and must be a non-empty string (RFC 7643 §4.2)"}
	}
	if err := checkGroupIdentifiers(g.Doc); err != nil {
		return err
	}
	g.DisplayName = name
	g.ExternalID, _ = g.Doc["externalId"].(string)
	return nil
}

// splitMembers takes "members" out of a group document: members are rows,
// not part of the document. present is false when the body had no members
// attribute at all.
func splitMembers(doc schema.Resource) (ids []string, present bool, err error) {
	v, ok := doc["members"]
	if !ok {
		return nil, false, nil
	}
	delete(doc, "members")
	list, _ := v.([]any)
	seen := map[string]bool{}
	for _, item := range list {
		m, _ := item.(map[string]any)
		id, _ := m["value"].(string)
		if id == "" {
			return nil, true, &Error{Kind: KindInvalid, ScimType: schema.ErrInvalidValue, Message: "every member needs a non-empty \"value\" with the member's id"}
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, true, nil
}

// hasMembersKey reports whether the raw body names "members" at all, even
// as null or [].
func hasMembersKey(raw map[string]any) bool {
	for k := range raw {
		if strings.EqualFold(k, "members") {
			return true
		}
	}
	return false
}

func (s *Service) logUnknownMembers(ctx context.Context, dirID, groupID string, unknown []string) {
	if len(unknown) > 0 {
		s.Logger.WarnContext(ctx, "group members name no user or group of the directory; ignored",
			"directory_id", dirID, "group_id", groupID, "count", len(unknown), "first", unknown[0])
	}
}

// CreateGroup provisions a group from a POST body, with its initial
// members if the body lists any.
func (s *Service) CreateGroup(ctx context.Context, d Directory, raw map[string]any) (Group, error) {
	doc, err := schema.Normalize(s.Schemas.Group, raw, schemaOptions(d))
	if err != nil {
		return Group{}, invalid(err)
	}
	members, _, err := splitMembers(doc)
	if err != nil {
		return Group{}, err
	}
	id, err := s.IDs.New(PrefixGroup)
	if err != nil {
		return Group{}, err
	}
	now := s.now()
	g := Group{ID: id, DirectoryID: d.ID, Doc: doc, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := groupFields(&g); err != nil {
		return Group{}, err
	}
	if err := s.checkSize("group", g.Doc, nil); err != nil {
		return Group{}, err
	}
	if err := s.checkMembers(ctx, d, members); err != nil {
		return Group{}, err
	}
	unknown, err := s.Store.CreateGroup(ctx, g, members)
	if err != nil {
		return Group{}, err
	}
	s.logUnknownMembers(ctx, d.ID, id, unknown)
	return g, nil
}

// ReplaceGroup replaces a group with a PUT body. A body with "members"
// replaces the membership (Okta's app wizard sends the whole list); a body
// without it leaves the membership as it is (authentik omits members when it
// can PATCH them). RFC 7644 §3.5.1 allows either reading.
func (s *Service) ReplaceGroup(ctx context.Context, d Directory, id string, raw map[string]any, ifMatch string) (Group, error) {
	doc, err := schema.Normalize(s.Schemas.Group, raw, schemaOptions(d))
	if err != nil {
		return Group{}, invalid(err)
	}
	members, present, err := splitMembers(doc)
	if err != nil {
		return Group{}, err
	}
	present = present || hasMembersKey(raw)
	if err := s.checkMembers(ctx, d, members); err != nil {
		return Group{}, err
	}
	g, unknown, err := s.Store.UpdateGroup(ctx, d.ID, id, s.now(), func(g *Group) (bool, []MemberChange, error) {
		if err := checkIfMatch(ifMatch, g.Version); err != nil {
			return false, nil, err
		}
		next := *g
		next.Doc = doc.Clone()
		if err := groupFields(&next); err != nil {
			return false, nil, err
		}
		var changes []MemberChange
		if present {
			changes = []MemberChange{{Kind: ReplaceMembers, IDs: members}}
		}
		if equalDocs(g.Doc, next.Doc) {
			return false, changes, nil
		}
		if err := s.checkSize("group", next.Doc, g.Doc); err != nil {
			return false, nil, err
		}
		*g = next
		return true, changes, nil
	})
	if err != nil {
		return Group{}, err
	}
	s.logUnknownMembers(ctx, d.ID, id, unknown)
	return g, nil
}

// PatchGroup applies a PatchOp body to a group. Membership operations
// become row inserts and deletes whose cost is proportional to the members
// named in the request, never to the size of the group.
func (s *Service) PatchGroup(ctx context.Context, d Directory, id string, body []byte, ifMatch string) (Group, error) {
	plan, err := patch.Parse(s.Schemas.Group, body, s.patchOptions(d))
	if err != nil {
		return Group{}, invalid(err)
	}
	delta := plan.MemberDelta()
	if err := s.checkMembers(ctx, d, memberIDs(delta.Add)); err != nil {
		return Group{}, err
	}
	if delta.Cleared {
		s.Logger.WarnContext(ctx, "PATCH removes every member of a group (remove path=members without a value)",
			"directory_id", d.ID, "group_id", id)
	}
	var changes []MemberChange
	if delta.Reset {
		changes = append(changes, MemberChange{Kind: ReplaceMembers, IDs: memberIDs(delta.Add)})
	} else {
		if remove := storableIDs(delta.Remove); len(remove) > 0 {
			changes = append(changes, MemberChange{Kind: RemoveMembers, IDs: remove})
		}
		if len(delta.Add) > 0 {
			changes = append(changes, MemberChange{Kind: AddMembers, IDs: memberIDs(delta.Add)})
		}
	}
	g, unknown, err := s.Store.UpdateGroup(ctx, d.ID, id, s.now(), func(g *Group) (bool, []MemberChange, error) {
		if err := checkIfMatch(ifMatch, g.Version); err != nil {
			return false, nil, err
		}
		if len(plan.Ops) == 0 {
			return false, changes, nil
		}
		next := *g
		next.Doc = g.Doc.Clone()
		changed, err := patch.Apply(s.Schemas.Group, next.Doc, plan.Ops, s.patchOptions(d))
		if err != nil {
			return false, nil, invalid(err)
		}
		if schema.CollapseDuplicates(s.Schemas.Group, next.Doc) {
			changed = true
		}
		if !changed {
			return false, changes, nil
		}
		if err := groupFields(&next); err != nil {
			return false, nil, err
		}
		if err := s.checkSize("group", next.Doc, g.Doc); err != nil {
			return false, nil, err
		}
		*g = next
		return true, changes, nil
	})
	if err != nil {
		return Group{}, err
	}
	s.logUnknownMembers(ctx, d.ID, id, unknown)
	return g, nil
}

func memberIDs(ms []patch.Member) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.Value
	}
	return ids
}

// DeleteGroup deletes a group and its memberships.
func (s *Service) DeleteGroup(ctx context.Context, d Directory, id, ifMatch string) error {
	return s.Store.DeleteGroup(ctx, d.ID, id, ifMatchCheck(ifMatch))
}
