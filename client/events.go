package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Event is one change from the events feed or a webhook body.
type Event struct {
	Object         string    `json:"object"`
	ID             string    `json:"id"`
	Type           string    `json:"type"`
	OccurredAt     time.Time `json:"occurred_at"`
	OrganizationID string    `json:"organization_id"`
	// DirectoryID is "" for notices that belong to no directory.
	DirectoryID string `json:"directory_id"`
	// Sequence numbers a directory's events 1, 2, 3… without gaps.
	Sequence int64 `json:"sequence"`
	// Data is the object after the change: decode it into User, Group,
	// Membership or Directory according to Type.
	Data json.RawMessage `json:"data"`
	// PreviousAttributes holds, for *_updated events, the fields that
	// changed with their previous values.
	PreviousAttributes json.RawMessage `json:"previous_attributes,omitempty"`
	// Actor is who made the change; nil on events recorded before
	// scimbridge kept actors.
	Actor *EventActor `json:"actor"`
}

// EventActor says who made a change: Type "idp" (the IdP through SCIM; ID
// is the directory token), "portal" (an admin in the Admin Portal; ID is
// the portal link), "api_key" (the app; ID and Name are the key's),
// "bootstrap_key" or "system" (docs/events.md).
type EventActor struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Membership is the data of group_member_added and group_member_removed
// events.
type Membership struct {
	Group struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"group"`
	Member struct {
		Type        string `json:"type"` // "user" or "group"
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
	} `json:"member"`
}

// EventsOptions selects events from the feed.
type EventsOptions struct {
	// After is a cursor returned as next cursor by a previous read; "" is
	// the oldest kept event and "latest" the newest.
	After          string
	Limit          int
	Types          []string
	OrganizationID string
	DirectoryID    string
	// SubjectID keeps events about one user or group.
	SubjectID string
}

func (o EventsOptions) values() url.Values {
	q := url.Values{}
	set(q, "after", o.After)
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	set(q, "types", strings.Join(o.Types, ","))
	set(q, "organization_id", o.OrganizationID)
	set(q, "directory_id", o.DirectoryID)
	set(q, "subject_id", o.SubjectID)
	return q
}

// ListEvents reads one page of the feed and returns the cursor to pass as
// After next time (equal to opts.After when there were no events). Store
// the cursor only after handling the events: a consumer that does never
// misses or repeats an event.
func (c *Client) ListEvents(ctx context.Context, opts EventsOptions) ([]Event, string, error) {
	var out struct {
		Data       []Event `json:"data"`
		NextCursor string  `json:"next_cursor"`
	}
	if err := c.do(ctx, "GET", "/events", opts.values(), nil, &out); err != nil {
		return nil, "", err
	}
	return out.Data, out.NextCursor, nil
}

// GetEvent reads one event.
func (c *Client) GetEvent(ctx context.Context, id string) (Event, error) {
	var e Event
	err := c.do(ctx, "GET", "/events/"+esc(id), nil, nil, &e)
	return e, err
}

// FollowEvents reads the feed from opts.After and keeps following it,
// waiting poll between reads that find nothing, until ctx ends or the
// loop stops. Each event comes with the cursor to store once it is
// handled. An error ends the iteration after it is yielded.
func (c *Client) FollowEvents(ctx context.Context, opts EventsOptions, poll time.Duration) iter.Seq2[EventAt, error] {
	return func(yield func(EventAt, error) bool) {
		for {
			es, next, err := c.ListEvents(ctx, opts)
			if err != nil {
				if ctx.Err() == nil {
					yield(EventAt{}, err)
				}
				return
			}
			for i, e := range es {
				cursor := next
				if i < len(es)-1 {
					cursor = "" // only the page's last event carries the cursor
				}
				if !yield(EventAt{Event: e, Cursor: cursor}, nil) {
					return
				}
			}
			opts.After = next
			if len(es) > 0 {
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(poll):
			}
		}
	}
}

// EventAt is an event read by FollowEvents. Cursor is set on the last
// event of each page read: storing it after handling that event resumes
// the feed right after it.
type EventAt struct {
	Event
	Cursor string
}
