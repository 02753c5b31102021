package webhook

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/client"
	"github.com/scimbridge/scimbridge/internal/directory"
)

func TestDeliverSignedInOrder(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	want := e.enqueue([]string{"dir_a", "dir_b", "dir_c"}, 30)
	stop := run(t, e.worker(e.st))
	waitFor(t, 10*time.Second, "90 deliveries", func() bool { return e.rcv.accepted() == 90 && e.pending(e.st) == 0 })
	stop()
	e.rcv.checkNoBad()
	e.rcv.checkOrder(want, false)
	if n := e.pending(e.st); n != 0 {
		t.Errorf("%d deliveries still pending", n)
	}
	ds, _ := e.st.ListWebhookDeliveries(context.Background(), e.ep.ID, "", 1)
	if d := ds[0]; d.Status != directory.DeliverySucceeded || d.Attempts != 1 || len(d.AttemptLog) != 1 ||
		d.AttemptLog[0].StatusCode != 204 || d.AttemptLog[0].Latency <= 0 {
		t.Errorf("delivery after success: %+v", d)
	}
}

// TestReceiverRecovers: the receiver answers 500 for a while, then 204;
// every event arrives, in order per directory, none lost.
func TestReceiverRecovers(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	recoverAt := time.Now().Add(400 * time.Millisecond)
	e.rcv.status = func(int64) int {
		if time.Now().Before(recoverAt) {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	w := e.worker(e.st)
	// A schedule long enough to outlast the outage: 5 retries over ~1.2 s.
	w.Schedule = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond, 500 * time.Millisecond}
	want := e.enqueue([]string{"dir_a", "dir_b", "dir_c", "dir_d"}, 25)
	stop := run(t, w)
	waitFor(t, 15*time.Second, "100 deliveries", func() bool { return e.rcv.accepted() == 100 && e.pending(e.st) == 0 })
	stop()
	e.rcv.checkNoBad()
	e.rcv.checkOrder(want, false)
	if e.rcv.requests.Load() <= 100 {
		t.Errorf("only %d requests: the outage was not exercised", e.rcv.requests.Load())
	}
	// The failed attempts are logged with the response prefix.
	ds, _ := e.st.ListWebhookDeliveries(context.Background(), e.ep.ID, "", 0)
	failures := 0
	for _, d := range ds {
		for _, a := range d.AttemptLog {
			if a.StatusCode == 500 {
				failures++
				if a.ResponseBody != "answer 500" || a.Error != "HTTP 500" {
					t.Errorf("failed attempt logged as %+v", a)
				}
			}
		}
	}
	if failures == 0 {
		t.Error("no failed attempt was logged")
	}
}

// TestGiveUpAfterSchedule: a receiver that never recovers gets 1 + len
// (schedule) attempts per delivery, then the delivery is failed and the
// stream moves on.
func TestGiveUpAfterSchedule(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	e.rcv.status = func(int64) int { return http.StatusBadGateway }
	w := e.worker(e.st)
	w.Schedule = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}
	e.enqueue([]string{"dir_a"}, 2)
	stop := run(t, w)
	waitFor(t, 10*time.Second, "both deliveries failed", func() bool { return e.pending(e.st) == 0 })
	stop()
	ds, _ := e.st.ListWebhookDeliveries(context.Background(), e.ep.ID, "", 0)
	for _, d := range ds {
		if d.Status != directory.DeliveryFailed || len(d.AttemptLog) != 3 {
			t.Errorf("delivery %s: status %s after %d attempts, want failed after 3", d.ID, d.Status, len(d.AttemptLog))
		}
	}
	ep, _ := e.st.GetWebhookEndpoint(context.Background(), e.ep.ID)
	if ep.FailingSince.IsZero() || !ep.Enabled {
		t.Errorf("endpoint after failures: failing since %v, enabled %v", ep.FailingSince, ep.Enabled)
	}
}

