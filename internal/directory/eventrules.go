package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// The event rules: which events a change produces and what they carry.
// They are pure functions of what the store read and wrote inside the
// change's transaction; the store then numbers the events (sequence,
// position, id) and inserts them in that same transaction. A new Store
// backend reuses these rules and implements only the reads, the
// sequencing and the inserts (docs/events.md, docs/architecture.md).

// EventSpec is one event as the rules decide it, before the store gives
// it an id, a sequence and a position.
type EventSpec struct {
	Type    string
	Subject string // the user, group or directory the event is about
	Member  string // membership events: the member (user or group) id
	Data    any    // the object after the change, as the feed carries it
	// Previous lists, on *_updated events, the changed fields with their
	// values before the change; nil elsewhere.
	Previous map[string]any
}

// EventActor decides who the events written in ctx are attributed to: the
// actor the surface that authenticated the request put in ctx (the IdP and
// its token, a portal session, an API key), else scimbridge itself. The
// store stamps every event of a change with it, in the change's
// transaction.
func EventActor(ctx context.Context) Actor {
	if a, ok := ActorOf(ctx); ok {
		return a
	}
	return Actor{Type: ActorSystem}
}

// UserCreatedEvent: the IdP created a user (rec as stored, with its
// groups and roles).
func UserCreatedEvent(rec UserRecord) EventSpec {
	return EventSpec{Type: EventUserCreated, Subject: rec.ID, Data: rec}
}

// UserDeletedEvent: the IdP deleted a user; rec is the user as it was.
func UserDeletedEvent(rec UserRecord) EventSpec {
	return EventSpec{Type: EventUserDeleted, Subject: rec.ID, Data: rec}
}

// UserUpdatedEvent: a user's attributes changed. before and after are the
// records (the same groups and roles: membership and role changes have
// events of their own), beforeDoc and afterDoc the SCIM documents.
func UserUpdatedEvent(before, after UserRecord, beforeDoc, afterDoc map[string]any) (EventSpec, error) {
	prev, err := PreviousAttributes(before, after, beforeDoc, afterDoc)
	if err != nil {
		return EventSpec{}, err
	}
	return EventSpec{Type: EventUserUpdated, Subject: after.ID, Data: after, Previous: prev}, nil
}

// RoleChangeEvent: a user's effective roles changed (its groups' mappings,
// its memberships of mapped groups, or the default role changed); rec has
// the new roles, before the old ones.
func RoleChangeEvent(rec UserRecord, before Effective) EventSpec {
	return EventSpec{Type: EventUserUpdated, Subject: rec.ID, Data: rec,
		Previous: map[string]any{"roles": before.Roles, "role": before.Role}}
}

// CustomAttributesEvent: a user's mapped custom attributes changed because
// the directory's attribute mappings changed; rec has the new values,
// before the old ones (an IdP write that changes a mapped value is a
// UserUpdatedEvent, whose previous_attributes list custom_attributes the
// same way).
func CustomAttributesEvent(rec UserRecord, before map[string]any) EventSpec {
	return EventSpec{Type: EventUserUpdated, Subject: rec.ID, Data: rec,
		Previous: map[string]any{"custom_attributes": before}}
}

// GroupCreatedEvents: the IdP created a group with its first members
// (one group_member_added per member, after group_created).
func GroupCreatedEvents(rec GroupRecord, added []MemberBrief) []EventSpec {
	out := []EventSpec{{Type: EventGroupCreated, Subject: rec.ID, Data: rec}}
	return append(out, MembershipEvents(EventGroupMemberAdded, GroupBrief{ID: rec.ID, Name: rec.Name}, added)...)
}

// MemberDelta is one step of a group's membership change: the members it
// added, or removed, in the order the request applied them.
type MemberDelta struct {
	Added   bool
	Members []MemberBrief
}

