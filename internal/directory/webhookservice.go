package directory

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// WebhookService manages webhook endpoints and deliveries. Its exported
// fields are its dependencies; it starts no goroutines (the delivery worker
// is internal/webhook).
type WebhookService struct {
	Store   WebhookStore
	Events  EventLog
	Secrets SecretBox
	IDs     IDs
	Logger  *slog.Logger
}

// RotationOverlap is how long a rotated-out secret keeps signing.
const RotationOverlap = 24 * time.Hour

// MaxReplayEvents bounds how many events one replay request enqueues.
const MaxReplayEvents = 10000

func (s *WebhookService) now() time.Time { return s.IDs.Now().UTC().Truncate(time.Microsecond) }

// WebhookEndpointInput is what a new endpoint is made of.
type WebhookEndpointInput struct {
	URL             string
	Description     string
	EventTypes      []string
	OrganizationIDs []string
	Enabled         *bool // nil: enabled
}

// WebhookEndpointChange is a partial update: nil fields are kept.
type WebhookEndpointChange struct {
	URL             *string
	Description     *string
	EventTypes      *[]string
	OrganizationIDs *[]string
	Enabled         *bool
}

// ValidateWebhookURL checks that u is an absolute http or https URL.
func ValidateWebhookURL(u string) error {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.Opaque != "" {
		return Errorf(KindInvalid, "url must be an absolute http:// or https:// URL, got %q", u)
	}
	if len(u) > 2048 {
		return Errorf(KindInvalid, "url must be at most 2048 characters")
	}
	if p.Fragment != "" {
		return Errorf(KindInvalid, "url must not have a #fragment")
	}
	return nil
}