// TestKilledWorkerRestarted: a worker whose store is closed under it
// mid-delivery (as if the process died: its leases stay) is replaced by a
// new one, which delivers everything pending once the leases lapse.
func TestKilledWorkerRestarted(t *testing.T) {
	dsn := sqliteDSN(t)
	e := newEnv(t, dsn)
	e.rcv.delay = 2 * time.Millisecond
	want := e.enqueue([]string{"dir_a", "dir_b"}, 100)
	st1 := openStore(t, dsn)
	w1 := e.worker(st1)
	w1.Lease, w1.Timeout = 500*time.Millisecond, 200*time.Millisecond
	w1.RunLength = 10
	stop1 := run(t, w1)
	waitFor(t, 10*time.Second, "some deliveries", func() bool { return e.rcv.accepted() >= 30 })
	st1.Close() // the process dies: nothing more is recorded
	stop1()
	if got := e.rcv.accepted(); got >= 200 {
		t.Fatalf("the first worker delivered everything (%d) before it was killed", got)
	}
	w2 := e.worker(e.st)
	stop2 := run(t, w2)
	waitFor(t, 15*time.Second, "all 200 deliveries", func() bool { return e.rcv.accepted() == 200 && e.pending(e.st) == 0 })
	stop2()
	e.rcv.checkNoBad()
	e.rcv.checkOrder(want, true)
}

