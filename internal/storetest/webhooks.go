package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// webhookTests check directory.WebhookStore: endpoint CRUD, fan-out
// compare-and-set, stream-ordered claiming with leases, recording,
// retries and pruning.
func webhookTests() []subtest {
	return []subtest{
		{"WebhookEndpointCRUD", testWebhookEndpointCRUD},
		{"WebhookFanOutCAS", testWebhookFanOutCAS},
		{"WebhookClaimStreamOrder", testWebhookClaimStreamOrder},
		{"WebhookLeaseExpiry", testWebhookLeaseExpiry},
		{"WebhookClaimLimits", testWebhookClaimLimits},
		{"WebhookClaimManyStreams", testWebhookClaimManyStreams},
		{"WebhookRecordFailingSince", testWebhookRecordFailingSince},
		{"WebhookRetryListPrune", testWebhookRetryListPrune},
		{"WebhookDisable", testWebhookDisable},
		{"WebhookEndpointStartsAtHead", testWebhookEndpointStartsAtHead},
		{"PruneEventsKeepsUndelivered", testPruneEventsKeepsUndelivered},
	}
}

type webhookFixture struct {
	*fixture
	ws directory.WebhookStore
}

func newWebhookFixture(t *testing.T, s directory.Store) *webhookFixture {
	t.Helper()
	ws, ok := s.(directory.WebhookStore)
	if !ok {
		t.Fatalf("%T does not implement directory.WebhookStore", s)
	}
	return &webhookFixture{fixture: newFixture(t, s), ws: ws}
}

func (f *webhookFixture) endpoint(mod ...func(*directory.WebhookEndpoint)) directory.WebhookEndpoint {
	f.t.Helper()
	id, err := f.svc.IDs.New(directory.PrefixWebhookEndpoint)
	if err != nil {
		f.t.Fatal(err)
	}
	now := f.clock.Now()
	e := directory.WebhookEndpoint{ID: id, URL: "https://example.com/hook", Description: "d", EventTypes: []string{},
		OrganizationIDs: []string{}, Enabled: true, Secret: []byte{1, 2, 3}, CreatedAt: now, UpdatedAt: now}
	for _, m := range mod {
		m(&e)
	}
	if err := f.ws.CreateWebhookEndpoint(f.ctx, e); err != nil {
		f.t.Fatalf("CreateWebhookEndpoint: %v", err)
	}
	got, err := f.ws.GetWebhookEndpoint(f.ctx, id)
	if err != nil {
		f.t.Fatalf("GetWebhookEndpoint: %v", err)
	}
	return got
}

// deliveries makes n pending deliveries, due at due, of one stream with
// sequences from seq.
func (f *webhookFixture) deliveries(endpointID, dirID string, seq int64, n int, due time.Time) []directory.WebhookDelivery {
	f.t.Helper()
	var ds []directory.WebhookDelivery
	for i := 0; i < n; i++ {
		ev := directory.Event{ID: fmt.Sprintf("evt_%s_%d", dirID, seq+int64(i)), Type: directory.EventUserCreated,
			OccurredAt: due, OrganizationID: f.org.ID, DirectoryID: dirID, Sequence: seq + int64(i), Position: seq + int64(i),
			Data: []byte(`{"n":1}`)}
		d, err := directory.NewDelivery(f.svc.IDs, endpointID, ev, due)
		if err != nil {
			f.t.Fatal(err)
		}
		// Not a real feed event: store its body.
		if d.Payload, err = directory.WebhookPayload(ev); err != nil {
			f.t.Fatal(err)
		}
		ds = append(ds, d)
	}
	return ds
}

func (f *webhookFixture) enqueue(ds []directory.WebhookDelivery) {
	f.t.Helper()
	if err := f.ws.EnqueueDeliveries(f.ctx, ds); err != nil {
		f.t.Fatalf("EnqueueDeliveries: %v", err)
	}
}

