package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// DeprovisionSettings are a directory's deprovisioning guard and policies
// (part of DirectorySettings; docs/deprovisioning-guard.md,
// docs/deprovisioning-policy.md).
type DeprovisionSettings struct {
	// OnDelete: what an IdP DELETE does, "delete" (the default) or
	// "deactivate" (the app keeps the user, inactive).
	OnDelete string `json:"on_delete"`
	// OnDeactivate: "keep" (the default) or "delete_after" (users inactive
	// for DeleteAfterDays are deleted).
	OnDeactivate     string           `json:"on_deactivate"`
	DeleteAfterDays  int              `json:"delete_after_days"` // 0 with "keep"
	DeprovisionGuard DeprovisionGuard `json:"deprovision_guard"`
}

// DeprovisionGuard: more than max(MinUsers, Percent % of the active users)
// deactivations and deletions within WindowMinutes open a hold.
type DeprovisionGuard struct {
	Enabled       bool `json:"enabled"`
	MinUsers      int  `json:"min_users"`
	Percent       int  `json:"percent"`
	WindowMinutes int  `json:"window_minutes"`
}

// DeprovisionSettingsUpdate changes the settings that are not nil (part of
// DirectorySettingsUpdate).
type DeprovisionSettingsUpdate struct {
	OnDelete         *string                 `json:"on_delete,omitempty"`
	OnDeactivate     *string                 `json:"on_deactivate,omitempty"`
	DeleteAfterDays  *int                    `json:"delete_after_days,omitempty"`
	DeprovisionGuard *DeprovisionGuardUpdate `json:"deprovision_guard,omitempty"`
}

// DeprovisionGuardUpdate changes the guard settings that are not nil.
type DeprovisionGuardUpdate struct {
	Enabled       *bool `json:"enabled,omitempty"`
	MinUsers      *int  `json:"min_users,omitempty"`
	Percent       *int  `json:"percent,omitempty"`
	WindowMinutes *int  `json:"window_minutes,omitempty"`
}

// Hold statuses.
const (
	HoldOpen      = "open"
	HoldReleased  = "released"
	HoldDiscarded = "discarded"
)

// Hold is a directory's deprovisioning guard at work: the deprovisions it
// keeps from the app until released or discarded.
type Hold struct {
	ID             string     `json:"id"`
	DirectoryID    string     `json:"directory_id"`
	OrganizationID string     `json:"organization_id"`
	Status         string     `json:"status"`
	Threshold      int        `json:"threshold"`
	UserCount      int        `json:"user_count"`
	EventCount     int        `json:"event_count"`
	OpenedAt       time.Time  `json:"opened_at"`
	ClosedAt       time.Time  `json:"closed_at,omitzero"`
	ClosedBy       string     `json:"closed_by"`
	Users          []HeldUser `json:"users"`
}

// HeldUser is a user a hold shields: what the IdP did to it ("deactivated"
// or "deleted"), when, by which SCIM request (see ListRequests).
type HeldUser struct {
	ID        string    `json:"id"`
	UserName  string    `json:"user_name"`
	State     string    `json:"state"` // "held", then "diverged" after a discard
	Action    string    `json:"action"`
	At        time.Time `json:"at"`
	RequestID string    `json:"request_id"`
}

// ListHolds returns a directory's holds, newest first.
func (c *Client) ListHolds(ctx context.Context, dirID string) ([]Hold, error) {
	var out struct {
		Data []Hold `json:"data"`
	}
	err := c.do(ctx, http.MethodGet, "/directories/"+url.PathEscape(dirID)+"/holds", nil, nil, &out)
	return out.Data, err
}

// ReleaseHold releases an open hold: the app gets the held events, in
// order, with their original times.
func (c *Client) ReleaseHold(ctx context.Context, dirID, holdID string) (Hold, error) {
	var out Hold
	err := c.do(ctx, http.MethodPost, "/directories/"+url.PathEscape(dirID)+"/holds/"+url.PathEscape(holdID)+"/release", nil, nil, &out)
	return out, err
}

// DiscardHold discards an open hold: the app keeps the users, marked
// diverged until the IdP agrees again.
func (c *Client) DiscardHold(ctx context.Context, dirID, holdID string) (Hold, error) {
	var out Hold
	err := c.do(ctx, http.MethodPost, "/directories/"+url.PathEscape(dirID)+"/holds/"+url.PathEscape(holdID)+"/discard", nil, nil, &out)
	return out, err
}
