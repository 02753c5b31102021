package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"time"
)

// WebhookEndpoint is where scimbridge sends events.
type WebhookEndpoint struct {
	ID          string `json:"id"`
	URL         string `json:"url"`
	Description string `json:"description"`
	// EventTypes and OrganizationIDs filter what is sent; empty: all.
	EventTypes      []string `json:"event_types"`
	OrganizationIDs []string `json:"organization_ids"`
	Enabled         bool     `json:"enabled"`
	// DisabledReason says why the endpoint was disabled automatically.
	DisabledReason string `json:"disabled_reason"`
	// FailingSince is when the current run of failed attempts began.
	FailingSince time.Time `json:"failing_since,omitzero"`
	// PreviousSecretExpiresAt is when the secret replaced by the last
	// rotation stops signing.
	PreviousSecretExpiresAt time.Time `json:"previous_secret_expires_at,omitzero"`
	CreatedAt               time.Time `json:"created_at"`
	UpdatedAt               time.Time `json:"updated_at"`
	// Secret is the signing secret ("whsec_…"), set only in the answers of
	// CreateWebhookEndpoint and RotateWebhookSecret: it cannot be read back.
	Secret string `json:"secret,omitempty"`
}

// WebhookEndpointCreate is a new endpoint.
type WebhookEndpointCreate struct {
	URL             string   `json:"url"`
	Description     string   `json:"description,omitempty"`
	EventTypes      []string `json:"event_types,omitempty"`
	OrganizationIDs []string `json:"organization_ids,omitempty"`
	Enabled         *bool    `json:"enabled,omitempty"` // nil: enabled
}

// WebhookEndpointUpdate changes the fields that are not nil.
type WebhookEndpointUpdate struct {
	URL             *string   `json:"url,omitempty"`
	Description     *string   `json:"description,omitempty"`
	EventTypes      *[]string `json:"event_types,omitempty"`
	OrganizationIDs *[]string `json:"organization_ids,omitempty"`
	Enabled         *bool     `json:"enabled,omitempty"`
}

// WebhookDelivery is one event sent (or to be sent) to an endpoint. Its id
// is the webhook-id header of every attempt.
type WebhookDelivery struct {
	ID            string           `json:"id"`
	EndpointID    string           `json:"endpoint_id"`
	EventID       string           `json:"event_id"`
	EventType     string           `json:"event_type"`
	Position      int64            `json:"position"`
	DirectoryID   string           `json:"directory_id"`
	Sequence      int64            `json:"sequence"`
	Status        string           `json:"status"` // pending, succeeded or failed
	AttemptCount  int              `json:"attempt_count"`
	NextAttemptAt time.Time        `json:"next_attempt_at"`
	Payload       json.RawMessage  `json:"payload"`
	Attempts      []WebhookAttempt `json:"attempts"`
	CreatedAt     time.Time        `json:"created_at"`
	UpdatedAt     time.Time        `json:"updated_at"`
}

// WebhookAttempt is one HTTP request of a delivery.
type WebhookAttempt struct {
	AttemptedAt  time.Time `json:"attempted_at"`
	StatusCode   int       `json:"status_code"` // 0: no response
	LatencyMS    float64   `json:"latency_ms"`
	ResponseBody string    `json:"response_body"` // the first KiB
	Error        string    `json:"error"`
}

// WebhookReplay selects feed events to send again: positions after After
// up to Until (0: no bound) and/or a time range.
type WebhookReplay struct {
	After  int64     `json:"after"`
	Until  int64     `json:"until,omitempty"`
	Since  time.Time `json:"since,omitzero"`
	Before time.Time `json:"before,omitzero"`
}

// CreateWebhookEndpoint creates an endpoint; the answer's Secret is shown
// this once.
func (c *Client) CreateWebhookEndpoint(ctx context.Context, in WebhookEndpointCreate) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	err := c.do(ctx, http.MethodPost, "/webhook_endpoints", nil, in, &e)
	return e, err
}

// GetWebhookEndpoint returns one endpoint.
func (c *Client) GetWebhookEndpoint(ctx context.Context, id string) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	err := c.do(ctx, http.MethodGet, "/webhook_endpoints/"+esc(id), nil, nil, &e)
	return e, err
}

// ListWebhookEndpoints returns one page of endpoints in id order.
func (c *Client) ListWebhookEndpoints(ctx context.Context, opts ListOptions) ([]WebhookEndpoint, string, error) {
	return getPage[WebhookEndpoint](ctx, c, "/webhook_endpoints", opts.values())
}

// WebhookEndpoints iterates over every endpoint.
func (c *Client) WebhookEndpoints(ctx context.Context, opts ListOptions) iter.Seq2[WebhookEndpoint, error] {
	return all(func(token string) ([]WebhookEndpoint, string, error) {
		opts.PageToken = token
		return c.ListWebhookEndpoints(ctx, opts)
	})
}

// UpdateWebhookEndpoint changes an endpoint.
func (c *Client) UpdateWebhookEndpoint(ctx context.Context, id string, u WebhookEndpointUpdate) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	err := c.do(ctx, http.MethodPatch, "/webhook_endpoints/"+esc(id), nil, u, &e)
	return e, err
}

// DeleteWebhookEndpoint deletes an endpoint and its deliveries.
func (c *Client) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/webhook_endpoints/"+esc(id), nil, nil, nil)
}

// RotateWebhookSecret gives the endpoint a new secret (in the answer's
// Secret); the old one keeps signing beside it for 24 hours.
func (c *Client) RotateWebhookSecret(ctx context.Context, id string) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	err := c.do(ctx, http.MethodPost, "/webhook_endpoints/"+esc(id)+"/rotate_secret", nil, nil, &e)
	return e, err
}

// ListWebhookDeliveries returns one page of an endpoint's deliveries,
// newest first, with their attempts.
func (c *Client) ListWebhookDeliveries(ctx context.Context, endpointID string, opts ListOptions) ([]WebhookDelivery, string, error) {
	return getPage[WebhookDelivery](ctx, c, "/webhook_endpoints/"+esc(endpointID)+"/deliveries", opts.values())
}

// RetryWebhookDelivery makes a delivery due now.
func (c *Client) RetryWebhookDelivery(ctx context.Context, endpointID, deliveryID string) (WebhookDelivery, error) {
	var d WebhookDelivery
	err := c.do(ctx, http.MethodPost, "/webhook_endpoints/"+esc(endpointID)+"/deliveries/"+esc(deliveryID)+"/retry", nil, nil, &d)
	return d, err
}

// SendTestWebhook sends a webhook_endpoint.test event to the endpoint now.
func (c *Client) SendTestWebhook(ctx context.Context, endpointID string) (WebhookDelivery, error) {
	var d WebhookDelivery
	err := c.do(ctx, http.MethodPost, "/webhook_endpoints/"+esc(endpointID)+"/test", nil, nil, &d)
	return d, err
}

// ReplayWebhookEvents sends the feed events of r to the endpoint again and
// returns how many were enqueued.
func (c *Client) ReplayWebhookEvents(ctx context.Context, endpointID string, r WebhookReplay) (int, error) {
	var out struct {
		Enqueued int `json:"enqueued"`
	}
	err := c.do(ctx, http.MethodPost, "/webhook_endpoints/"+esc(endpointID)+"/replay", nil, r, &out)
	return out.Enqueued, err
}