// GroupUpdatedEvents: a group changed. When its document changed (docChanged)
// and a field the app sees differs, group_updated comes first (a PATCH
// that only touched members changes no attribute and has none); then one
// membership event per member, in the order of deltas.
func GroupUpdatedEvents(before, after GroupRecord, beforeDoc, afterDoc map[string]any, docChanged bool, deltas []MemberDelta) ([]EventSpec, error) {
	var out []EventSpec
	if docChanged {
		prev, err := PreviousAttributes(before, after, beforeDoc, afterDoc)
		if err != nil {
			return nil, err
		}
		if len(prev) > 0 {
			out = append(out, EventSpec{Type: EventGroupUpdated, Subject: after.ID, Data: after, Previous: prev})
		}
	}
	g := GroupBrief{ID: after.ID, Name: after.Name}
	for _, d := range deltas {
		typ := EventGroupMemberRemoved
		if d.Added {
			typ = EventGroupMemberAdded
		}
		out = append(out, MembershipEvents(typ, g, d.Members)...)
	}
	return out, nil
}

// GroupDeletedEvent: the IdP deleted a group; rec is the group as it was.
// Its memberships go with it without events of their own.
func GroupDeletedEvent(rec GroupRecord) EventSpec {
	return EventSpec{Type: EventGroupDeleted, Subject: rec.ID, Data: rec}
}

// MembershipEvents: one event of type typ per member of group g.
func MembershipEvents(typ string, g GroupBrief, members []MemberBrief) []EventSpec {
	out := make([]EventSpec, 0, len(members))
	for _, m := range members {
		out = append(out, EventSpec{Type: typ, Subject: g.ID, Member: m.ID,
			Data: MemberRecord{Object: "directory_group_membership", Group: g, Member: m}})
	}
	return out
}

// DirectoryStateEvent: a directory was enabled or disabled (nothing when
// its state did not change).
func DirectoryStateEvent(d Directory, wasEnabled bool) (EventSpec, bool) {
	if d.Enabled == wasEnabled {
		return EventSpec{}, false
	}
	typ := EventDirectoryDisabled
	if d.Enabled {
		typ = EventDirectoryEnabled
	}
	rec := DirectoryRecord{Object: "directory", ID: d.ID, OrganizationID: d.OrganizationID, Name: d.Name, Provider: d.Provider, Enabled: d.Enabled}
	return EventSpec{Type: typ, Subject: d.ID, Data: rec}, true
}

// PreviousAttributes returns the fields of before that differ in after,
// with before's values (null: the field was absent). Records compare field
// by field as JSON; raw_attributes compares the SCIM documents attribute by
// attribute and lists only the top-level attributes that changed.
// updated_at, groups and member_count are not compared: membership changes
// have their own events; meta and members are left out of raw_attributes
// for the same reasons.
func PreviousAttributes(before, after any, beforeDoc, afterDoc map[string]any) (map[string]any, error) {
	var prev map[string]any
	var err error
	bu, ok1 := before.(UserRecord)
	au, ok2 := after.(UserRecord)
	if ok1 && ok2 {
		prev, err = previousUserFields(&bu, &au)
	} else {
		prev, err = previousFields(before, after)
	}
	if err != nil {
		return nil, err
	}
	raw := map[string]any{}
	for k, v := range beforeDoc {
		if !reflect.DeepEqual(v, afterDoc[k]) {
			raw[k] = v
		}
	}
	for k := range afterDoc {
		if _, ok := beforeDoc[k]; !ok {
			raw[k] = nil
		}
	}
	delete(raw, "meta")
	delete(raw, "members")
	if len(raw) > 0 {
		prev["raw_attributes"] = raw
	}
	return prev, nil
}

// skipPrevious reports the members of a record that previous_attributes
// never lists.
func skipPrevious(k string) bool {
	switch k {
	case "updated_at", "raw_attributes", "groups", "member_count":
		return true
	}
	return false
}

