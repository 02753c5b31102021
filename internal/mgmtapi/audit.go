package mgmtapi

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/web"
)

// auditRule says how a state-changing route is recorded in the audit log:
// the action's name, the target's type, and where the target's id comes
// from: a path parameter, or (for creations) the "id" or "key" field of the
// response. No other part of a request or response is kept.
type auditRule struct {
	action, targetType, param string
}

// auditRules covers every route that changes state. The route table test
// (audit_test.go) checks that every non-GET route is here or exempt.
func auditRules() map[string]auditRule {
	return map[string]auditRule{
		"POST /api/v1/organizations":                                         {"organization.create", "organization", ""},
		"PATCH /api/v1/organizations/{org_id}":                               {"organization.update", "organization", "org_id"},
		"DELETE /api/v1/organizations/{org_id}":                              {"organization.delete", "organization", "org_id"},
		"PUT /api/v1/organizations/{org_id}/default_role":                    {"organization.default_role.set", "organization", "org_id"},
		"POST /api/v1/organizations/{org_id}/directories":                    {"directory.create", "directory", ""},
		"PATCH /api/v1/directories/{dir_id}":                                 {"directory.update", "directory", "dir_id"},
		"DELETE /api/v1/directories/{dir_id}":                                {"directory.delete", "directory", "dir_id"},
		"POST /api/v1/directories/{dir_id}/tokens":                           {"token.create", "token", ""},
		"DELETE /api/v1/directories/{dir_id}/tokens/{token_id}":              {"token.revoke", "token", "token_id"},
		"PUT /api/v1/directories/{dir_id}/role_mappings":                     {"role_mappings.set", "directory", "dir_id"},
		"POST /api/v1/directories/{dir_id}/holds/{hold_id}/release":          {"hold.release", "hold", "hold_id"},
		"POST /api/v1/directories/{dir_id}/holds/{hold_id}/discard":          {"hold.discard", "hold", "hold_id"},
		"PUT /api/v1/directories/{dir_id}/attribute_mappings":                {"attribute_mappings.set", "directory", "dir_id"},
		"POST /api/v1/custom_attributes":                                     {"custom_attribute.create", "custom_attribute", ""},
		"PATCH /api/v1/custom_attributes/{key}":                              {"custom_attribute.update", "custom_attribute", "key"},
		"DELETE /api/v1/custom_attributes/{key}":                             {"custom_attribute.delete", "custom_attribute", "key"},
		"POST /api/v1/roles":                                                 {"role.create", "role", ""},
		"PATCH /api/v1/roles/{key}":                                          {"role.update", "role", "key"},
		"DELETE /api/v1/roles/{key}":                                         {"role.delete", "role", "key"},
		"POST /api/v1/webhook_endpoints":                                     {"webhook_endpoint.create", "webhook_endpoint", ""},
		"PATCH /api/v1/webhook_endpoints/{id}":                               {"webhook_endpoint.update", "webhook_endpoint", "id"},
		"DELETE /api/v1/webhook_endpoints/{id}":                              {"webhook_endpoint.delete", "webhook_endpoint", "id"},
		"POST /api/v1/webhook_endpoints/{id}/rotate_secret":                  {"webhook_endpoint.rotate_secret", "webhook_endpoint", "id"},
		"POST /api/v1/webhook_endpoints/{id}/deliveries/{delivery_id}/retry": {"webhook_delivery.retry", "webhook_delivery", "delivery_id"},
		"POST /api/v1/webhook_endpoints/{id}/test":                           {"webhook_endpoint.test", "webhook_endpoint", "id"},
		"POST /api/v1/webhook_endpoints/{id}/replay":                         {"webhook_endpoint.replay", "webhook_endpoint", "id"},
		"POST /api/v1/organizations/{org_id}/portal_links":                   {"portal_link.create", "portal_link", ""},
		"DELETE /api/v1/organizations/{org_id}/portal_links/{link_id}":       {"portal_link.revoke", "portal_link", "link_id"},
	}
}

// auditExempt are the non-GET routes that change nothing.
func auditExempt() []string {
	return []string{"POST /api/v1/directories/{dir_id}/role_mappings/preview", "POST /api/v1/directories/{dir_id}/attribute_mappings/preview"}
}

