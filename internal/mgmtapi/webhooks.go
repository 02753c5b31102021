package mgmtapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// Webhook endpoints and their deliveries (docs/webhooks.md). A signing
// secret appears in exactly two answers: create and rotate_secret.

type webhookEndpointJSON struct {
	ID                      string   `json:"id"`
	URL                     string   `json:"url"`
	Description             string   `json:"description"`
	EventTypes              []string `json:"event_types"`
	OrganizationIDs         []string `json:"organization_ids"`
	Enabled                 bool     `json:"enabled"`
	DisabledReason          string   `json:"disabled_reason"`
	FailingSince            any      `json:"failing_since"`
	PreviousSecretExpiresAt any      `json:"previous_secret_expires_at"`
	CreatedAt               any      `json:"created_at"`
	UpdatedAt               any      `json:"updated_at"`
	Secret                  string   `json:"secret,omitempty"`
}

func webhookEndpointOut(e directory.WebhookEndpoint, now time.Time) webhookEndpointJSON {
	out := webhookEndpointJSON{ID: e.ID, URL: e.URL, Description: e.Description, EventTypes: e.EventTypes,
		OrganizationIDs: e.OrganizationIDs, Enabled: e.Enabled, DisabledReason: e.DisabledReason,
		FailingSince: timeOrNil(e.FailingSince), CreatedAt: timeOrNil(e.CreatedAt), UpdatedAt: timeOrNil(e.UpdatedAt)}
	if out.EventTypes == nil {
		out.EventTypes = []string{}
	}
	if out.OrganizationIDs == nil {
		out.OrganizationIDs = []string{}
	}
	if len(e.PreviousSecret) > 0 && now.Before(e.PreviousSecretExpiresAt) {
		out.PreviousSecretExpiresAt = timeOrNil(e.PreviousSecretExpiresAt)
	}
	return out
}

type webhookAttemptJSON struct {
	AttemptedAt  any     `json:"attempted_at"`
	StatusCode   int     `json:"status_code"`
	LatencyMS    float64 `json:"latency_ms"`
	ResponseBody string  `json:"response_body"`
	Error        string  `json:"error"`
}

type webhookDeliveryJSON struct {
	ID            string               `json:"id"`
	EndpointID    string               `json:"endpoint_id"`
	EventID       string               `json:"event_id"`
	EventType     string               `json:"event_type"`
	Position      int64                `json:"position"`
	DirectoryID   *string              `json:"directory_id"`
	Sequence      *int64               `json:"sequence"`
	Status        string               `json:"status"`
	AttemptCount  int                  `json:"attempt_count"`
	NextAttemptAt any                  `json:"next_attempt_at"`
	Payload       json.RawMessage      `json:"payload"`
	Attempts      []webhookAttemptJSON `json:"attempts"`
	CreatedAt     any                  `json:"created_at"`
	UpdatedAt     any                  `json:"updated_at"`
}

func webhookDeliveryOut(d directory.WebhookDelivery) webhookDeliveryJSON {
	out := webhookDeliveryJSON{ID: d.ID, EndpointID: d.EndpointID, EventID: d.EventID, EventType: d.EventType,
		Position: d.Position, Status: d.Status, AttemptCount: d.Attempts, NextAttemptAt: timeOrNil(d.NextAttemptAt),
		Payload: d.Payload, Attempts: []webhookAttemptJSON{}, CreatedAt: timeOrNil(d.CreatedAt), UpdatedAt: timeOrNil(d.UpdatedAt)}
	if d.DirectoryID != "" {
		dir, seq := d.DirectoryID, d.Sequence
		out.DirectoryID, out.Sequence = &dir, &seq
	}
	if !json.Valid(out.Payload) {
		out.Payload = json.RawMessage("null")
	}
	for _, a := range d.AttemptLog {
		out.Attempts = append(out.Attempts, webhookAttemptJSON{AttemptedAt: timeOrNil(a.AttemptedAt), StatusCode: a.StatusCode,
			LatencyMS: float64(a.Latency.Microseconds()) / 1000, ResponseBody: a.ResponseBody, Error: a.Error})
	}
	return out
}

func (h *Handler) now() time.Time { return h.Webhooks.IDs.Now().UTC() }