func (f *webhookFixture) claim(owner string, now time.Time, maxRuns, runLength int) []directory.DeliveryRun {
	f.t.Helper()
	runs, err := f.ws.ClaimDeliveries(f.ctx, directory.ClaimRequest{Owner: owner, Now: now, LeaseUntil: now.Add(time.Minute),
		MaxRuns: maxRuns, RunLength: runLength})
	if err != nil {
		f.t.Fatalf("ClaimDeliveries: %v", err)
	}
	return runs
}

// runSeqs describes runs as "dir:seq,seq" strings keyed by directory.
func runSeqs(runs []directory.DeliveryRun) map[string][]int64 {
	out := map[string][]int64{}
	for _, r := range runs {
		for _, d := range r.Deliveries {
			out[d.DirectoryID] = append(out[d.DirectoryID], d.Sequence)
		}
	}
	return out
}

func okResult(d directory.WebhookDelivery, at time.Time) directory.DeliveryResult {
	return directory.DeliveryResult{EndpointID: d.EndpointID, Status: directory.DeliverySucceeded, NextAttemptAt: at,
		Attempt: directory.WebhookAttempt{DeliveryID: d.ID, AttemptedAt: at, StatusCode: 204, Latency: 1500 * time.Microsecond}}
}

func failResult(d directory.WebhookDelivery, at, next time.Time) directory.DeliveryResult {
	return directory.DeliveryResult{EndpointID: d.EndpointID, Status: directory.DeliveryPending, NextAttemptAt: next,
		Attempt: directory.WebhookAttempt{DeliveryID: d.ID, AttemptedAt: at, StatusCode: 500, ResponseBody: "boom ü", Error: "HTTP 500"}}
}

