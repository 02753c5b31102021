package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"
)

// AuditEntry is one administrative change recorded in the audit log.
type AuditEntry struct {
	Object     string    `json:"object"`
	ID         string    `json:"id"`
	OccurredAt time.Time `json:"occurred_at"`
	Actor      struct {
		// Type is api_key, bootstrap_key, portal or cli.
		Type string `json:"type"`
		// ID is the API key id, or the portal link that opened the portal
		// session; "" for the bootstrap key.
		ID string `json:"id"`
	} `json:"actor"`
	OrganizationID string `json:"organization_id"`
	Action         string `json:"action"` // e.g. "directory.update"
	Method         string `json:"method"`
	Route          string `json:"route"` // the route template
	Target         struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"target"`
	Status    int    `json:"status"`
	SourceIP  string `json:"source_ip"`
	RequestID string `json:"request_id"`
}

// AuditOptions filters the audit log; zero fields do not filter.
type AuditOptions struct {
	PageSize       int // 1 to 1000; 0 means the server's default (100)
	PageToken      string
	ActorID        string
	ActorType      string
	Action         string
	TargetID       string
	OrganizationID string
	Since, Until   time.Time
}

func (o AuditOptions) values() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	if o.PageSize > 0 {
		q.Set("page_size", strconv.Itoa(o.PageSize))
	}
	set("page_token", o.PageToken)
	set("actor_id", o.ActorID)
	set("actor_type", o.ActorType)
	set("action", o.Action)
	set("target_id", o.TargetID)
	set("organization_id", o.OrganizationID)
	if !o.Since.IsZero() {
		q.Set("since", o.Since.UTC().Format(time.RFC3339Nano))
	}
	if !o.Until.IsZero() {
		q.Set("until", o.Until.UTC().Format(time.RFC3339Nano))
	}
	return q
}

// ListAuditLog returns one page of audit entries, newest first, and the
// token of the next page ("" on the last).
func (c *Client) ListAuditLog(ctx context.Context, opts AuditOptions) ([]AuditEntry, string, error) {
	return getPage[AuditEntry](ctx, c, "/audit_log", opts.values())
}

// AuditLog iterates over every matching audit entry, newest first.
func (c *Client) AuditLog(ctx context.Context, opts AuditOptions) iter.Seq2[AuditEntry, error] {
	return all(func(token string) ([]AuditEntry, string, error) {
		opts.PageToken = token
		return c.ListAuditLog(ctx, opts)
	})
}