// createWebhookEndpoint is POST /api/v1/webhook_endpoints. The answer
// carries the signing secret, this once.
func (h *Handler) createWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		URL             string   `json:"url"`
		Description     string   `json:"description"`
		EventTypes      []string `json:"event_types"`
		OrganizationIDs []string `json:"organization_ids"`
		Enabled         *bool    `json:"enabled"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	e, secret, err := h.Webhooks.CreateWebhookEndpoint(r.Context(), directory.WebhookEndpointInput{URL: in.URL, Description: in.Description,
		EventTypes: in.EventTypes, OrganizationIDs: in.OrganizationIDs, Enabled: in.Enabled})
	if err != nil {
		return err
	}
	out := webhookEndpointOut(e, h.now())
	out.Secret = secret
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, out)
}

// listWebhookEndpoints is GET /api/v1/webhook_endpoints, in id order.
func (h *Handler) listWebhookEndpoints(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r, directory.PrefixWebhookEndpoint)
	if err != nil {
		return err
	}
	es, err := h.Webhooks.Store.ListWebhookEndpoints(r.Context(), p.after, p.size+1, false)
	if err != nil {
		return err
	}
	now := h.now()
	data := make([]any, 0, len(es))
	for _, e := range es {
		data = append(data, webhookEndpointOut(e, now))
	}
	return writePage(w, p.size, data, func(i int) string { return es[i].ID })
}

// getWebhookEndpoint is GET /api/v1/webhook_endpoints/{id}.
func (h *Handler) getWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	e, err := h.Webhooks.Store.GetWebhookEndpoint(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, webhookEndpointOut(e, h.now()))
}

// updateWebhookEndpoint is PATCH /api/v1/webhook_endpoints/{id}: the
// fields given are changed. Enabling clears an automatic disable.
func (h *Handler) updateWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		URL             *string   `json:"url"`
		Description     *string   `json:"description"`
		EventTypes      *[]string `json:"event_types"`
		OrganizationIDs *[]string `json:"organization_ids"`
		Enabled         *bool     `json:"enabled"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	e, err := h.Webhooks.UpdateWebhookEndpoint(r.Context(), r.PathValue("id"), directory.WebhookEndpointChange{URL: in.URL,
		Description: in.Description, EventTypes: in.EventTypes, OrganizationIDs: in.OrganizationIDs, Enabled: in.Enabled})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, webhookEndpointOut(e, h.now()))
}

// deleteWebhookEndpoint is DELETE /api/v1/webhook_endpoints/{id}.
func (h *Handler) deleteWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := h.Webhooks.DeleteWebhookEndpoint(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rotateWebhookSecret is POST /api/v1/webhook_endpoints/{id}/rotate_secret:
// the new secret is in the answer, this once; the old one keeps signing
// beside it for 24 hours.
func (h *Handler) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	if err := decode(w, r, &struct{}{}); err != nil {
		return err
	}
	e, secret, err := h.Webhooks.RotateWebhookSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := webhookEndpointOut(e, h.now())
	out.Secret = secret
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, out)
}

// listWebhookDeliveries is GET /api/v1/webhook_endpoints/{id}/deliveries:
// newest first, each with its attempts.
func (h *Handler) listWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r, directory.PrefixWebhookDelivery)
	if err != nil {
		return err
	}
	ds, err := h.Webhooks.Store.ListWebhookDeliveries(r.Context(), r.PathValue("id"), p.after, p.size+1)
	if err != nil {
		return err
	}
	data := make([]any, 0, len(ds))
	for _, d := range ds {
		data = append(data, webhookDeliveryOut(d))
	}
	return writePage(w, p.size, data, func(i int) string { return ds[i].ID })
}

// retryWebhookDelivery is POST
// /api/v1/webhook_endpoints/{id}/deliveries/{delivery_id}/retry: the
// delivery is due now, with the same webhook-id.
func (h *Handler) retryWebhookDelivery(w http.ResponseWriter, r *http.Request) error {
	if err := decode(w, r, &struct{}{}); err != nil {
		return err
	}
	d, err := h.Webhooks.RetryWebhookDelivery(r.Context(), r.PathValue("id"), r.PathValue("delivery_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, webhookDeliveryOut(d))
}

// testWebhookEndpoint is POST /api/v1/webhook_endpoints/{id}/test: a
// webhook_endpoint.test event is sent now.
func (h *Handler) testWebhookEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := decode(w, r, &struct{}{}); err != nil {
		return err
	}
	d, err := h.Webhooks.SendTestEvent(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, webhookDeliveryOut(d))
}

// feedPosition is a feed cursor in a request body: a number, or the
// string next_cursor of GET /api/v1/events.
type feedPosition int64

func (p *feedPosition) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n < 0 {
		return directory.Errorf(directory.KindInvalid, "a feed position must be a non-negative integer (a next_cursor of GET /api/v1/events), got %s", b)
	}
	*p = feedPosition(n)
	return nil
}

// replayWebhookEvents is POST /api/v1/webhook_endpoints/{id}/replay: the
// feed events after "after" up to "until" (positions) and/or from "since"
// to before "before" (times) that the endpoint's filters let through are
// sent again, as new deliveries.
func (h *Handler) replayWebhookEvents(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		After  *feedPosition `json:"after"`
		Until  *feedPosition `json:"until"`
		Since  *time.Time    `json:"since"`
		Before *time.Time    `json:"before"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.After == nil && in.Since == nil {
		return directory.Errorf(directory.KindInvalid, "give where the replay starts: after (a feed position) and/or since (a time)")
	}
	var rr directory.ReplayRange
	if in.After != nil {
		rr.After = int64(*in.After)
	}
	if in.Until != nil {
		rr.Until = int64(*in.Until)
	}
	if in.Since != nil {
		rr.Since = in.Since.UTC()
	}
	if in.Before != nil {
		rr.Before = in.Before.UTC()
	}
	n, err := h.Webhooks.ReplayEvents(r.Context(), r.PathValue("id"), rr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, map[string]int{"enqueued": n})
}
