package directory

import (
	"context"
	"encoding/json"
	"time"
)

// PrefixEvent prefixes event ids.
const PrefixEvent = "evt"

// Event types. The directory ones follow Scalekit's names so that apps can
// move over; membership and notice events are ours.
const (
	EventDirectoryEnabled  = "organization.directory_enabled"
	EventDirectoryDisabled = "organization.directory_disabled"
	EventUserCreated       = "organization.directory.user_created"
	// EventUserUpdated covers attribute changes, deactivation and
	// reactivation (active in Previous) and role changes (roles in
	// Previous).
	EventUserUpdated        = "organization.directory.user_updated"
	EventUserDeleted        = "organization.directory.user_deleted"
	EventGroupCreated       = "organization.directory.group_created"
	EventGroupUpdated       = "organization.directory.group_updated"
	EventGroupDeleted       = "organization.directory.group_deleted"
	EventGroupMemberAdded   = "organization.directory.group_member_added"
	EventGroupMemberRemoved = "organization.directory.group_member_removed"
	// EventWebhookEndpointDisabled is a notice with no directory: an
	// endpoint that kept failing was disabled automatically.
	EventWebhookEndpointDisabled = "webhook_endpoint.disabled"
)

// EventTypes lists every event type, in the order the docs list them.
func EventTypes() []string {
	return []string{
		EventDirectoryEnabled, EventDirectoryDisabled,
		EventUserCreated, EventUserUpdated, EventUserDeleted,
		EventGroupCreated, EventGroupUpdated, EventGroupDeleted,
		EventGroupMemberAdded, EventGroupMemberRemoved,
		EventHoldOpened, EventHoldReleased, EventHoldDiscarded,
		EventWebhookEndpointDisabled,
	}
}

// ValidEventType reports whether t is a known event type.
func ValidEventType(t string) bool {
	for _, k := range EventTypes() {
		if k == t {
			return true
		}
	}
	return false
}

// Event is one change, as the feed and webhooks carry it. Events are
// written in the same transaction as the change they describe.
type Event struct {
	ID             string
	Type           string
	OccurredAt     time.Time
	OrganizationID string
	// DirectoryID is "" for notices that belong to no directory.
	DirectoryID string
	// Sequence numbers a directory's events 1, 2, 3… without gaps, in
	// commit order. 0 when DirectoryID is "".
	Sequence int64
	// Position is the event's place in the feed: positions grow in commit
	// order across all directories, so a consumer that stores the last
	// position it read never misses or repeats an event. It is the feed
	// cursor.
	Position int64
	// Data is the object after the change (for deletions: as it was),
	// rendered as the management API renders it.
	Data json.RawMessage
	// Previous holds, for *_updated events, the changed fields with their
	// previous values; nil otherwise.
	Previous json.RawMessage
	// Actor is who made the change (EventActor); nil on events recorded
	// before actors were kept.
	Actor *Actor
}

// EventQuery selects events from the feed.
type EventQuery struct {
	// After is the position to start after (0: from the oldest kept).
	After int64
	// Limit caps how many are returned (<= 0: a store default of 100).
	Limit          int
	Types          []string
	OrganizationID string
	DirectoryID    string
	// Subject, when set, keeps events whose data is that user or group
	// (or, for membership events, names it as the group or the member).
	Subject string
}

// EventLog is the feed's read side.
type EventLog interface {
	// ListEvents returns up to q.Limit events after q.After in position
	// order. Only committed events are returned, and an event is never
	// given a position lower than one already returned by any reader.
	ListEvents(ctx context.Context, q EventQuery) ([]Event, error)
	// GetEvent returns one event by id (KindNotFound when absent).
	GetEvent(ctx context.Context, id string) (Event, error)
	// LastEventPosition returns the position of the newest committed
	// event (0 when there is none): a consumer that starts there reads
	// only events committed later.
	LastEventPosition(ctx context.Context) (int64, error)
}

// EventPayload is an event as the feed and webhook deliveries carry it.
type EventPayload struct {
	Object         string          `json:"object"`
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	OccurredAt     string          `json:"occurred_at"`
	OrganizationID string          `json:"organization_id"`
	DirectoryID    *string         `json:"directory_id"`
	Sequence       *int64          `json:"sequence"`
	Data           json.RawMessage `json:"data"`
	// PreviousAttributes holds, for *_updated events, the fields that
	// changed with their values before the change.
	PreviousAttributes json.RawMessage `json:"previous_attributes,omitempty"`
	// Actor is who made the change; null on events recorded before
	// actors were kept.
	Actor *Actor `json:"actor"`
}

// Payload renders e for the feed and for webhook bodies: one shape for both.
func (e Event) Payload() EventPayload {
	p := EventPayload{
		Object:             "event",
		ID:                 e.ID,
		Type:               e.Type,
		OccurredAt:         e.OccurredAt.UTC().Format(time.RFC3339Nano),
		OrganizationID:     e.OrganizationID,
		Data:               e.Data,
		PreviousAttributes: e.Previous,
		Actor:              e.Actor,
	}
	if e.DirectoryID != "" {
		d, s := e.DirectoryID, e.Sequence
		p.DirectoryID, p.Sequence = &d, &s
	}
	if len(p.Data) == 0 {
		p.Data = json.RawMessage("{}")
	}
	return p
}

// MemberRecord is the data of group_member_added and group_member_removed
// events.
type MemberRecord struct {
	Object string      `json:"object"` // "directory_group_membership"
	Group  GroupBrief  `json:"group"`
	Member MemberBrief `json:"member"`
}

// MemberBrief names a member: a user or a nested group.
type MemberBrief struct {
	Type        string `json:"type"` // "user" or "group"
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
}

// DirectoryRecord is the data of directory enabled/disabled events.
type DirectoryRecord struct {
	Object         string `json:"object"` // "directory"
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	Name           string `json:"name"`
	Provider       string `json:"provider"`
	Enabled        bool   `json:"enabled"`
}
