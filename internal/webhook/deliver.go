package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// UserAgent is sent with every delivery.
const UserAgent = "scimbridge-webhooks/1"

// NewHTTPClient returns the client deliveries are sent with: keep-alive
// connections to each endpoint, and redirects not followed (a 3xx answer
// is a failed attempt: the endpoint URL should be the final one).
func NewHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.MaxIdleConns = 256
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// signer opens the endpoint's secrets: the current one, and the previous
// one while its rotation overlap lasts.
func (w *Worker) signer(e directory.WebhookEndpoint, now time.Time) (*Signer, error) {
	cur, err := w.Secrets.Open(e.Secret)
	if err != nil {
		return nil, err
	}
	secrets := []string{string(cur)}
	if len(e.PreviousSecret) > 0 && now.Before(e.PreviousSecretExpiresAt) {
		prev, err := w.Secrets.Open(e.PreviousSecret)
		if err != nil {
			return nil, err
		}
		secrets = append(secrets, string(prev))
	}
	return NewSigner(secrets...)
}

// deliverRun sends a claimed run in order, stops at the first failure, and
// records the outcome in one transaction. It reports whether its stream
// may have more due right away: the run was full and all of it succeeded.
func (w *Worker) deliverRun(ctx context.Context, run directory.DeliveryRun) bool {
	start := w.now()
	var results []directory.DeliveryResult
	var release []string
	signer, secretErr := w.signer(run.Endpoint, start)
	failed := false
	for i, d := range run.Deliveries {
		// Stop while the lease still has room for one more request.
		if ctx.Err() != nil || failed || w.now().Sub(start)+w.Timeout > w.Lease-w.Lease/4 {
			for _, r := range run.Deliveries[i:] {
				release = append(release, r.ID)
			}
			break
		}
		var res directory.DeliveryResult
		if len(d.Payload) == 0 {
			// The event left the feed (pruning keeps those of pending
			// deliveries, so only a replay of old events gets here).
			res = w.result(d, directory.WebhookAttempt{DeliveryID: d.ID, AttemptedAt: w.now(), Error: "the event is no longer in the feed"})
			res.Status = directory.DeliveryFailed
		} else if secretErr != nil {
			res = w.result(d, directory.WebhookAttempt{DeliveryID: d.ID, AttemptedAt: w.now(),
				Error: "cannot sign: " + secretErr.Error()})
		} else {
			res = w.attempt(ctx, run.Endpoint, signer, d)
		}
		if ctx.Err() != nil && res.Status != directory.DeliverySucceeded {
			// Shutting down: the request was cut short by us, not by the
			// endpoint; it is not an attempt.
			release = append(release, d.ID)
			continue
		}
		results = append(results, res)
		failed = res.Status != directory.DeliverySucceeded
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := w.Store.RecordDeliveries(rctx, w.Owner, w.now(), results, release); err != nil {
		// The leases lapse and another claim sends these again: at least
		// once, never lost.
		w.Logger.ErrorContext(ctx, "recording webhook deliveries", "endpoint_id", run.Endpoint.ID, "error", err)
		return false
	}
	var done []int64
	for _, r := range results {
		if w.OnAttempt != nil {
			w.OnAttempt(outcomeName(r.Status))
		}
		if r.Status != directory.DeliveryPending {
			done = append(done, positionOf(run, r.Attempt.DeliveryID))
		}
	}
	w.bodies.drop(done)
	if failed {
		w.maybeDisable(rctx, run.Endpoint.ID)
		return false
	}
	return len(release) == 0 && len(run.Deliveries) >= w.RunLength
}

// positionOf returns the feed position of a delivery of the run (0 if
// none).
func positionOf(run directory.DeliveryRun, id string) int64 {
	for _, d := range run.Deliveries {
		if d.ID == id {
			return d.Position
		}
	}
	return 0
}

// attempt sends one delivery (Standard Webhooks: webhook-id is the
// delivery id, the same on every retry; webhook-timestamp is this
// attempt's time in Unix seconds; webhook-signature signs
// "id.timestamp.body").
func (w *Worker) attempt(ctx context.Context, e directory.WebhookEndpoint, signer *Signer, d directory.WebhookDelivery) directory.DeliveryResult {
	ts := w.now()
	a := directory.WebhookAttempt{DeliveryID: d.ID, AttemptedAt: ts}
	sig := signer.Sign(d.ID, ts, d.Payload)
	rctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, e.URL, bytes.NewReader(d.Payload))
	if err != nil {
		a.Error = "building request: " + err.Error()
		return w.result(d, a)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderID, d.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	resp, err := w.HTTP.Do(req)
	if err != nil {
		a.Latency = w.now().Sub(ts)
		a.Error = err.Error()
		if rctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			a.Error = fmt.Sprintf("no response within %s", w.Timeout)
		}
		return w.result(d, a)
	}
	prefix, _ := io.ReadAll(io.LimitReader(resp.Body, directory.MaxResponsePrefix))
	// Drain a little more so the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a.Latency = w.now().Sub(ts)
	a.StatusCode = resp.StatusCode
	a.ResponseBody = cleanText(prefix)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return w.result(d, a)
}

