package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// healthAndFormTests check the connection health counters the request log
// keeps, and the portal's one-time form keys and sealed secrets.
func healthAndFormTests() []subtest {
	return []subtest{
		{"RequestHealth/Counters", testRequestHealthCounters},
		{"Portal/FormsOnce", testPortalFormsOnce},
	}
}

func testRequestHealthCounters(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	if got, err := s.RequestHealth(f.ctx, []string{f.dir.ID, "dir_nope"}); err != nil || len(got) != 0 {
		t.Fatalf("RequestHealth before any request = %v, %v; want none", got, err)
	}
	t0 := f.clock.Now()
	f.appendRequests(f.dir.ID, 3, 401) // wrong tokens
	f.clock.advance(time.Minute)
	f.appendRequests(f.dir.ID, 1, 200) // a good one clears them
	f.clock.advance(time.Minute)
	last := f.appendRequests(f.dir.ID, 2, 500, 401) // a failure, then a refusal
	got, err := s.RequestHealth(f.ctx, []string{f.dir.ID})
	if err != nil {
		t.Fatal(err)
	}
	h := got[f.dir.ID]
	if h.Refused != 1 || !h.RefusedAt.Equal(last[1].OccurredAt) || !h.AcceptedAt.Equal(last[0].OccurredAt) ||
		h.Failed != 1 || !h.FailedSince.Equal(last[0].OccurredAt) || !h.FailedAt.Equal(last[0].OccurredAt) || !h.AcceptedAt.After(t0) {
		t.Errorf("RequestHealth = %+v; want 1 refused at %v after the failure at %v", h, last[1].OccurredAt, last[0].OccurredAt)
	}
	// Pruning the log leaves the counters.
	if _, err := s.PruneRequests(f.ctx, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.RequestHealth(f.ctx, []string{f.dir.ID}); got[f.dir.ID].Refused != 1 {
		t.Errorf("after pruning: %+v", got[f.dir.ID])
	}
}

func testPortalFormsOnce(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	fs, ok := s.(directory.PortalFormStore)
	if !ok {
		t.Skip("the store does not implement directory.PortalFormStore")
	}
	p := f.portal()
	_, tok := f.link(p, f.org.ID, directory.PortalShare)
	_, secret, err := p.OpenLink(f.ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	forms := &directory.PortalForms{Store: fs, IDs: f.svc.IDs}
	key, err := forms.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	// Two concurrent submissions: exactly one is first.
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first, _, err := forms.Claim(f.ctx, secret, key)
			if err != nil {
				t.Errorf("Claim: %v", err)
			}
			if first {
				mu.Lock()
				firsts++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firsts != 1 {
		t.Fatalf("%d of 4 concurrent claims were first, want 1", firsts)
	}
	if err := forms.Complete(f.ctx, secret, key, f.dir.ID, "scimb_dt_secret"); err != nil {
		t.Fatal(err)
	}
	if first, target, err := forms.Claim(f.ctx, secret, key); first || target != f.dir.ID || err != nil {
		t.Errorf("claim after completion = %v, %q, %v; want the directory", first, target, err)
	}
	// Another session cannot read it; the owner reads it once.
	_, tok2 := f.link(p, f.org.ID, directory.PortalShare)
	_, other, _ := p.OpenLink(f.ctx, tok2)
	if got, err := forms.Reveal(f.ctx, other, f.dir.ID); got != "" || err != nil {
		t.Errorf("another session's reveal = %q, %v", got, err)
	}
	if got, err := forms.Reveal(f.ctx, secret, f.dir.ID); got != "scimb_dt_secret" || err != nil {
		t.Errorf("reveal = %q, %v; want the secret", got, err)
	}
	if got, err := forms.Reveal(f.ctx, secret, f.dir.ID); got != "" || err != nil {
		t.Errorf("second reveal = %q, %v; want nothing", got, err)
	}
	// A released claim can be made again.
	k2, _ := forms.NewKey()
	forms.Claim(f.ctx, secret, k2)
	if err := forms.Release(f.ctx, secret, k2); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := forms.Claim(f.ctx, secret, k2); !first {
		t.Errorf("claim after release is not first")
	}
	// Too old to show.
	k3, _ := forms.NewKey()
	forms.Claim(f.ctx, secret, k3)
	forms.Complete(f.ctx, secret, k3, f.dir.ID, "scimb_dt_old")
	f.clock.advance(directory.RevealWithin + time.Minute)
	if got, _ := forms.Reveal(f.ctx, secret, f.dir.ID); got != "" {
		t.Errorf("reveal after %v = %q, want nothing", directory.RevealWithin, got)
	}
}
