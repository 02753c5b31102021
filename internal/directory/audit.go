package directory

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"strings"
	"time"
)

// AuditEntry is one administrative change: who made it, what, to which
// object, when and from where. It never holds a secret: no request or
// response body is kept, only ids.
type AuditEntry struct {
	ID string // aud_…
	// ActorType is "api_key" (a management API key, ActorID its id),
	// "bootstrap_key" (the key from configuration), "portal" (an Admin
	// Portal session; ActorID the portal link that opened it) or "cli"
	// (a local command run against the database).
	ActorType string
	ActorID   string
	// OrganizationID is the organization the change belongs to, when the
	// actor is scoped to one (portal sessions) or the route names one.
	OrganizationID string
	// Action names the change, e.g. "directory.update"; Method and Route
	// are the HTTP request's method and route template.
	Action     string
	Method     string
	Route      string
	TargetType string // e.g. "directory"; "" when the change has no single object
	TargetID   string
	Status     int    // the HTTP status answered
	SourceIP   string // the client's address
	RequestID  string
	OccurredAt time.Time
}

// AuditQuery selects audit entries, newest first. Zero fields do not
// filter. Before is a cursor: the ID of the last entry of the previous page.
type AuditQuery struct {
	ActorID        string
	ActorType      string
	Action         string
	TargetID       string
	OrganizationID string
	Since, Until   time.Time // OccurredAt in [Since, Until)
	Before         string
	Limit          int
}

// AuditStore keeps the audit log. ListAudit returns up to q.Limit entries
// matching q, newest first, strictly older than the entry q.Before names.
type AuditStore interface {
	RecordAudit(ctx context.Context, e AuditEntry) error
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
}

// AuditLog records administrative changes. A nil *AuditLog records
// nothing.
type AuditLog struct {
	Store  AuditStore
	IDs    IDs
	Logger *slog.Logger
}

// Record stamps e with an id and the time and stores it. A failure is
// logged, not returned: the change it describes has already been made.
func (l *AuditLog) Record(ctx context.Context, e AuditEntry) {
	if l == nil {
		return
	}
	id, err := l.IDs.New("aud")
	if err == nil {
		e.ID = id
		e.OccurredAt = l.IDs.Now().UTC().Truncate(time.Microsecond)
		err = l.Store.RecordAudit(context.WithoutCancel(ctx), e)
	}
	if err != nil {
		l.Logger.ErrorContext(ctx, "recording audit entry", "action", e.Action, "target_id", e.TargetID, "error", err)
	}
}

// List reads audit entries (limit 1..1000, default 100).
func (l *AuditLog) List(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	if q.Limit > 1000 {
		return nil, Errorf(KindInvalid, "limit must be between 1 and 1000")
	}
	return l.Store.ListAudit(ctx, q)
}

// APIKeyActor names the actor behind a management API key that
// AuthenticateAPIKey accepted: ("bootstrap_key", "") for the configured
// key, ("api_key", its id) for a stored one. It never returns the secret.
func (s *Service) APIKeyActor(ctx context.Context, secret, bootstrap string) (actorType, actorID string) {
	if bootstrap != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(bootstrap)) == 1 {
		return "bootstrap_key", ""
	}
	if strings.HasPrefix(secret, APIKeyPrefix) {
		if k, err := s.Store.APIKeyByHash(ctx, HashSecret(secret)); err == nil {
			return "api_key", k.ID
		}
	}
	return "api_key", "unknown"
}
