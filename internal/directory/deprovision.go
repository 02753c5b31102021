package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// The deprovisioning guard (holds) and the deprovisioning policies: what
// they are, as settings, stored objects and the store methods behind them
// (docs/deprovisioning-guard.md, docs/deprovisioning-policy.md). The rules
// that decide which events a hold keeps are in guardrules.go.

// PrefixHold prefixes hold ids.
const PrefixHold = "hold"

// What the IdP's DELETE of a user does (DeprovisionSettings.OnDelete).
const (
	OnDeleteDelete     = "delete"     // the user is deleted: user_deleted
	OnDeleteDeactivate = "deactivate" // the app keeps it, inactive: user_updated
)

// DeprovisionSettings are a directory's guard and policy settings. They are
// stored apart from Settings (one row per directory that changed them);
// DefaultDeprovisionSettings is what a directory has until then.
type DeprovisionSettings struct {
	// GuardEnabled turns the guard on: more than Threshold(active)
	// deprovisions within GuardWindow open a hold.
	GuardEnabled bool
	// GuardMin and GuardPercent make the threshold: max(GuardMin,
	// GuardPercent % of the directory's active users).
	GuardMin     int
	GuardPercent int
	GuardWindow  time.Duration
	// OnDelete is OnDeleteDelete or OnDeleteDeactivate.
	OnDelete string
	// DeleteAfterDays, when > 0, deletes users that stayed inactive that
	// many days (on_deactivate=delete_after); 0 keeps them (keep).
	DeleteAfterDays int
}

// DefaultDeprovisionSettings: the guard on, more than max(10, 10 %) within
// an hour; IdP deletes delete; deactivated users are kept.
func DefaultDeprovisionSettings() DeprovisionSettings {
	return DeprovisionSettings{GuardEnabled: true, GuardMin: 10, GuardPercent: 10, GuardWindow: time.Hour,
		OnDelete: OnDeleteDelete}
}

// Threshold is how many deprovisions within the window a directory with
// active users tolerates: one more opens a hold.
func (s DeprovisionSettings) Threshold(active int) int {
	return max(s.GuardMin, active*s.GuardPercent/100)
}

// Validate checks the settings, naming the first bad one as the API
// spells it.
func (s DeprovisionSettings) Validate() error {
	switch {
	case s.GuardMin < 0 || s.GuardMin > 1_000_000:
		return Errorf(KindInvalid, "settings.deprovision_guard.min_users must be between 0 and 1000000, got %d", s.GuardMin)
	case s.GuardPercent < 0 || s.GuardPercent > 100:
		return Errorf(KindInvalid, "settings.deprovision_guard.percent must be between 0 and 100, got %d", s.GuardPercent)
	case s.GuardWindow < time.Minute || s.GuardWindow > 7*24*time.Hour:
		return Errorf(KindInvalid, "settings.deprovision_guard.window_minutes must be between 1 and 10080, got %d", int(s.GuardWindow/time.Minute))
	case s.OnDelete != OnDeleteDelete && s.OnDelete != OnDeleteDeactivate:
		return Errorf(KindInvalid, "settings.on_delete must be %q or %q, got %q", OnDeleteDelete, OnDeleteDeactivate, s.OnDelete)
	case s.DeleteAfterDays < 0 || s.DeleteAfterDays > 3650:
		return Errorf(KindInvalid, "settings.delete_after_days must be between 1 and 3650, got %d", s.DeleteAfterDays)
	}
	return nil
}

// Hold statuses.
const (
	HoldOpen      = "open"
	HoldReleased  = "released"
	HoldDiscarded = "discarded"
)

// Hold is a directory's guard at work: the deprovisions it keeps from the
// app, and what became of them.
type Hold struct {
	ID             string
	DirectoryID    string
	OrganizationID string
	Status         string
	// Threshold is the number of deprovisions the window tolerated when the
	// hold opened.
	Threshold int
	OpenedAt  time.Time
	ClosedAt  time.Time // zero while open
	// ClosedBy says who released or discarded it ("api_key:key_…",
	// "portal", "cli").
	ClosedBy string
	// Users are the users the hold shields, in the order they were
	// deprovisioned (once closed: those still diverged).
	Users []HeldUser
	// UserCount is how many users the hold shielded when it closed (0
	// while open: see Users).
	UserCount int
	// Events is how many events the hold keeps (0 once closed).
	Events int
}