func testWebhookEndpointCRUD(t *testing.T, s directory.Store) {
	f := newWebhookFixture(t, s)
	exp := f.clock.Now().Add(time.Hour)
	e := f.endpoint(func(e *directory.WebhookEndpoint) {
		e.EventTypes = []string{directory.EventUserCreated, directory.EventGroupCreated}
		e.OrganizationIDs = []string{f.org.ID}
		e.PreviousSecret, e.PreviousSecretExpiresAt = []byte{9, 9}, exp
	})
	if diff := cmp.Diff([]string{directory.EventUserCreated, directory.EventGroupCreated}, e.EventTypes); diff != "" {
		t.Errorf("event types (-want +got):\n%s", diff)
	}
	if string(e.Secret) != "\x01\x02\x03" || string(e.PreviousSecret) != "\x09\x09" || !e.PreviousSecretExpiresAt.Equal(exp) {
		t.Errorf("secrets did not round-trip: %v %v %v", e.Secret, e.PreviousSecret, e.PreviousSecretExpiresAt)
	}
	if e.PreviousSecretExpiresAt.Location() != time.UTC || e.CreatedAt.Location() != time.UTC {
		t.Errorf("times not in UTC")
	}
	off := f.endpoint(func(e *directory.WebhookEndpoint) { e.Enabled = false })
	all, err := f.ws.ListWebhookEndpoints(f.ctx, "", 0, false)
	if err != nil || len(all) != 2 {
		t.Fatalf("ListWebhookEndpoints(all) = %d, %v; want 2", len(all), err)
	}
	on, err := f.ws.ListWebhookEndpoints(f.ctx, "", 0, true)
	if err != nil || len(on) != 1 || on[0].ID != e.ID {
		t.Fatalf("ListWebhookEndpoints(enabled) = %v, %v; want only %s", on, err, e.ID)
	}
	page, err := f.ws.ListWebhookEndpoints(f.ctx, all[0].ID, 1, false)
	if err != nil || len(page) != 1 || page[0].ID != all[1].ID {
		t.Fatalf("second page = %v, %v", page, err)
	}
	now := f.clock.Now()
	up, err := f.ws.UpdateWebhookEndpoint(f.ctx, off.ID, now, func(e *directory.WebhookEndpoint) error {
		e.URL, e.Enabled, e.EventTypes, e.FanoutPosition = "http://127.0.0.1:9/x", true, []string{directory.EventUserDeleted}, 99
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateWebhookEndpoint: %v", err)
	}
	got, _ := f.ws.GetWebhookEndpoint(f.ctx, off.ID)
	if diff := cmp.Diff(up, got, cmpopts.IgnoreFields(directory.WebhookEndpoint{}, "FanoutPosition")); diff != "" {
		t.Errorf("update result differs from stored (-returned +stored):\n%s", diff)
	}
	if got.FanoutPosition != off.FanoutPosition || !got.UpdatedAt.Equal(now) || !got.Enabled || got.URL != "http://127.0.0.1:9/x" {
		t.Errorf("after update: %+v", got)
	}
	if _, err := f.ws.UpdateWebhookEndpoint(f.ctx, "whep_nope", now, func(*directory.WebhookEndpoint) error { return nil }); !directory.IsNotFound(err) {
		t.Errorf("update of unknown endpoint: %v, want not found", err)
	}
	f.enqueue(f.deliveries(e.ID, f.dir.ID, 1, 2, now))
	if err := f.ws.DeleteWebhookEndpoint(f.ctx, e.ID); err != nil {
		t.Fatalf("DeleteWebhookEndpoint: %v", err)
	}
	if _, err := f.ws.GetWebhookEndpoint(f.ctx, e.ID); !directory.IsNotFound(err) {
		t.Errorf("get after delete: %v, want not found", err)
	}
	if err := f.ws.DeleteWebhookEndpoint(f.ctx, e.ID); !directory.IsNotFound(err) {
		t.Errorf("second delete: %v, want not found", err)
	}
	if _, err := f.ws.ListWebhookDeliveries(f.ctx, e.ID, "", 0); !directory.IsNotFound(err) {
		t.Errorf("deliveries of a deleted endpoint: %v, want not found", err)
	}
	if runs := f.claim("w", now.Add(time.Hour), 10, 10); len(runs) != 0 {
		t.Errorf("deliveries of a deleted endpoint are still claimable: %v", runSeqs(runs))
	}
}

func testWebhookFanOutCAS(t *testing.T, s directory.Store) {
	f := newWebhookFixture(t, s)
	e := f.endpoint()
	now := f.clock.Now()
	from := e.FanoutPosition
	if err := f.ws.FanOut(f.ctx, e.ID, from, from+3, f.deliveries(e.ID, f.dir.ID, 1, 3, now)); err != nil {
		t.Fatalf("FanOut: %v", err)
	}
	err := f.ws.FanOut(f.ctx, e.ID, from, from+5, f.deliveries(e.ID, f.dir.ID, 4, 2, now))
	if directory.KindOf(err) != directory.KindPrecondition {
		t.Fatalf("FanOut from a stale position: %v, want KindPrecondition", err)
	}
	if err := f.ws.FanOut(f.ctx, "whep_nope", 0, 1, nil); !directory.IsNotFound(err) {
		t.Errorf("FanOut of unknown endpoint: %v, want not found", err)
	}
	got, _ := f.ws.GetWebhookEndpoint(f.ctx, e.ID)
	if got.FanoutPosition != from+3 {
		t.Errorf("fan-out position %d, want %d", got.FanoutPosition, from+3)
	}
	ds, err := f.ws.ListWebhookDeliveries(f.ctx, e.ID, "", 0)
	if err != nil || len(ds) != 3 {
		t.Fatalf("deliveries after fan-out: %d, %v; want 3 (the stale fan-out wrote nothing)", len(ds), err)
	}
	// An empty fan-out still moves the position (no event matched).
	if err := f.ws.FanOut(f.ctx, e.ID, from+3, from+10, nil); err != nil {
		t.Fatalf("empty FanOut: %v", err)
	}
}

func testWebhookClaimStreamOrder(t *testing.T, s directory.Store) {
	f := newWebhookFixture(t, s)
	e := f.endpoint()
	dirB := f.newDir()
	now := f.clock.Now()
	// Enqueued out of order: the stream order is by sequence.
	f.enqueue(f.deliveries(e.ID, f.dir.ID, 3, 3, now))
	f.enqueue(f.deliveries(e.ID, f.dir.ID, 1, 2, now))
	f.enqueue(f.deliveries(e.ID, dirB.ID, 1, 5, now))
	runs := f.claim("w1", now, 10, 3)
	want := map[string][]int64{f.dir.ID: {1, 2, 3}, dirB.ID: {1, 2, 3}}
	if diff := cmp.Diff(want, runSeqs(runs)); diff != "" {
		t.Fatalf("first claim (-want +got):\n%s", diff)
	}
	for _, r := range runs {
		if r.Endpoint.ID != e.ID || string(r.Endpoint.Secret) != "\x01\x02\x03" {
			t.Errorf("run endpoint = %+v", r.Endpoint)
		}
	}
	if again := f.claim("w2", now, 10, 3); len(again) != 0 {
		t.Fatalf("claimed streams whose heads are leased: %v", runSeqs(again))
	}
	var a, b []directory.WebhookDelivery
	for _, r := range runs {
		if r.Deliveries[0].DirectoryID == f.dir.ID {
			a = r.Deliveries
		} else {
			b = r.Deliveries
		}
	}
	later := now.Add(time.Hour)
	results := []directory.DeliveryResult{okResult(a[0], now), failResult(a[1], now, later), okResult(b[0], now), okResult(b[1], now), okResult(b[2], now)}
	if err := f.ws.RecordDeliveries(f.ctx, "w1", now, results, []string{a[2].ID}); err != nil {
		t.Fatalf("RecordDeliveries: %v", err)
	}
	// A waits for its failed head (seq 2) until later; B goes on at 4.
	if diff := cmp.Diff(map[string][]int64{dirB.ID: {4, 5}}, runSeqs(f.claim("w2", now, 10, 10))); diff != "" {
		t.Errorf("second claim (-want +got):\n%s", diff)
	}
	// (B's 4 and 5 come again too: their lease lapsed unrecorded.)
	if diff := cmp.Diff(map[string][]int64{f.dir.ID: {2, 3, 4, 5}, dirB.ID: {4, 5}}, runSeqs(f.claim("w2", later, 10, 10))); diff != "" {
		t.Errorf("claim after the backoff (-want +got):\n%s", diff)
	}
	d, err := f.ws.GetWebhookDelivery(f.ctx, e.ID, a[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Attempts != 1 || d.Status != directory.DeliveryPending || len(d.AttemptLog) != 1 || d.AttemptLog[0].StatusCode != 500 ||
		d.AttemptLog[0].ResponseBody != "boom ü" || string(d.Payload) != string(a[1].Payload) {
		t.Errorf("failed delivery = %+v", d)
	}
}

func testWebhookLeaseExpiry(t *testing.T, s directory.Store) {
	f := newWebhookFixture(t, s)
	e := f.endpoint()
	now := f.clock.Now()
	f.enqueue(f.deliveries(e.ID, f.dir.ID, 1, 3, now))
	first := f.claim("dead", now, 1, 10)
	if len(first) != 1 || len(first[0].Deliveries) != 3 {
		t.Fatalf("claim = %v", runSeqs(first))
	}
	// The owner died: within the lease nothing is claimable, after it
	// everything is, in order.
	if r := f.claim("alive", now.Add(30*time.Second), 1, 10); len(r) != 0 {
		t.Fatalf("claimed within another's lease: %v", runSeqs(r))
	}
	r := f.claim("alive", now.Add(2*time.Minute), 1, 10)
	if diff := cmp.Diff(map[string][]int64{f.dir.ID: {1, 2, 3}}, runSeqs(r)); diff != "" {
		t.Fatalf("claim after lease expiry (-want +got):\n%s", diff)
	}
	// The dead owner's late record does not override the new owner's.
	if err := f.ws.RecordDeliveries(f.ctx, "dead", now, []directory.DeliveryResult{failResult(first[0].Deliveries[0], now, now.Add(time.Hour))}, nil); err != nil {
		t.Fatalf("RecordDeliveries(dead): %v", err)
	}
	d, _ := f.ws.GetWebhookDelivery(f.ctx, e.ID, first[0].Deliveries[0].ID)
	if d.Attempts != 0 || len(d.AttemptLog) != 1 {
		t.Errorf("a lapsed owner changed the delivery: attempts %d, log %d", d.Attempts, len(d.AttemptLog))
	}
}

func testWebhookClaimLimits(t *testing.T, s directory.Store) {
	f := newWebhookFixture(t, s)
	e := f.endpoint()
	off := f.endpoint()
	now := f.clock.Now()
	dirs := []directory.Directory{f.dir, f.newDir(), f.newDir()}
	for _, d := range dirs {
		f.enqueue(f.deliveries(e.ID, d.ID, 1, 1, now))
		f.enqueue(f.deliveries(off.ID, d.ID, 1, 1, now))
	}
	if _, err := f.ws.UpdateWebhookEndpoint(f.ctx, off.ID, now, func(e *directory.WebhookEndpoint) error { e.Enabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	runs, err := f.ws.ClaimDeliveries(f.ctx, directory.ClaimRequest{Owner: "w", Now: now, LeaseUntil: now.Add(time.Minute),
		MaxRuns: 10, RunLength: 10, PerEndpoint: 2, Busy: map[string]int{e.ID: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Endpoint.ID != e.ID {
		t.Fatalf("claimed %d runs (%v), want 1 of %s: a per-endpoint cap of 2 with 1 busy, the other endpoint disabled", len(runs), runSeqs(runs), e.ID)
	}
	if runs := f.claim("w", now, 1, 10); len(runs) != 1 {
		t.Fatalf("MaxRuns 1 claimed %d", len(runs))
	}
}

func testWebhookRecordFailingSince(t *testing.T, s directory.Store) {
	f := newWebhookFixture(t, s)
	e := f.endpoint()
	t0 := f.clock.Now()
	f.enqueue(f.deliveries(e.ID, f.dir.ID, 1, 3, t0))
	r := f.claim("w", t0, 1, 10)[0].Deliveries
	if err := f.ws.RecordDeliveries(f.ctx, "w", t0, []directory.DeliveryResult{failResult(r[0], t0, t0)}, []string{r[1].ID, r[2].ID}); err != nil {
		t.Fatal(err)
	}
	got, _ := f.ws.GetWebhookEndpoint(f.ctx, e.ID)
	if !got.FailingSince.Equal(t0) {
		t.Fatalf("failing since %v, want %v", got.FailingSince, t0)
	}
	t1 := t0.Add(time.Minute)
	r = f.claim("w", t1, 1, 10)[0].Deliveries
	if err := f.ws.RecordDeliveries(f.ctx, "w", t1, []directory.DeliveryResult{failResult(r[0], t1, t1)}, []string{r[1].ID, r[2].ID}); err != nil {
		t.Fatal(err)
	}
	if got, _ = f.ws.GetWebhookEndpoint(f.ctx, e.ID); !got.FailingSince.Equal(t0) {
		t.Fatalf("a second failure moved failing since to %v, want %v", got.FailingSince, t0)
	}
	t2 := t1.Add(time.Minute)
	r = f.claim("w", t2, 1, 10)[0].Deliveries
	if err := f.ws.RecordDeliveries(f.ctx, "w", t2, []directory.DeliveryResult{okResult(r[0], t2), okResult(r[1], t2), failResult(r[2], t2, t2)}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ = f.ws.GetWebhookEndpoint(f.ctx, e.ID); !got.FailingSince.Equal(t2) {
		t.Fatalf("after successes then a failure, failing since %v, want %v", got.FailingSince, t2)
	}
	r = f.claim("w", t2, 1, 10)[0].Deliveries
	if err := f.ws.RecordDeliveries(f.ctx, "w", t2, []directory.DeliveryResult{okResult(r[0], t2)}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ = f.ws.GetWebhookEndpoint(f.ctx, e.ID); !got.FailingSince.IsZero() {
		t.Fatalf("after a success, failing since %v, want zero", got.FailingSince)
	}
}

func testWebhookRetryListPrune(t *testing.T, s directory.Store) {
	f := newWebhookFixture(t, s)
	e := f.endpoint()
	now := f.clock.Now()
	ds := f.deliveries(e.ID, f.dir.ID, 1, 5, now)
	f.enqueue(ds)
	r := f.claim("w", now, 1, 10)[0].Deliveries
	gaveUp := failResult(r[0], now, now)
	gaveUp.Status = directory.DeliveryFailed
	if err := f.ws.RecordDeliveries(f.ctx, "w", now, []directory.DeliveryResult{gaveUp}, []string{r[1].ID, r[2].ID, r[3].ID, r[4].ID}); err != nil {
		t.Fatal(err)
	}
	// A failed delivery no longer holds up its stream.
	if diff := cmp.Diff(map[string][]int64{f.dir.ID: {2, 3, 4, 5}}, runSeqs(f.claim("w", now, 1, 10))); diff != "" {
		t.Errorf("claim after a failed head (-want +got):\n%s", diff)
	}
	later := now.Add(time.Hour)
	d, err := f.ws.RetryWebhookDelivery(f.ctx, e.ID, ds[0].ID, later)
	if err != nil {
		t.Fatalf("RetryWebhookDelivery: %v", err)
	}
	if d.Status != directory.DeliveryPending || d.Attempts != 0 || !d.NextAttemptAt.Equal(later) || len(d.AttemptLog) != 1 {
		t.Errorf("retried delivery = %+v", d)
	}
	if _, err := f.ws.RetryWebhookDelivery(f.ctx, e.ID, "msg_nope", later); !directory.IsNotFound(err) {
		t.Errorf("retry of unknown delivery: %v", err)
	}
	other := f.endpoint()
	if _, err := f.ws.GetWebhookDelivery(f.ctx, other.ID, ds[0].ID); !directory.IsNotFound(err) {
		t.Errorf("a delivery read through another endpoint: %v, want not found", err)
	}
	page1, err := f.ws.ListWebhookDeliveries(f.ctx, e.ID, "", 2)
	if err != nil || len(page1) != 2 || page1[0].ID != ds[4].ID {
		t.Fatalf("first page = %v, %v", page1, err)
	}
	page2, err := f.ws.ListWebhookDeliveries(f.ctx, e.ID, page1[1].ID, 10)
	if err != nil || len(page2) != 3 || page2[2].ID != ds[0].ID || len(page2[2].AttemptLog) != 1 {
		t.Fatalf("second page = %v, %v", page2, err)
	}
	// Prune: only finished deliveries updated before the cutoff go.
	r = f.claim("w", later, 1, 10)[0].Deliveries
	if err := f.ws.RecordDeliveries(f.ctx, "w", later, []directory.DeliveryResult{okResult(r[0], later)}, nil); err != nil {
		t.Fatal(err)
	}
	n, err := f.ws.PruneWebhookDeliveries(f.ctx, later.Add(time.Second))
	if err != nil || n != 1 {
		t.Fatalf("PruneWebhookDeliveries = %d, %v; want 1", n, err)
	}
	left, _ := f.ws.ListWebhookDeliveries(f.ctx, e.ID, "", 0)
	if len(left) != 4 {
		t.Errorf("%d deliveries left, want the 4 pending", len(left))
	}
}

func testWebhookDisable(t *testing.T, s directory.Store) {
	f := newWebhookFixture(t, s)
	e := f.endpoint()
	now := f.clock.Now()
	notice := directory.Event{ID: "evt_notice_1", Type: directory.EventWebhookEndpointDisabled, OccurredAt: now, Data: []byte(`{"id":"` + e.ID + `"}`)}
	if err := f.ws.DisableWebhookEndpoint(f.ctx, e.ID, "failing", now, notice); err != nil {
		t.Fatalf("DisableWebhookEndpoint: %v", err)
	}
	got, _ := f.ws.GetWebhookEndpoint(f.ctx, e.ID)
	if got.Enabled || got.DisabledReason != "failing" {
		t.Errorf("after disable: enabled %v, reason %q", got.Enabled, got.DisabledReason)
	}
	// The notice is in the feed, written with the change.
	evs, err := f.s.ListEvents(f.ctx, directory.EventQuery{Types: []string{directory.EventWebhookEndpointDisabled}})
	if err != nil || len(evs) != 1 || string(evs[0].Data) != string(notice.Data) || evs[0].DirectoryID != "" || evs[0].Sequence != 0 {
		t.Fatalf("notices in the feed = %+v, %v; want the one notice", evs, err)
	}
	if err := f.ws.DisableWebhookEndpoint(f.ctx, e.ID, "again", now, notice); err != nil {
		t.Errorf("disabling a disabled endpoint: %v, want nil (no-op)", err)
	}
	if err := f.ws.DisableWebhookEndpoint(context.Background(), "whep_nope", "x", now, notice); !directory.IsNotFound(err) {
		t.Errorf("disabling an unknown endpoint: %v, want not found", err)
	}
}

func testWebhookEndpointStartsAtHead(t *testing.T, s directory.Store) {
	f := newWebhookFixture(t, s)
	f.userNamed(f.dir.ID, "before@example.com")
	head, err := f.s.LastEventPosition(f.ctx)
	if err != nil || head == 0 {
		t.Fatalf("LastEventPosition = %d, %v", head, err)
	}
	e := f.endpoint()
	if e.FanoutPosition != head {
		t.Errorf("new endpoint's fan-out position %d, want the feed head %d", e.FanoutPosition, head)
	}
}

// eventPruner is sqlstore's PruneEvents.
type eventPruner interface {
	PruneEvents(ctx context.Context, before time.Time) (int, error)
}

func testPruneEventsKeepsUndelivered(t *testing.T, s directory.Store) {
	f := newWebhookFixture(t, s)
	p, isPruner := s.(eventPruner)
	if !isPruner {
		t.Fatalf("%T has no PruneEvents", s)
	}
	for i := 0; i < 3; i++ {
		f.userNamed(f.dir.ID, fmt.Sprintf("old%d@example.com", i))
	}
	all := func() []directory.Event {
		evs, err := f.s.ListEvents(f.ctx, directory.EventQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	old := all() // 3 events, fanned out below
	e := f.endpoint()
	lagging := f.endpoint()
	// e fanned out all three and has a pending delivery of the second;
	// lagging has fanned out only the first.
	d, err := directory.NewDelivery(f.svc.IDs, e.ID, old[1], f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	f.enqueue([]directory.WebhookDelivery{d})
	// Move lagging's position back: it has seen only old[0].
	lagPos := old[0].Position
	if err := setFanout(f, lagging, lagPos); err != nil {
		t.Fatal(err)
	}
	n, err := p.PruneEvents(f.ctx, f.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatalf("PruneEvents: %v", err)
	}
	if n != 1 {
		t.Errorf("pruned %d events, want 1 (old[0]: fanned out everywhere, no pending delivery)", n)
	}
	left := all()
	if len(left) != 2 || left[0].ID != old[1].ID || left[1].ID != old[2].ID {
		t.Errorf("left %v, want old[1] (pending delivery) and old[2] (not fanned out to lagging)", left)
	}
	// Once lagging is disabled and the delivery done, everything old goes.
	if _, err := f.ws.UpdateWebhookEndpoint(f.ctx, lagging.ID, f.clock.Now(), func(e *directory.WebhookEndpoint) error { e.Enabled = false; return nil }); err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	r := f.claim("w", now, 1, 1)
	if len(r) != 1 {
		t.Fatalf("claim = %v", runSeqs(r))
	}
	if err := f.ws.RecordDeliveries(f.ctx, "w", now, []directory.DeliveryResult{okResult(r[0].Deliveries[0], now)}, nil); err != nil {
		t.Fatal(err)
	}
	// old[2] stays: the newest event (the log numbers new events after it).
	if n, err = p.PruneEvents(f.ctx, f.clock.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("second PruneEvents = %d, %v; want 1", n, err)
	}
	// Nothing newer than before is pruned.
	f.userNamed(f.dir.ID, "new@example.com")
	if n, err = p.PruneEvents(f.ctx, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil || n != 0 {
		t.Errorf("PruneEvents(2000) = %d, %v; want 0", n, err)
	}
	// A newer event makes old[2] prunable (once the feed has numbered it:
	// PostgreSQL gives positions when the feed is read); the newest stays,
	// and the next event of the directory still gets the next sequence.
	all()
	if n, err = p.PruneEvents(f.ctx, f.clock.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("third PruneEvents = %d, %v; want 1", n, err)
	}
	f.userNamed(f.dir.ID, "newer@example.com")
	left = all()
	if len(left) != 2 || left[1].Sequence != left[0].Sequence+1 || left[1].Position <= left[0].Position {
		t.Errorf("after pruning, the feed holds %+v", left)
	}
}

// setFanout moves an endpoint's fan-out position with FanOut's
// compare-and-set (the only way to move it).
func setFanout(f *webhookFixture, e directory.WebhookEndpoint, pos int64) error {
	cur, err := f.ws.GetWebhookEndpoint(f.ctx, e.ID)
	if err != nil {
		return err
	}
	return f.ws.FanOut(f.ctx, e.ID, cur.FanoutPosition, pos, nil)
}

// testWebhookClaimManyStreams: every stream of several endpoints and
// directories is found, each from its head, however deep its backlog.
func testWebhookClaimManyStreams(t *testing.T, s directory.Store) {
	f := newWebhookFixture(t, s)
	now := f.clock.Now()
	dirs := []directory.Directory{f.dir, f.newDir(), f.newDir(), f.newDir()}
	want := map[string]bool{}
	for i := 0; i < 3; i++ {
		e := f.endpoint()
		for j, d := range dirs {
			if (i+j)%4 == 3 {
				continue // some streams absent
			}
			f.enqueue(f.deliveries(e.ID, d.ID, 1, 3+j*50, now))
			want[e.ID+"/"+d.ID] = true
		}
	}
	runs := f.claim("w", now, 100, 2)
	got := map[string]bool{}
	for _, r := range runs {
		d := r.Deliveries
		if len(d) != 2 || d[0].Sequence != 1 || d[1].Sequence != 2 || r.Endpoint.ID != d[0].EndpointID {
			t.Errorf("run %s/%s = %d deliveries from sequence %d", d[0].EndpointID, d[0].DirectoryID, len(d), d[0].Sequence)
		}
		got[d[0].EndpointID+"/"+d[0].DirectoryID] = true
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("streams claimed (-want +got):\n%s", diff)
	}
	if again := f.claim("w", now, 100, 2); len(again) != 0 {
		t.Errorf("claimed %d more runs while every head is leased", len(again))
	}
}