// previousFields compares two records member by member as JSON: it
// returns, for each member whose encoding differs, its encoding before
// (null when it was absent).
func previousFields(before, after any) (map[string]any, error) {
	b, err := jsonFields(before)
	if err != nil {
		return nil, err
	}
	a, err := jsonFields(after)
	if err != nil {
		return nil, err
	}
	prev := map[string]any{}
	for k, v := range b {
		if !skipPrevious(k) && !bytes.Equal(v, a[k]) {
			prev[k] = v
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok && !skipPrevious(k) {
			prev[k] = nil
		}
	}
	return prev, nil
}

// previousUserFields is previousFields for two user records, without
// encoding both records and decoding them into maps (about 6 % of a
// PATCH's CPU): it compares the members' values (UserRecord.jsonMembers)
// and encodes only those that differ, to compare their encodings as
// previousFields does and to return the one before, the same bytes that
// member has inside the encoded record.
func previousUserFields(before, after *UserRecord) (map[string]any, error) {
	bm, am := before.jsonMembers(), after.jsonMembers()
	prev := map[string]any{}
	for i, b := range bm {
		a := am[i]
		if skipPrevious(b.name) || (b.omitted && a.omitted) {
			continue
		}
		if b.omitted {
			prev[b.name] = nil
			continue
		}
		if !a.omitted && reflect.DeepEqual(b.value, a.value) {
			continue
		}
		bj, err := json.Marshal(b.value)
		if err != nil {
			return nil, fmt.Errorf("encoding event: %w", err)
		}
		if !a.omitted {
			aj, err := json.Marshal(a.value)
			if err != nil {
				return nil, fmt.Errorf("encoding event: %w", err)
			}
			if bytes.Equal(bj, aj) {
				continue
			}
		}
		prev[b.name] = json.RawMessage(bj)
	}
	return prev, nil
}

func jsonFields(v any) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding event: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("encoding event: %w", err)
	}
	return m, nil
}

// MembershipFlips returns, sorted, the users whose membership of a group
// differs between before the change (was) and after it (is).
func MembershipFlips(was, is map[string]bool) []string {
	var ids []string
	for id, w := range was {
		if w != is[id] {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// MembershipRoleChanges decides whose effective roles change when users
// join or leave one group that maps to grants: others holds, per user in
// ids, the grants of its other groups; was and is whether it was a member
// before and is one after. It returns the users whose roles changed,
// sorted, with their roles before.
func MembershipRoleChanges(grants []RoleGrant, ids []string, others map[string][]RoleGrant, was, is map[string]bool, def string) ([]string, map[string]Effective) {
	if len(grants) == 0 {
		return nil, nil
	}
	before := map[string]Effective{}
	var changed []string
	for _, id := range ids {
		with := append(append([]RoleGrant(nil), others[id]...), grants...)
		b, a := others[id], others[id]
		if was[id] {
			b = with
		}
		if is[id] {
			a = with
		}
		eb, ea := EffectiveRoles(b, def), EffectiveRoles(a, def)
		if !reflect.DeepEqual(eb, ea) {
			before[id] = eb
			changed = append(changed, id)
		}
	}
	sort.Strings(changed)
	return changed, before
}

// RoleSnapshot is what decides a directory's effective roles: the default
// role and the grants of every user that has any.
type RoleSnapshot struct {
	Default string
	Grants  map[string][]RoleGrant
}

// RoleChangeCandidates says whose roles a change from before to after can
// have changed: every user when the default role changed (all is true:
// the store lists them), else those with grants before or after.
func RoleChangeCandidates(before, after RoleSnapshot) (ids []string, all bool) {
	if before.Default != after.Default {
		return nil, true
	}
	seen := map[string]bool{}
	for id := range before.Grants {
		seen[id] = true
	}
	for id := range after.Grants {
		seen[id] = true
	}
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, false
}

// RoleChanges returns, sorted, the candidates whose effective roles differ
// between the snapshots, with their roles before.
func RoleChanges(before, after RoleSnapshot, candidates []string) ([]string, map[string]Effective) {
	prev := map[string]Effective{}
	var changed []string
	for _, id := range candidates {
		eb, ea := EffectiveRoles(before.Grants[id], before.Default), EffectiveRoles(after.Grants[id], after.Default)
		if !reflect.DeepEqual(eb, ea) {
			prev[id] = eb
			changed = append(changed, id)
		}
	}
	sort.Strings(changed)
	return changed, prev
}