// App user states: why the app sees a user differently from the IdP.
const (
	AppUserHeld     = "held"     // an open hold keeps its deprovision
	AppUserDiverged = "diverged" // a discarded hold: the IdP says otherwise
	AppUserRetained = "retained" // on_delete=deactivate kept a user the IdP deleted
)

// Deprovision actions.
const (
	ActionDeactivated = "deactivated"
	ActionDeleted     = "deleted"
)

// HeldUser is a user the app sees differently from the IdP (AppUser*
// states), with the deprovision that made it so.
type HeldUser struct {
	UserID   string
	UserName string
	State    string
	HoldID   string // "" for retained users
	// Action is what the IdP did: ActionDeactivated or ActionDeleted.
	Action string
	// At is when, and RequestID the SCIM request that did it (as the
	// request log records it; "" when unknown).
	At        time.Time
	RequestID string
	// Record is the user as the app sees it (a UserRecord).
	Record json.RawMessage
}

// UserRecord decodes the record the app sees.
func (h HeldUser) UserRecord() (UserRecord, error) {
	var r UserRecord
	if err := json.Unmarshal(h.Record, &r); err != nil {
		return r, fmt.Errorf("decoding held user %s: %w", h.UserID, err)
	}
	r.Diverged = h.State == AppUserDiverged
	return r, nil
}

// HoldStore is what the guard and the policies need of a store (part of
// Store; every method is one transaction).
type HoldStore interface {
	// DeprovisionSettings returns the directory's settings (the defaults
	// when it never changed them). An unknown directory is KindNotFound.
	DeprovisionSettings(ctx context.Context, directoryID string) (DeprovisionSettings, error)
	// UpdateDeprovisionSettings loads the settings, calls fn and stores
	// the result.
	UpdateDeprovisionSettings(ctx context.Context, directoryID string, fn func(*DeprovisionSettings) error) (DeprovisionSettings, error)
	// ListHolds returns the directory's holds, newest first, each with its
	// users (closed holds: the users still diverged).
	ListHolds(ctx context.Context, directoryID string) ([]Hold, error)
	// ReleaseHold appends the events an open hold keeps to the events
	// table, in the order they happened and with their original times,
	// after a hold_released event, and closes the hold; the app then sees
	// the users as the IdP does. A hold that is not open is KindConflict.
	ReleaseHold(ctx context.Context, directoryID, holdID, by string, now time.Time) (Hold, error)
	// DiscardHold drops the events an open hold keeps, closes it with a
	// hold_discarded event and marks its users diverged: the app keeps
	// them as it saw them until the IdP sends a change that agrees.
	DiscardHold(ctx context.Context, directoryID, holdID, by string, now time.Time) (Hold, error)
	// AppUsers returns, of the listed users, those the app sees
	// differently from the IdP, keyed by user id.
	AppUsers(ctx context.Context, directoryID string, userIDs []string) (map[string]HeldUser, error)
	// ListAppUsers returns the users of the directory the app sees
	// differently, in user id order, after the id after ("" from the
	// first); with gone, only those the IdP no longer has.
	ListAppUsers(ctx context.Context, directoryID, after string, gone bool) ([]HeldUser, error)
	// AppUserCount returns how many users of the directory the app sees
	// differently while the IdP still has them (held or diverged).
	AppUserCount(ctx context.Context, directoryID string) (int, error)
	// ExpireInactiveUsers deletes up to limit users, over all directories
	// with on_deactivate=delete_after, that have been inactive (or
	// retained after an IdP delete) for longer than their directory's
	// delete_after_days at time now, each with a user_deleted event. The
	// delete is conditional (the user is still inactive, since the same
	// time), so several processes may run it at once. It returns how many
	// it deleted.
	ExpireInactiveUsers(ctx context.Context, now time.Time, limit int) (int, error)
}

// ctxKey types context values of this package.
type ctxKey int

const requestIDKey ctxKey = 0

// WithRequestID returns ctx carrying the id of the SCIM request being
// served, which holds record as the request that deprovisioned a user.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestIDFrom returns the request id WithRequestID stored ("" if none).
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}
