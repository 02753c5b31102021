package portal

import (
	"context"
	"net"
	"net/http"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/web"
)

// auditRule says how a portal form post is recorded in the audit log: the
// action, the target's type and the path parameter naming it ("" when the
// handler names the object it created with noteTarget).
type auditRule struct{ action, targetType, param string }

// auditRules covers every portal route that changes state.
func auditRules() map[string]auditRule {
	return map[string]auditRule{
		"POST /portal/scim/providers/{slug}":                         {"directory.create", "directory", ""},
		"POST /portal/directories/{dir_id}/tokens":                   {"token.create", "token", ""},
		"POST /portal/directories/{dir_id}/tokens/{token_id}/revoke": {"token.revoke", "token", "token_id"},
		"POST /portal/directories/{dir_id}/enable":                   {"directory.enable", "directory", "dir_id"},
		"POST /portal/directories/{dir_id}/disable":                  {"directory.disable", "directory", "dir_id"},
		"POST /portal/directories/{dir_id}/delete":                   {"directory.delete", "directory", "dir_id"},
		"POST /portal/roles":                                         {"role_mappings.set", "organization", ""},
		"POST /portal/directories/{dir_id}/deprovisioning":           {"directory.update", "directory", "dir_id"},
		"POST /portal/directories/{dir_id}/holds/{hold_id}/release":  {"hold.release", "hold", "hold_id"},
		"POST /portal/directories/{dir_id}/holds/{hold_id}/discard":  {"hold.discard", "hold", "hold_id"},
		"POST /portal/attributes":                                    {"attribute_mappings.set", "organization", ""},
	}
}

type targetKey struct{}

// noteTarget tells the audit wrapper the id of the object a handler
// created.
func noteTarget(ctx context.Context, id string) {
	if p, ok := ctx.Value(targetKey{}).(*string); ok {
		*p = id
	}
}

type unchangedKey struct{}

// noteUnchanged tells the audit wrapper that the request changed nothing
// (it asked for a confirmation instead).
func noteUnchanged(ctx context.Context) {
	if p, ok := ctx.Value(unchangedKey{}).(*bool); ok {
		*p = true
	}
}

// audited records a portal change that succeeded (an answer below 400)
// with the session's organization and the link that opened it as actor.
// It runs inside authenticated, which has checked the session and CSRF.
func (h *Handler) audited(pattern string, rules map[string]auditRule, next web.HandlerFunc) web.HandlerFunc {
	rule, ok := rules[pattern]
	if !ok || h.Audit == nil {
		return next
	}
	method, route, _ := strings.Cut(pattern, " ")
	return func(w http.ResponseWriter, r *http.Request) error {
		var target string
		var unchanged bool
		rec := &web.StatusRecorder{ResponseWriter: w}
		ctx := context.WithValue(context.WithValue(r.Context(), targetKey{}, &target), unchangedKey{}, &unchanged)
		err := next(rec, r.WithContext(ctx))
		if err != nil || rec.Status >= 400 || unchanged {
			return err
		}
		if (pattern == "POST /portal/roles" || pattern == "POST /portal/attributes") && r.PostForm.Get("action") != "save" {
			return nil // a preview changes nothing
		}
		s := sessionOf(r.Context())
		if rule.param != "" {
			target = r.PathValue(rule.param)
		}
		if rule.targetType == "organization" {
			target = s.OrganizationID
		}
		host, _, serr := net.SplitHostPort(r.RemoteAddr)
		if serr != nil {
			host = r.RemoteAddr
		}
		status := rec.Status
		if status == 0 {
			status = http.StatusOK
		}
		h.Audit.Record(r.Context(), directory.AuditEntry{ActorType: "portal", ActorID: s.LinkID, OrganizationID: s.OrganizationID,
			Action: rule.action, Method: method, Route: route, TargetType: rule.targetType, TargetID: target,
			Status: status, SourceIP: host, RequestID: web.RequestID(r.Context())})
		return nil
	}
}