// TestRotationSignsWithBoth: after a rotation every request carries two
// signatures, and either secret verifies it on its own.
func TestRotationSignsWithBoth(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	_, newSecret, err := e.svc.RotateWebhookSecret(context.Background(), e.ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if newSecret == e.secret || !strings.HasPrefix(newSecret, "whsec_") {
		t.Fatalf("rotated secret %q", newSecret)
	}
	e.rcv.secrets = []string{e.secret, newSecret} // each must verify on its own
	e.enqueue([]string{"dir_a"}, 3)
	stop := run(t, e.worker(e.st))
	waitFor(t, 10*time.Second, "3 deliveries", func() bool { return e.rcv.accepted() == 3 })
	stop()
	e.rcv.checkNoBad()
	for _, s := range e.rcv.sigs {
		if n := len(strings.Fields(s)); n != 2 {
			t.Errorf("webhook-signature %q has %d signatures, want 2", s, n)
		}
	}
}

// TestRotationOverlapEnds: once the previous secret expires only the new
// one signs.
func TestRotationOverlapEnds(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	_, newSecret, err := e.svc.RotateWebhookSecret(context.Background(), e.ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.rcv.secrets = []string{newSecret}
	e.enqueue([]string{"dir_a"}, 1)
	if _, err := e.st.UpdateWebhookEndpoint(context.Background(), e.ep.ID, time.Now(), func(ep *directory.WebhookEndpoint) error {
		ep.PreviousSecretExpiresAt = time.Now().Add(-time.Second)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	stop := run(t, e.worker(e.st))
	waitFor(t, 10*time.Second, "1 delivery", func() bool { return e.rcv.accepted() == 1 })
	stop()
	if n := len(strings.Fields(e.rcv.sigs[0])); n != 1 {
		t.Errorf("after the overlap, %d signatures, want 1", n)
	}
	if err := client.VerifyWebhook(e.secret, http.Header{}, nil, 0); err == nil {
		t.Error("empty headers verified")
	}
}

// TestAutoDisable: an endpoint failing for longer than DisableAfter is
// disabled, with a reason.
func TestAutoDisable(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	e.rcv.status = func(int64) int { return http.StatusServiceUnavailable }
	e.enqueue([]string{"dir_a"}, 1)
	w := e.worker(e.st)
	w.DisableAfter = 5 * 24 * time.Hour
	// The clock jumps 6 days after the first failure.
	w.IDs.Now = func() time.Time {
		if e.rcv.requests.Load() >= 1 {
			return time.Now().Add(6 * 24 * time.Hour)
		}
		return time.Now()
	}
	w.Schedule = []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}
	stop := run(t, w)
	waitFor(t, 10*time.Second, "the endpoint disabled", func() bool {
		ep, _ := e.st.GetWebhookEndpoint(context.Background(), e.ep.ID)
		return !ep.Enabled
	})
	stop()
	ep, _ := e.st.GetWebhookEndpoint(context.Background(), e.ep.ID)
	if !strings.Contains(ep.DisabledReason, "failed since") {
		t.Errorf("disabled reason %q", ep.DisabledReason)
	}
	// Re-enabling through the service clears the reason and the streak.
	ep, err := e.svc.UpdateWebhookEndpoint(context.Background(), e.ep.ID, directory.WebhookEndpointChange{Enabled: new(true)})
	if err != nil || !ep.Enabled || ep.DisabledReason != "" || !ep.FailingSince.IsZero() {
		t.Errorf("re-enabled: %+v, %v", ep, err)
	}
}

// TestTwoWorkersPostgres: two workers, each with its own connection pool
// as two processes would have, share one PostgreSQL: every delivery is
// sent once, in order per directory.
func TestTwoWorkersPostgres(t *testing.T) {
	dsn := postgresDSN(t)
	e := newEnv(t, dsn)
	dirs := []string{"dir_a", "dir_b", "dir_c", "dir_d", "dir_e", "dir_f"}
	want := e.enqueue(dirs, 50)
	st2 := openStore(t, dsn)
	defer st2.Close()
	w1, w2 := e.worker(e.st), e.worker(st2)
	w1.RunLength, w2.RunLength = 5, 5
	stop1, stop2 := run(t, w1), run(t, w2)
	waitFor(t, 20*time.Second, "300 deliveries", func() bool { return e.rcv.accepted() == 300 && e.pending(e.st) == 0 })
	stop1()
	stop2()
	e.rcv.checkNoBad()
	e.rcv.checkOrder(want, false)
	e.rcv.mu.Lock()
	defer e.rcv.mu.Unlock()
	for id, n := range e.rcv.ids {
		if n != 1 {
			t.Errorf("delivery %s accepted %d times, want once", id, n)
		}
	}
	owners := map[string]bool{}
	ds, _ := e.st.ListWebhookDeliveries(context.Background(), e.ep.ID, "", 0)
	for _, d := range ds {
		owners[d.Status] = true
	}
	if !owners[directory.DeliverySucceeded] || len(owners) != 1 {
		t.Errorf("delivery statuses %v, want only succeeded", owners)
	}
}

// TestSlowEndpointDoesNotDelayOthers: an endpoint that never answers in
// time does not hold up another endpoint's deliveries.
func TestSlowEndpointDoesNotDelayOthers(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	e.rcv.delay = 5 * time.Second // slower than the worker's timeout
	fast := newReceiver(t)
	fep, fsecret, err := e.svc.CreateWebhookEndpoint(context.Background(), directory.WebhookEndpointInput{URL: fast.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	fast.secrets = []string{fsecret}
	dirs := []string{"dir_a", "dir_b", "dir_c", "dir_d", "dir_e", "dir_f", "dir_g", "dir_h"}
	e.enqueue(dirs, 5) // 8 streams to the slow endpoint
	slowEP := e.ep
	e.ep = fep
	want := e.enqueue(dirs, 5) // and 8 to the fast one
	e.ep = slowEP
	w := e.worker(e.st)
	w.Timeout, w.Lease, w.PerEndpoint, w.MaxStreams = 800*time.Millisecond, 3*time.Second, 2, 4
	start := time.Now()
	stop := run(t, w)
	waitFor(t, 10*time.Second, "the fast endpoint's 40 deliveries", func() bool { return fast.accepted() == 40 })
	took := time.Since(start)
	stop()
	fast.checkNoBad()
	fast.checkOrder(want, false)
	if took > 2*time.Second {
		t.Errorf("the fast endpoint waited %s behind the slow one", took)
	}
	if e.rcv.accepted() != 0 {
		t.Errorf("the slow endpoint accepted %d", e.rcv.accepted())
	}
}
