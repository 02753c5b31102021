package mgmtapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/web"
)

// Handler serves /api/v1. Its fields are its dependencies.
type Handler struct {
	Service   *directory.Service
	Webhooks  *directory.WebhookService
	Logger    *slog.Logger
	PublicURL string // e.g. https://scim.example.com; endpoint URLs are built from it
	APIKey    string // optional bootstrap key from configuration
	// Portal creates Admin Portal links; nil answers its routes 404.
	Portal *directory.Portal
	// Limiter, when set, caps the requests in flight across the surfaces
	// that share it; beyond it a request is answered 503 with Retry-After.
	Limiter *web.Limiter
	// PageBytes is the byte budget of one list page (pagination.go); 0
	// takes DefaultPageBytes.
	PageBytes int
	// Audit records every change (audit.go); nil records nothing and
	// answers the audit log's route 404.
	Audit *directory.AuditLog
}

// route is one entry of the route table: a ServeMux pattern and its handler.
type route struct {
	pattern string
	fn      web.HandlerFunc
}

// routeTable is every route of /api/v1. docs/openapi.yaml documents exactly
// these (openapi_test.go checks it both ways).
func (h *Handler) routeTable() []route {
	return []route{
		{"POST /api/v1/organizations", h.createOrganization},
		{"GET /api/v1/organizations/{org_id}", h.getOrganization},
		{"POST /api/v1/organizations/{org_id}/directories", h.createDirectory},
		{"GET /api/v1/directories/{dir_id}", h.getDirectory},
		{"PATCH /api/v1/directories/{dir_id}", h.updateDirectory},
		{"POST /api/v1/directories/{dir_id}/tokens", h.createToken},
		{"GET /api/v1/directories/{dir_id}/tokens", h.listTokens},
		{"DELETE /api/v1/directories/{dir_id}/tokens/{token_id}", h.revokeToken},
		{"GET /api/v1/directories/{dir_id}/requests", h.listRequests},
		// The deprovisioning guard's holds (holds.go).
		{"GET /api/v1/directories/{dir_id}/holds", h.listHolds},
		{"POST /api/v1/directories/{dir_id}/holds/{hold_id}/release", h.releaseHold},
		{"POST /api/v1/directories/{dir_id}/holds/{hold_id}/discard", h.discardHold},
		// Organizations, directories, directory users and groups.
		{"GET /api/v1/organizations", h.listOrganizations},
		{"PATCH /api/v1/organizations/{org_id}", h.updateOrganization},
		{"DELETE /api/v1/organizations/{org_id}", h.deleteOrganization},
		{"GET /api/v1/organizations/{org_id}/directories", h.listDirectories},
		{"DELETE /api/v1/directories/{dir_id}", h.deleteDirectory},
		{"GET /api/v1/directories/{dir_id}/users", h.listUsers},
		{"GET /api/v1/directories/{dir_id}/users/{user_id}", h.getUser},
		{"GET /api/v1/directories/{dir_id}/groups", h.listGroups},
		{"GET /api/v1/directories/{dir_id}/groups/{group_id}", h.getGroup},
		{"GET /api/v1/directories/{dir_id}/groups/{group_id}/members", h.listMembers},
		// The events feed (events.go).
		{"GET /api/v1/events", h.listEvents},
		{"GET /api/v1/events/{event_id}", h.getEvent},
		// Roles and group-based role assignment (roles.go).
		{"GET /api/v1/roles", h.listRoles},
		{"POST /api/v1/roles", h.createRole},
		{"PATCH /api/v1/roles/{key}", h.updateRole},
		{"DELETE /api/v1/roles/{key}", h.deleteRole},
		{"GET /api/v1/directories/{dir_id}/role_mappings", h.getRoleMappings},
		{"PUT /api/v1/directories/{dir_id}/role_mappings", h.putRoleMappings},
		{"POST /api/v1/directories/{dir_id}/role_mappings/preview", h.previewRoleMappings},
		// Custom attributes and attribute mappings (customattrs.go).
		{"GET /api/v1/custom_attributes", h.listCustomAttributes},
		{"POST /api/v1/custom_attributes", h.createCustomAttribute},
		{"PATCH /api/v1/custom_attributes/{key}", h.updateCustomAttribute},
		{"DELETE /api/v1/custom_attributes/{key}", h.deleteCustomAttribute},
		{"GET /api/v1/directories/{dir_id}/attribute_mappings", h.getAttributeMappings},
		{"PUT /api/v1/directories/{dir_id}/attribute_mappings", h.putAttributeMappings},
		{"POST /api/v1/directories/{dir_id}/attribute_mappings/preview", h.previewAttributeMappings},
		{"GET /api/v1/directories/{dir_id}/attribute_sources", h.listAttributeSources},
		{"PUT /api/v1/organizations/{org_id}/default_role", h.setOrganizationDefaultRole},
		// Webhook endpoints and deliveries (webhooks.go).
		{"POST /api/v1/webhook_endpoints", h.createWebhookEndpoint},
		{"GET /api/v1/webhook_endpoints", h.listWebhookEndpoints},
		{"GET /api/v1/webhook_endpoints/{id}", h.getWebhookEndpoint},
		{"PATCH /api/v1/webhook_endpoints/{id}", h.updateWebhookEndpoint},
		{"DELETE /api/v1/webhook_endpoints/{id}", h.deleteWebhookEndpoint},
		{"POST /api/v1/webhook_endpoints/{id}/rotate_secret", h.rotateWebhookSecret},
		{"GET /api/v1/webhook_endpoints/{id}/deliveries", h.listWebhookDeliveries},
		{"POST /api/v1/webhook_endpoints/{id}/deliveries/{delivery_id}/retry", h.retryWebhookDelivery},
		{"POST /api/v1/webhook_endpoints/{id}/test", h.testWebhookEndpoint},
		{"POST /api/v1/webhook_endpoints/{id}/replay", h.replayWebhookEvents},
		// Admin Portal links (portal.go).
		{"POST /api/v1/organizations/{org_id}/portal_links", h.createPortalLink},
		{"GET /api/v1/organizations/{org_id}/portal_links", h.listPortalLinks},
		{"DELETE /api/v1/organizations/{org_id}/portal_links/{link_id}", h.revokePortalLink},
		{"GET /api/v1/openapi.yaml", h.openAPIDocument},
		// The audit log of changes (audit.go).
		{"GET /api/v1/audit_log", h.listAuditLog},
	}
}