func validateEventTypes(ts []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range ts {
		if !ValidEventType(t) {
			return nil, Errorf(KindInvalid, "event type %q is not one of %s", t, strings.Join(EventTypes(), ", "))
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

func validateOrganizationIDs(ids []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, id := range ids {
		if !strings.HasPrefix(id, PrefixOrganization+"_") {
			return nil, Errorf(KindInvalid, "organization id %q is not an organization id (org_…)", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// newWebhookSecret returns "whsec_" + base64 of 32 random bytes (Standard
// Webhooks: the part after the prefix is the base64 HMAC key).
func (s *WebhookService) newWebhookSecret() (string, []byte, error) {
	var key [32]byte
	if _, err := io.ReadFull(s.IDs.Rand, key[:]); err != nil {
		return "", nil, fmt.Errorf("reading randomness: %w", err)
	}
	secret := WebhookSecretPrefix + base64.StdEncoding.EncodeToString(key[:])
	sealed, err := s.Secrets.Seal([]byte(secret))
	if err != nil {
		return "", nil, fmt.Errorf("sealing webhook secret: %w", err)
	}
	return secret, sealed, nil
}

// CreateWebhookEndpoint creates an endpoint and returns it with its signing
// secret, which is shown this once. The endpoint receives events committed
// after it was created.
func (s *WebhookService) CreateWebhookEndpoint(ctx context.Context, in WebhookEndpointInput) (WebhookEndpoint, string, error) {
	if err := ValidateWebhookURL(in.URL); err != nil {
		return WebhookEndpoint{}, "", err
	}
	types, err := validateEventTypes(in.EventTypes)
	if err != nil {
		return WebhookEndpoint{}, "", err
	}
	orgs, err := validateOrganizationIDs(in.OrganizationIDs)
	if err != nil {
		return WebhookEndpoint{}, "", err
	}
	id, err := s.IDs.New(PrefixWebhookEndpoint)
	if err != nil {
		return WebhookEndpoint{}, "", err
	}
	secret, sealed, err := s.newWebhookSecret()
	if err != nil {
		return WebhookEndpoint{}, "", err
	}
	now := s.now()
	e := WebhookEndpoint{ID: id, URL: in.URL, Description: strings.TrimSpace(in.Description), EventTypes: types,
		OrganizationIDs: orgs, Enabled: in.Enabled == nil || *in.Enabled, Secret: sealed, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.CreateWebhookEndpoint(ctx, e); err != nil {
		return WebhookEndpoint{}, "", err
	}
	e, err = s.Store.GetWebhookEndpoint(ctx, id)
	return e, secret, err
}

// UpdateWebhookEndpoint applies a change. Enabling an endpoint clears its
// disabled reason and failure streak.
func (s *WebhookService) UpdateWebhookEndpoint(ctx context.Context, id string, c WebhookEndpointChange) (WebhookEndpoint, error) {
	if c.URL != nil {
		if err := ValidateWebhookURL(*c.URL); err != nil {
			return WebhookEndpoint{}, err
		}
	}
	var types, orgs []string
	var err error
	if c.EventTypes != nil {
		if types, err = validateEventTypes(*c.EventTypes); err != nil {
			return WebhookEndpoint{}, err
		}
	}
	if c.OrganizationIDs != nil {
		if orgs, err = validateOrganizationIDs(*c.OrganizationIDs); err != nil {
			return WebhookEndpoint{}, err
		}
	}
	return s.Store.UpdateWebhookEndpoint(ctx, id, s.now(), func(e *WebhookEndpoint) error {
		if c.URL != nil {
			e.URL = *c.URL
		}
		if c.Description != nil {
			e.Description = strings.TrimSpace(*c.Description)
		}
		if c.EventTypes != nil {
			e.EventTypes = types
		}
		if c.OrganizationIDs != nil {
			e.OrganizationIDs = orgs
		}
		if c.Enabled != nil {
			if *c.Enabled && !e.Enabled {
				e.DisabledReason, e.FailingSince = "", time.Time{}
			}
			e.Enabled = *c.Enabled
		}
		return nil
	})
}

// DeleteWebhookEndpoint deletes an endpoint and its deliveries.
func (s *WebhookService) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	return s.Store.DeleteWebhookEndpoint(ctx, id)
}

// RotateWebhookSecret gives the endpoint a new secret, returned this once.
// The old secret keeps signing beside it for RotationOverlap.
func (s *WebhookService) RotateWebhookSecret(ctx context.Context, id string) (WebhookEndpoint, string, error) {
	secret, sealed, err := s.newWebhookSecret()
	if err != nil {
		return WebhookEndpoint{}, "", err
	}
	now := s.now()
	e, err := s.Store.UpdateWebhookEndpoint(ctx, id, now, func(e *WebhookEndpoint) error {
		e.PreviousSecret, e.PreviousSecretExpiresAt = e.Secret, now.Add(RotationOverlap)
		e.Secret = sealed
		return nil
	})
	if err != nil {
		return WebhookEndpoint{}, "", err
	}
	return e, secret, nil
}

// RetryWebhookDelivery makes a delivery due now, whatever its status.
func (s *WebhookService) RetryWebhookDelivery(ctx context.Context, endpointID, id string) (WebhookDelivery, error) {
	return s.Store.RetryWebhookDelivery(ctx, endpointID, id, s.now())
}

// SendTestEvent enqueues a webhook_endpoint.test event to the endpoint, due
// now. It is not in the feed.
func (s *WebhookService) SendTestEvent(ctx context.Context, endpointID string) (WebhookDelivery, error) {
	e, err := s.Store.GetWebhookEndpoint(ctx, endpointID)
	if err != nil {
		return WebhookDelivery{}, err
	}
	evID, err := s.IDs.New(PrefixEvent)
	if err != nil {
		return WebhookDelivery{}, err
	}
	data, err := json.Marshal(map[string]string{"webhook_endpoint_id": e.ID, "url": e.URL, "message": "This is a test event from scimbridge."})
	if err != nil {
		return WebhookDelivery{}, err
	}
	ev := Event{ID: evID, Type: EventWebhookEndpointTest, OccurredAt: s.now(), Data: data}
	d, err := s.newDelivery(e.ID, ev)
	if err != nil {
		return WebhookDelivery{}, err
	}
	if err := s.Store.EnqueueDeliveries(ctx, []WebhookDelivery{d}); err != nil {
		return WebhookDelivery{}, err
	}
	return d, nil
}

// NewDelivery builds a pending delivery of ev to an endpoint, due at now.
// A feed event (Position > 0) is sent as the feed renders it, from its
// stored row; an event outside the feed (a test event) carries its body
// in Payload, which the store keeps.
func NewDelivery(ids IDs, endpointID string, ev Event, now time.Time) (WebhookDelivery, error) {
	id, err := ids.New(PrefixWebhookDelivery)
	if err != nil {
		return WebhookDelivery{}, err
	}
	d := WebhookDelivery{ID: id, EndpointID: endpointID, EventID: ev.ID, EventType: ev.Type, Position: ev.Position,
		DirectoryID: ev.DirectoryID, Sequence: ev.Sequence, Status: DeliveryPending,
		NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	if ev.Position == 0 {
		if d.Payload, err = WebhookPayload(ev); err != nil {
			return WebhookDelivery{}, fmt.Errorf("rendering event %s: %w", ev.ID, err)
		}
	}
	return d, nil
}

func (s *WebhookService) newDelivery(endpointID string, ev Event) (WebhookDelivery, error) {
	return NewDelivery(s.IDs, endpointID, ev, s.now())
}

// ReplayRange selects feed events to send again: positions after After up
// to and including Until (0: no upper bound), and, when set, occurred at or
// after Since and before Before.
type ReplayRange struct {
	After, Until  int64
	Since, Before time.Time
}

// ReplayEvents re-enqueues the events of r that the endpoint's filters
// let through (as new deliveries with new webhook-ids) and returns how
// many. At most MaxReplayEvents are enqueued per call.
func (s *WebhookService) ReplayEvents(ctx context.Context, endpointID string, r ReplayRange) (int, error) {
	if r.Until != 0 && r.Until <= r.After {
		return 0, Errorf(KindInvalid, "until must be greater than after")
	}
	if !r.Since.IsZero() && !r.Before.IsZero() && !r.Before.After(r.Since) {
		return 0, Errorf(KindInvalid, "before must be later than since")
	}
	e, err := s.Store.GetWebhookEndpoint(ctx, endpointID)
	if err != nil {
		return 0, err
	}
	var ds []WebhookDelivery
	after := r.After
	for {
		evs, err := s.Events.ListEvents(ctx, EventQuery{After: after, Limit: 500})
		if err != nil {
			return 0, err
		}
		done := len(evs) == 0
		for _, ev := range evs {
			after = ev.Position
			if r.Until != 0 && ev.Position > r.Until || ev.Position > e.FanoutPosition {
				// Events past the fan-out position will be delivered anyway.
				done = true
				break
			}
			if (!r.Since.IsZero() && ev.OccurredAt.Before(r.Since)) || (!r.Before.IsZero() && !ev.OccurredAt.Before(r.Before)) || !e.Wants(ev) {
				continue
			}
			if len(ds) >= MaxReplayEvents {
				return 0, Errorf(KindTooMany, "the range holds more than %d events: replay it in parts (narrow after/until)", MaxReplayEvents)
			}
			d, err := s.newDelivery(e.ID, ev)
			if err != nil {
				return 0, err
			}
			ds = append(ds, d)
		}
		if done {
			break
		}
	}
	if len(ds) == 0 {
		return 0, nil
	}
	if err := s.Store.EnqueueDeliveries(ctx, ds); err != nil {
		return 0, err
	}
	return len(ds), nil
}
