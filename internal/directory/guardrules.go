package directory

import (
	"encoding/json"
	"fmt"
	"sort"
)

// The guard's event rules: which events are deprovisions, what the app saw
// of a user before one, and which events tell the app about a user it kept
// once the IdP agrees again. Pure functions, like eventrules.go; the store
// applies them to each transaction's events before writing them
// (docs/deprovisioning-guard.md).

// Hold event types (feed and webhooks).
const (
	EventHoldOpened    = "organization.directory.hold_opened"
	EventHoldReleased  = "organization.directory.hold_released"
	EventHoldDiscarded = "organization.directory.hold_discarded"
)

// Lifecycle is what an event does to a user's provisioning state.
type Lifecycle int8

// Lifecycle changes.
const (
	LifeNone            Lifecycle = iota
	LifeDeactivated               // active went from true to false
	LifeDeleted                   // the user was deleted
	LifeReactivated               // active went from false to true
	LifeCreatedInactive           // the user was created inactive (not a deprovision)
)

// Deprovision reports whether the change is one the guard counts.
func (l Lifecycle) Deprovision() bool { return l == LifeDeactivated || l == LifeDeleted }

// LifecycleOf says what e does to its user.
func LifecycleOf(e EventSpec) Lifecycle {
	switch e.Type {
	case EventUserDeleted:
		return LifeDeleted
	case EventUserCreated:
		if rec, ok := e.Data.(UserRecord); ok && !rec.Active {
			return LifeCreatedInactive
		}
	case EventUserUpdated:
		rec, ok := e.Data.(UserRecord)
		if !ok {
			return LifeNone
		}
		if _, changed := e.Previous["active"]; !changed {
			return LifeNone
		}
		if rec.Active {
			return LifeReactivated
		}
		return LifeDeactivated
	}
	return LifeNone
}

// AppRecordBefore returns the user record as the app saw it before the
// event with data and previous (a user_updated: data with the previous
// values put back; a user_deleted: data itself).
func AppRecordBefore(data, previous []byte) ([]byte, error) {
	if len(previous) == 0 {
		return data, nil
	}
	var rec, prev map[string]json.RawMessage
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("decoding event data: %w", err)
	}
	if err := json.Unmarshal(previous, &prev); err != nil {
		return nil, fmt.Errorf("decoding previous attributes: %w", err)
	}
	for k, v := range prev {
		if k == "raw_attributes" {
			continue // the SCIM document's changes; records carry none
		}
		rec[k] = v
	}
	out, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encoding user record: %w", err)
	}
	return out, nil
}

// DeleteAsDeactivation is what on_delete=deactivate makes of the IdP's
// delete of the user rec (as it was): a user_updated with active false.
func DeleteAsDeactivation(rec UserRecord) EventSpec {
	after := rec
	after.Active = false
	return EventSpec{Type: EventUserUpdated, Subject: rec.ID, Data: after, Previous: map[string]any{"active": rec.Active}}
}

// Agrees reports whether the IdP's record of a user agrees again with what
// the app kept after a discarded hold: the app kept the user active, so the
// IdP agrees once it is active again.
func Agrees(app, idp UserRecord) bool { return idp.Active == app.Active }

// ReconcileEvents are the events that bring the app from its record of a
// diverged user (app) to the IdP's (idp), once they agree: a user_updated
// with every field that differs, then one membership event per group the
// user left or joined meanwhile.
func ReconcileEvents(app, idp UserRecord) ([]EventSpec, error) {
	app.Diverged = false
	prev, err := PreviousAttributes(app, idp, nil, nil)
	if err != nil {
		return nil, err
	}
	var out []EventSpec
	if len(prev) > 0 {
		out = append(out, EventSpec{Type: EventUserUpdated, Subject: idp.ID, Data: idp, Previous: prev})
	}
	had, has := map[string]GroupBrief{}, map[string]GroupBrief{}
	for _, g := range app.Groups {
		had[g.ID] = g
	}
	for _, g := range idp.Groups {
		has[g.ID] = g
	}
	member := MemberBrief{Type: "user", ID: idp.ID, DisplayName: displayOf(idp)}
	for _, id := range sortedKeys(had) {
		if _, ok := has[id]; !ok {
			out = append(out, MembershipEvents(EventGroupMemberRemoved, had[id], []MemberBrief{member})...)
		}
	}
	for _, id := range sortedKeys(has) {
		if _, ok := had[id]; !ok {
			out = append(out, MembershipEvents(EventGroupMemberAdded, has[id], []MemberBrief{member})...)
		}
	}
	return out, nil
}

func displayOf(r UserRecord) string {
	if r.DisplayName != nil {
		return *r.DisplayName
	}
	return r.UserName
}

func sortedKeys(m map[string]GroupBrief) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// HoldRecord is the data of hold events, and a hold as the management API
// shows it (with its users there).
type HoldRecord struct {
	Object         string           `json:"object"` // "directory_hold"
	ID             string           `json:"id"`
	DirectoryID    string           `json:"directory_id"`
	OrganizationID string           `json:"organization_id"`
	Status         string           `json:"status"`
	Threshold      int              `json:"threshold"`
	UserCount      int              `json:"user_count"`
	EventCount     int              `json:"event_count"`
	OpenedAt       *string          `json:"opened_at"`
	ClosedAt       *string          `json:"closed_at"`
	ClosedBy       *string          `json:"closed_by"`
	Users          []HeldUserRecord `json:"users,omitempty"`
}

// HeldUserRecord is one user of a hold as the API shows it.
type HeldUserRecord struct {
	ID        string  `json:"id"`
	UserName  string  `json:"user_name"`
	State     string  `json:"state"`
	Action    string  `json:"action"`
	At        *string `json:"at"`
	RequestID *string `json:"request_id"`
}

// NewHoldRecord renders h; withUsers adds its users.
func NewHoldRecord(h Hold, withUsers bool) HoldRecord {
	r := HoldRecord{Object: "directory_hold", ID: h.ID, DirectoryID: h.DirectoryID, OrganizationID: h.OrganizationID,
		Status: h.Status, Threshold: h.Threshold, UserCount: max(len(h.Users), h.UserCount), EventCount: h.Events,
		OpenedAt: timeString(h.OpenedAt), ClosedAt: timeString(h.ClosedAt), ClosedBy: nonEmpty(h.ClosedBy)}
	if withUsers {
		r.Users = make([]HeldUserRecord, 0, len(h.Users))
		for _, u := range h.Users {
			r.Users = append(r.Users, HeldUserRecord{ID: u.UserID, UserName: u.UserName, State: u.State, Action: u.Action,
				At: timeString(u.At), RequestID: nonEmpty(u.RequestID)})
		}
	}
	return r
}

// HoldEvent is the event of a hold's opening or closing (typ one of the
// EventHold* types).
func HoldEvent(typ string, h Hold) EventSpec {
	return EventSpec{Type: typ, Subject: h.ID, Data: NewHoldRecord(h, false)}
}