// routeList is the route table's patterns, "METHOD /path/{param}".
func (h *Handler) routeList() []string {
	var out []string
	for _, rt := range h.routeTable() {
		out = append(out, rt.pattern)
	}
	return out
}

// Routes returns the handler for everything under /api/v1/.
func (h *Handler) Routes() http.Handler {
	mux := http.NewServeMux()
	rules := auditRules()
	for _, rt := range h.routeTable() {
		mux.Handle(rt.pattern, web.Adapt(h.writeError, h.authenticated(h.audited(rt.pattern, rules, checkText(rt.pattern, rt.fn)))))
	}
	mux.Handle("/api/v1/", web.Adapt(h.writeError, h.authenticated(func(w http.ResponseWriter, r *http.Request) error {
		return directory.Errorf(directory.KindNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
	})))
	return web.Chain(mux, web.LimitHeaders(web.MaxHeaderBytes, h.writeError), web.Limit(h.Limiter, h.writeError), web.Recover(h.Logger, h.writeError))
}

func (h *Handler) authenticated(next web.HandlerFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		auth := r.Header.Get("Authorization")
		scheme, secret, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			secret = ""
		}
		actor, err := h.Service.AuthenticateAPIKeyActor(r.Context(), strings.TrimSpace(secret), h.APIKey)
		if err != nil {
			return err
		}
		// The key is the actor of the changes the request makes (events
		// carry it).
		return next(w, r.WithContext(directory.WithActor(r.Context(), actor)))
	}
}

// writeError renders every error of this surface.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := http.StatusInternalServerError, "internal", "internal error (request id "+web.RequestID(r.Context())+")"
	var de *directory.Error
	var mbe *http.MaxBytesError
	var hte *web.HeaderTooLargeError
	gone, started := web.ClientGone(h.Logger, r, err)
	var oe *web.OverloadedError
	switch {
	case started:
		return // nothing more can be written; ClientGone logged it
	case errors.As(err, &oe):
		status, code, msg = http.StatusServiceUnavailable, "unavailable", oe.Error()
	case errors.As(err, &hte):
		status, code, msg = http.StatusRequestHeaderFieldsTooLarge, "header_too_large", hte.Error()
	case gone:
		status, code, msg = http.StatusRequestTimeout, "request_timeout", "the request body did not arrive in time or the connection was closed; send the request again"
	case errors.As(err, &mbe):
		status, code, msg = http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body is larger than %d bytes", mbe.Limit)
	case errors.As(err, &de) && de.Kind != directory.KindInternal:
		code, msg = de.Kind.String(), de.Message
		status = map[directory.Kind]int{
			directory.KindInvalid:      http.StatusBadRequest,
			directory.KindNotFound:     http.StatusNotFound,
			directory.KindConflict:     http.StatusConflict,
			directory.KindPrecondition: http.StatusPreconditionFailed,
			directory.KindUnauthorized: http.StatusUnauthorized,
			directory.KindForbidden:    http.StatusForbidden,
			directory.KindTooMany:      http.StatusTooManyRequests,
		}[de.Kind]
	default:
		h.Logger.ErrorContext(r.Context(), "management API request failed", "request_id", web.RequestID(r.Context()),
			"method", r.Method, "path", r.URL.Path, "error", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scimbridge"`)
	}
	body := map[string]any{"error": map[string]any{"code": code, "message": msg, "details": []any{}}}
	if werr := web.WriteJSON(w, status, "application/json", body); werr != nil {
		h.Logger.DebugContext(r.Context(), "writing error response", "error", werr)
	}
}

// decode reads a JSON object into dst, rejecting unknown fields, trailing
// data and bodies over 1 MiB, with messages a person can act on.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	body, err := web.ReadBody(w, r, 1<<20)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := checkBodyText(body); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return directory.Errorf(directory.KindInvalid, "field %q must be a %s", te.Field, te.Type.String())
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return directory.Errorf(directory.KindInvalid, "%s", strings.TrimPrefix(err.Error(), "json: "))
		default:
			return directory.Errorf(directory.KindInvalid, "request body is not valid JSON: %v", err)
		}
	}
	if d.More() {
		return directory.Errorf(directory.KindInvalid, "request body has data after the JSON object")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	return web.WriteJSON(w, status, "application/json", v)
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}
