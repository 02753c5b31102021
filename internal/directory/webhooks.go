package directory

import (
	"context"
	"encoding/json"
	"time"
)

// Webhook id prefixes. A delivery id is the Standard Webhooks message id
// (the webhook-id header): retries of one delivery carry the same id.
const (
	PrefixWebhookEndpoint = "whep"
	PrefixWebhookDelivery = "msg"
)

// EventWebhookEndpointTest is the type of the event POST
// /api/v1/webhook_endpoints/{id}/test sends. It is never in the feed.
const EventWebhookEndpointTest = "webhook_endpoint.test"

// WebhookSecretPrefix starts every signing secret, as Standard Webhooks
// defines it: "whsec_" followed by the base64 of the key.
const WebhookSecretPrefix = "whsec_"

// WebhookEndpoint is where events are sent.
type WebhookEndpoint struct {
	ID          string
	URL         string
	Description string
	// EventTypes and OrganizationIDs filter the events sent; empty sends
	// every type / every organization's events.
	EventTypes      []string
	OrganizationIDs []string
	Enabled         bool
	// Secret is the sealed current signing secret (SecretBox.Seal of
	// "whsec_…"). PreviousSecret, until PreviousSecretExpiresAt, is the
	// sealed secret it replaced: both sign during a rotation.
	Secret                  []byte
	PreviousSecret          []byte
	PreviousSecretExpiresAt time.Time
	// FanoutPosition is the feed position up to which events have been
	// turned into deliveries for this endpoint.
	FanoutPosition int64
	// DisabledReason says why the endpoint was disabled automatically
	// ("" when enabled or disabled through the API).
	DisabledReason string
	// FailingSince is the time of the first failed attempt since the last
	// successful one (zero when the last attempt succeeded).
	FailingSince time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Wants reports whether the endpoint's filters let ev through.
func (e WebhookEndpoint) Wants(ev Event) bool {
	return matchAny(e.EventTypes, ev.Type) && (ev.OrganizationID == "" || matchAny(e.OrganizationIDs, ev.OrganizationID))
}

func matchAny(set []string, v string) bool {
	if len(set) == 0 {
		return true
	}
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed" // every attempt of the schedule failed
)

// WebhookDelivery is one event to be sent to one endpoint. Deliveries of
// one (endpoint, directory) stream are sent in (Sequence, creation) order:
// only a stream's oldest pending delivery is sendable.
type WebhookDelivery struct {
	ID          string
	EndpointID  string
	EventID     string
	EventType   string
	Position    int64 // the event's feed position; 0 for test events
	DirectoryID string
	Sequence    int64
	// Payload is the exact request body. On insert it is stored only when
	// set (events outside the feed); stores return it rendered from the
	// feed event otherwise (nil if that event is gone).
	Payload       []byte
	Status        string
	Attempts      int // attempts since it was (re)enqueued
	NextAttemptAt time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// AttemptLog is filled by ListWebhookDeliveries and
	// GetWebhookDelivery, oldest first.
	AttemptLog []WebhookAttempt
}

// WebhookAttempt is one HTTP request of a delivery.
type WebhookAttempt struct {
	DeliveryID  string
	AttemptedAt time.Time
	StatusCode  int // 0: no response (connection error, timeout)
	Latency     time.Duration
	// ResponseBody is the first MaxResponsePrefix bytes of the response.
	ResponseBody string
	Error        string
}

// MaxResponsePrefix bounds the response body kept per attempt.
const MaxResponsePrefix = 1024

// DeliveryRun is a claimed run of consecutive pending deliveries of one
// stream, oldest first, with the endpoint they go to.
type DeliveryRun struct {
	Endpoint   WebhookEndpoint
	Deliveries []WebhookDelivery
}

// ClaimRequest asks for due runs.
type ClaimRequest struct {
	Owner string // lease owner: one per worker
	Now   time.Time
	// LeaseUntil is when the claim lapses if not recorded: another worker
	// may then send the deliveries again.
	LeaseUntil time.Time
	MaxRuns    int // how many streams to claim at most
	RunLength  int // how many consecutive deliveries per stream at most
	// PerEndpoint caps the runs one endpoint may have in flight, counting
	// Busy[endpointID] runs the worker already has (0: no cap).
	PerEndpoint int
	Busy        map[string]int
	// Body, when set, returns the body of the feed event at a position if
	// the caller has it already (nil otherwise), sparing the store a read.
	Body func(position int64) []byte
}

// DeliveryResult is the outcome of one attempt of a claimed delivery.
type DeliveryResult struct {
	EndpointID string
	Attempt    WebhookAttempt
	// Status is the delivery's new status; NextAttemptAt is when a still
	// pending delivery is due again.
	Status        string
	NextAttemptAt time.Time
}

// WebhookStore is the persistence of webhook endpoints and deliveries.
// sqlstore.Store implements it beside Store; the conformance suite in
// internal/storetest covers it. The error contract is Store's: absent
// objects are KindNotFound, failed compare-and-set is KindPrecondition,
// anything else is internal. Every method is one transaction.
type WebhookStore interface {
	CreateWebhookEndpoint(ctx context.Context, e WebhookEndpoint) error
	GetWebhookEndpoint(ctx context.Context, id string) (WebhookEndpoint, error)
	// ListWebhookEndpoints returns endpoints in id order after the id
	// after (limit <= 0: all); enabledOnly keeps the enabled ones.
	ListWebhookEndpoints(ctx context.Context, after string, limit int, enabledOnly bool) ([]WebhookEndpoint, error)
	// UpdateWebhookEndpoint loads the endpoint, calls fn and stores url,
	// description, filters, enabled, secrets, disabled reason and failing
	// since, with UpdatedAt set to now. FanoutPosition is not changed.
	UpdateWebhookEndpoint(ctx context.Context, id string, now time.Time, fn func(*WebhookEndpoint) error) (WebhookEndpoint, error)
	// DeleteWebhookEndpoint deletes the endpoint with its deliveries.
	DeleteWebhookEndpoint(ctx context.Context, id string) error
	// DisableWebhookEndpoint disables the endpoint with a reason and, in
	// the same transaction, appends the notice event (type
	// EventWebhookEndpointDisabled) to the feed.
	DisableWebhookEndpoint(ctx context.Context, id, reason string, now time.Time, notice Event) error

	// FanOut inserts ds (deliveries of events after position from, up to
	// and including to) and moves the endpoint's FanoutPosition from from
	// to to, atomically. If the endpoint's FanoutPosition is no longer
	// from (another worker fanned out first), nothing is written and the
	// error is KindPrecondition.
	FanOut(ctx context.Context, endpointID string, from, to int64, ds []WebhookDelivery) error
	// EnqueueDeliveries inserts deliveries (replays, test events) without
	// moving any fan-out position.
	EnqueueDeliveries(ctx context.Context, ds []WebhookDelivery) error
	// ClaimDeliveries leases up to r.MaxRuns runs of due deliveries: each
	// run starts at a stream's head (its oldest pending delivery, due and
	// not leased) and continues with that stream's following pending
	// deliveries, up to r.RunLength. The head's lease holds the whole run:
	// nothing else of the stream is claimable while it is pending. Only
	// enabled endpoints' streams are claimed. Safe with several processes
	// on one database.
	ClaimDeliveries(ctx context.Context, r ClaimRequest) ([]DeliveryRun, error)
	// RecordDeliveries stores attempts, and the new statuses of pending
	// deliveries leased by owner or by no one (a run's later deliveries:
	// their results are real even if the lease lapsed), releases the leases of the ids in release (claimed
	// but not attempted), and updates each endpoint's FailingSince (set on
	// a failure when unset, cleared on a success). One transaction.
	RecordDeliveries(ctx context.Context, owner string, now time.Time, results []DeliveryResult, release []string) error
	// ListWebhookDeliveries returns an endpoint's deliveries, newest
	// first, before the delivery id before ("" from the newest), with
	// their attempts.
	ListWebhookDeliveries(ctx context.Context, endpointID, before string, limit int) ([]WebhookDelivery, error)
	GetWebhookDelivery(ctx context.Context, endpointID, id string) (WebhookDelivery, error)
	// RetryWebhookDelivery makes a delivery pending again, due at now, with
	// its attempt count reset (its attempt log is kept).
	RetryWebhookDelivery(ctx context.Context, endpointID, id string, now time.Time) (WebhookDelivery, error)
	// PruneWebhookDeliveries deletes finished (succeeded or failed)
	// deliveries last updated before before, with their attempts.
	PruneWebhookDeliveries(ctx context.Context, before time.Time) (int, error)
}

// SecretBox seals secrets for storage and opens them again (AES-256-GCM in
// internal/webhook).
type SecretBox interface {
	Seal(plaintext []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// WebhookPayload renders an event as a webhook body: the same JSON the
// feed (GET /api/v1/events) carries, Event.Payload.
func WebhookPayload(ev Event) ([]byte, error) {
	return json.Marshal(ev.Payload())
}