// cleanText makes a response prefix storable as text: valid UTF-8 without
// NUL bytes (PostgreSQL's text refuses both).
func cleanText(b []byte) string {
	return strings.ReplaceAll(strings.ToValidUTF8(string(b), "\uFFFD"), "\x00", "")
}

// result turns an attempt into the delivery's next state.
func (w *Worker) result(d directory.WebhookDelivery, a directory.WebhookAttempt) directory.DeliveryResult {
	r := directory.DeliveryResult{EndpointID: d.EndpointID, Attempt: a, Status: directory.DeliverySucceeded, NextAttemptAt: a.AttemptedAt}
	if a.StatusCode >= 200 && a.StatusCode <= 299 {
		return r
	}
	delay, ok := w.backoff(d.Attempts + 1)
	if !ok {
		r.Status = directory.DeliveryFailed
		return r
	}
	r.Status, r.NextAttemptAt = directory.DeliveryPending, a.AttemptedAt.Add(delay)
	return r
}

// maybeDisable disables an endpoint that has been failing for
// DisableAfter, with a webhook_endpoint.disabled notice in the feed.
func (w *Worker) maybeDisable(ctx context.Context, id string) {
	e, err := w.Store.GetWebhookEndpoint(ctx, id)
	if err != nil {
		if !directory.IsNotFound(err) {
			w.Logger.ErrorContext(ctx, "reading webhook endpoint", "endpoint_id", id, "error", err)
		}
		return
	}
	now := w.now()
	if !e.Enabled || e.FailingSince.IsZero() || now.Sub(e.FailingSince) < w.DisableAfter {
		return
	}
	reason := fmt.Sprintf("every delivery attempt failed since %s (%s)", e.FailingSince.Format(time.RFC3339), w.DisableAfter)
	evID, err := w.IDs.New(directory.PrefixEvent)
	if err != nil {
		w.Logger.ErrorContext(ctx, "disabling webhook endpoint", "endpoint_id", id, "error", err)
		return
	}
	data, err := json.Marshal(map[string]any{"id": e.ID, "url": e.URL, "description": e.Description,
		"disabled_reason": reason, "failing_since": e.FailingSince.Format(time.RFC3339Nano)})
	if err != nil {
		return
	}
	notice := directory.Event{ID: evID, Type: directory.EventWebhookEndpointDisabled, OccurredAt: now, Data: data}
	if err := w.Store.DisableWebhookEndpoint(ctx, id, reason, now, notice); err != nil {
		w.Logger.ErrorContext(ctx, "disabling webhook endpoint", "endpoint_id", id, "error", err)
		return
	}
	w.Logger.WarnContext(ctx, "webhook endpoint disabled", "endpoint_id", id, "reason", reason)
}

// outcomeName names an attempt's outcome for OnAttempt.
func outcomeName(status string) string {
	if status == directory.DeliveryPending {
		return "retrying"
	}
	return status
}
