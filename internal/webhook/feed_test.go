package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// TestFeedToReceiver: users created in three directories in parallel
// reach the receiver through the feed, in sequence order per directory,
// each body the feed's own rendering of the event.
func TestFeedToReceiver(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	dirs := e.directories(3)
	// Fail for a while first: recovery through the real feed.
	recoverAt := time.Now().Add(300 * time.Millisecond)
	e.rcv.status = func(int64) int {
		if time.Now().Before(recoverAt) {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	w := e.worker(e.st)
	w.Schedule = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}
	stop := run(t, w)
	want := e.provision(dirs, 40)
	waitFor(t, 15*time.Second, "120 deliveries", func() bool { return e.rcv.accepted() == 120 })
	stop()
	e.rcv.checkNoBad()
	e.rcv.checkOrder(want, false)
	// The body is the feed's rendering of the event.
	ds, err := e.st.ListWebhookDeliveries(context.Background(), e.ep.ID, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := e.st.GetEvent(context.Background(), ds[0].EventID)
	if err != nil {
		t.Fatal(err)
	}
	feed, _ := json.Marshal(ev.Payload())
	if string(feed) != string(ds[0].Payload) {
		t.Errorf("webhook body differs from the feed's:\n%s\n%s", ds[0].Payload, feed)
	}
}

// TestFilters: an endpoint gets only the types and organizations it asked
// for, and its fan-out position still moves past the others.
func TestFilters(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	other, err := e.dsvc.CreateOrganization(context.Background(), "Other", "")
	if err != nil {
		t.Fatal(err)
	}
	od, err := e.dsvc.CreateDirectory(context.Background(), other.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}
	mine := e.directories(1)[0]
	if _, err := e.svc.UpdateWebhookEndpoint(context.Background(), e.ep.ID, directory.WebhookEndpointChange{
		EventTypes: &[]string{directory.EventUserUpdated}, OrganizationIDs: &[]string{e.org.ID}}); err != nil {
		t.Fatal(err)
	}
	stop := run(t, e.worker(e.st))
	for _, d := range []directory.Directory{od, mine} {
		u, err := e.dsvc.CreateUser(context.Background(), d, map[string]any{"userName": "a@" + d.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.dsvc.PatchUser(context.Background(), d, u.ID, []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`), ""); err != nil {
			t.Fatal(err)
		}
	}
	head, _ := e.st.LastEventPosition(context.Background())
	waitFor(t, 10*time.Second, "fan-out to the head", func() bool {
		ep, _ := e.st.GetWebhookEndpoint(context.Background(), e.ep.ID)
		return ep.FanoutPosition == head && e.rcv.accepted() >= 1
	})
	// The fan-out has passed every event: the deliveries it made are all
	// in the store. Once none is pending, the receiver has had them all.
	waitFor(t, 10*time.Second, "every delivery sent", func() bool { return e.pending(e.st) == 0 })
	stop()
	if ds, err := e.st.ListWebhookDeliveries(context.Background(), e.ep.ID, "", 0); err != nil || len(ds) != 1 {
		t.Errorf("the filtered endpoint has %d deliveries (err %v), want 1", len(ds), err)
	}
	e.rcv.mu.Lock()
	defer e.rcv.mu.Unlock()
	if len(e.rcv.ids) != 1 || len(e.rcv.got[mine.ID]) != 1 {
		t.Errorf("received %v, want one user_updated of %s", e.rcv.got, mine.ID)
	}
}

// TestTestEventAndReplay: a test event is sent at once; a replay sends
// feed events again under new webhook-ids.
func TestTestEventAndReplay(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	start, _ := e.st.LastEventPosition(context.Background())
	stop := run(t, e.worker(e.st))
	want := e.provision(e.directories(2), 5)
	waitFor(t, 10*time.Second, "10 deliveries", func() bool { return e.rcv.accepted() == 10 })
	d, err := e.svc.SendTestEvent(context.Background(), e.ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the test event", func() bool { return e.rcv.accepted() == 11 })
	if !strings.Contains(string(d.Payload), directory.EventWebhookEndpointTest) {
		t.Errorf("test payload %s", d.Payload)
	}
	n, err := e.svc.ReplayEvents(context.Background(), e.ep.ID, directory.ReplayRange{After: start})
	if err != nil || n != 10 {
		t.Fatalf("ReplayEvents = %d, %v; want 10", n, err)
	}
	waitFor(t, 10*time.Second, "10 replayed deliveries", func() bool { return e.rcv.accepted() == 21 })
	n, err = e.svc.ReplayEvents(context.Background(), e.ep.ID, directory.ReplayRange{After: start, Until: start + 3})
	if err != nil || n != 3 {
		t.Fatalf("ReplayEvents(3) = %d, %v; want 3", n, err)
	}
	n, err = e.svc.ReplayEvents(context.Background(), e.ep.ID, directory.ReplayRange{Since: time.Now().Add(time.Hour)})
	if err != nil || n != 0 {
		t.Fatalf("ReplayEvents(future) = %d, %v; want 0", n, err)
	}
	waitFor(t, 10*time.Second, "3 more", func() bool { return e.rcv.accepted() == 24 })
	stop()
	e.rcv.checkNoBad()
	e.rcv.checkOrder(want, true)
}

// TestAutoDisableNotice: the webhook_endpoint.disabled notice is in the
// feed, and another endpoint receives it.
func TestAutoDisableNotice(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	e.rcv.status = func(int64) int { return http.StatusServiceUnavailable }
	watcher := newReceiver(t)
	wep, wsecret, err := e.svc.CreateWebhookEndpoint(context.Background(), directory.WebhookEndpointInput{URL: watcher.srv.URL,
		EventTypes: []string{directory.EventWebhookEndpointDisabled}})
	if err != nil {
		t.Fatal(err)
	}
	watcher.secrets = []string{wsecret}
	if _, err := e.svc.SendTestEvent(context.Background(), e.ep.ID); err != nil {
		t.Fatal(err)
	}
	w := e.worker(e.st)
	// The watcher verifies against the real clock, so instead of jumping
	// the clock (TestAutoDisable does) the threshold is short.
	w.DisableAfter = 50 * time.Millisecond
	w.Schedule = []time.Duration{20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond}
	stop := run(t, w)
	waitFor(t, 10*time.Second, "the notice at the watcher", func() bool { return watcher.accepted() == 1 })
	stop()
	watcher.checkNoBad()
	evs, err := e.st.ListEvents(context.Background(), directory.EventQuery{Types: []string{directory.EventWebhookEndpointDisabled}})
	if err != nil || len(evs) != 1 || !strings.Contains(string(evs[0].Data), e.ep.ID) {
		t.Fatalf("notices = %+v, %v", evs, err)
	}
	ds, _ := e.st.ListWebhookDeliveries(context.Background(), wep.ID, "", 0)
	if len(ds) != 1 || ds[0].EventID != evs[0].ID {
		t.Errorf("watcher deliveries %+v", ds)
	}
}

// TestTwoWorkersPostgresFeed: two workers with their own pools fan out
// and deliver one feed, written concurrently, to two endpoints: every
// event reaches each endpoint once, in order per directory.
func TestTwoWorkersPostgresFeed(t *testing.T) {
	dsn := postgresDSN(t)
	e := newEnv(t, dsn)
	second := newReceiver(t)
	_, s2, err := e.svc.CreateWebhookEndpoint(context.Background(), directory.WebhookEndpointInput{URL: second.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	second.secrets = []string{s2}
	st2 := openStore(t, dsn)
	defer st2.Close()
	w1, w2 := e.worker(e.st), e.worker(st2)
	w1.RunLength, w2.RunLength = 7, 7
	stop1, stop2 := run(t, w1), run(t, w2)
	want := e.provision(e.directories(4), 30)
	for _, r := range []*receiver{e.rcv, second} {
		waitFor(t, 20*time.Second, "120 deliveries", func() bool { return r.accepted() == 120 })
	}
	stop1()
	stop2()
	for _, r := range []*receiver{e.rcv, second} {
		r.checkNoBad()
		r.checkOrder(want, false)
		r.mu.Lock()
		for id, n := range r.ids {
			if n != 1 {
				t.Errorf("delivery %s accepted %d times", id, n)
			}
		}
		r.mu.Unlock()
	}
}

// TestYieldsToWriters: while the feed grows faster than BusyRate the worker
// pauses between cycles, so it delivers in small steps during the writes,
// and once the writes stop it delivers the rest, in order, none lost.
func TestYieldsToWriters(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	dirs := e.directories(1)
	w := e.worker(e.st)
	w.BusyRate, w.BusyPause, w.RunLength, w.Poll = 20, 400*time.Millisecond, 5, 50*time.Millisecond
	stop := run(t, w)
	defer stop()
	// Writes at well over 20 events a second for about 1.5 s.
	want := map[string]int{}
	deadline := time.Now().Add(1500 * time.Millisecond)
	for i := 0; time.Now().Before(deadline); i++ {
		if _, err := e.dsvc.CreateUser(context.Background(), dirs[0], map[string]any{"userName": fmt.Sprintf("y%d@example.com", i)}); err != nil {
			t.Fatal(err)
		}
		want[dirs[0].ID]++
		time.Sleep(5 * time.Millisecond)
	}
	during := e.rcv.accepted()
	total := 0
	for _, v := range want {
		total += v
	}
	// A pause of 400 ms per cycle and runs of 5: at most a few runs went
	// out while the writes lasted.
	if during > total/2 {
		t.Errorf("%d of %d events delivered while the writes lasted: the worker did not yield", during, total)
	}
	waitFor(t, 20*time.Second, "every event after the writes stopped", func() bool { return e.rcv.accepted() == total })
	e.rcv.checkNoBad()
	e.rcv.checkOrder(want, false)
}