// audited records a successful (2xx) answer of a state-changing route in
// the audit log; other routes pass through.
func (h *Handler) audited(pattern string, rules map[string]auditRule, next web.HandlerFunc) web.HandlerFunc {
	rule, ok := rules[pattern]
	if !ok || h.Audit == nil {
		return next
	}
	method, route, _ := strings.Cut(pattern, " ")
	return func(w http.ResponseWriter, r *http.Request) error {
		rec := &auditRecorder{StatusRecorder: web.StatusRecorder{ResponseWriter: w}, keep: rule.param == ""}
		err := next(rec, r)
		if err != nil || rec.Status < 200 || rec.Status > 299 {
			return err
		}
		e := directory.AuditEntry{Action: rule.action, Method: method, Route: route, TargetType: rule.targetType,
			Status: rec.Status, SourceIP: SourceIP(r), RequestID: web.RequestID(r.Context()), OrganizationID: r.PathValue("org_id")}
		if a, ok := directory.ActorOf(r.Context()); ok { // set by authenticated
			e.ActorType, e.ActorID = a.Type, a.ID
		} else {
			e.ActorType, e.ActorID = h.Service.APIKeyActor(r.Context(), bearer(r), h.APIKey)
		}
		if rule.param != "" {
			e.TargetID = r.PathValue(rule.param)
		} else {
			var created struct{ ID, Key string }
			json.Unmarshal(rec.body.Bytes(), &created) // only the id is kept
			e.TargetID = created.ID
			if e.TargetID == "" {
				e.TargetID = created.Key
			}
		}
		h.Audit.Record(r.Context(), e)
		return nil
	}
}

// auditRecorder keeps the status and, for creations, the first 64 KiB of
// the body, from which only the new object's id is read.
type auditRecorder struct {
	web.StatusRecorder
	keep bool
	body bytes.Buffer
}

func (a *auditRecorder) Write(b []byte) (int, error) {
	if a.keep && a.body.Len() < 64<<10 {
		a.body.Write(b[:min(len(b), 64<<10-a.body.Len())])
	}
	return a.StatusRecorder.Write(b)
}

// bearer returns the request's bearer credential, or "".
func bearer(r *http.Request) string {
	scheme, secret, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(secret)
}

// SourceIP is the address the request came from (the TCP peer).
func SourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// listAuditLog is GET /api/v1/audit_log.
func (h *Handler) listAuditLog(w http.ResponseWriter, r *http.Request) error {
	if h.Audit == nil {
		return directory.Errorf(directory.KindNotFound, "the audit log is not enabled")
	}
	v, err := queryParams(r, "page_size", "page_token", "actor_id", "actor_type", "action", "target_id", "organization_id", "since", "until")
	if err != nil {
		return err
	}
	q := directory.AuditQuery{ActorID: v.Get("actor_id"), ActorType: v.Get("actor_type"), Action: v.Get("action"),
		TargetID: v.Get("target_id"), OrganizationID: v.Get("organization_id"), Before: v.Get("page_token"), Limit: 100}
	if s := v.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return directory.Errorf(directory.KindInvalid, "page_size must be a number from 1 to 1000")
		}
		q.Limit = n
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		if s := v.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return directory.Errorf(directory.KindInvalid, "%s must be an RFC 3339 time, e.g. 2030-01-02T15:04:05Z", p.name)
			}
			*p.dst = t
		}
	}
	es, err := h.Audit.List(r.Context(), q)
	if err != nil {
		return err
	}
	data := make([]any, 0, len(es))
	for _, e := range es {
		data = append(data, auditOut(e))
	}
	var next any
	if len(es) == q.Limit {
		next = es[len(es)-1].ID
	}
	return writeJSON(w, http.StatusOK, map[string]any{"data": data, "next_page_token": next})
}

func auditOut(e directory.AuditEntry) map[string]any {
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	return map[string]any{
		"object": "audit_entry", "id": e.ID, "occurred_at": timeOrNil(e.OccurredAt),
		"actor":           map[string]any{"type": e.ActorType, "id": null(e.ActorID)},
		"organization_id": null(e.OrganizationID), "action": e.Action, "method": e.Method, "route": e.Route,
		"target": map[string]any{"type": null(e.TargetType), "id": null(e.TargetID)},
		"status": e.Status, "source_ip": e.SourceIP, "request_id": e.RequestID,
	}
}
