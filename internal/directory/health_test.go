package directory

import (
	"strings"
	"testing"
	"time"
)

// TestDirectoryHealth drives every state from the request counters, and
// checks that each clears by itself when its cause goes.
func TestDirectoryHealth(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	d := Directory{ID: "dir_1", Provider: "okta", Enabled: true}
	var h RequestHealth
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	state := func(now time.Time) Health { return DirectoryHealth(d, h, now) }
	want := func(what string, got Health, state string, reason ...string) {
		t.Helper()
		if got.State != state {
			t.Errorf("%s: state %q (%s), want %q", what, got.State, got.Reason, state)
		}
		for _, r := range reason {
			if !strings.Contains(got.Reason, r) {
				t.Errorf("%s: reason %q lacks %q", what, got.Reason, r)
			}
		}
	}
	want("new", state(t0), HealthWaiting, "paste the Endpoint URL", "Okta")

	// Wrong tokens from the start: refused, with the count and the time.
	for i := 0; i < 11; i++ {
		h.Note(&RequestLog{OccurredAt: at(1), Status: 401})
	}
	h.Note(&RequestLog{OccurredAt: at(2), Status: 429, Repeats: 0})
	want("wrong tokens", state(at(3)), HealthRefused, "12 refused requests", "last at 10:02 UTC", "paste it into Okta")

	// A good request clears it; a late summary of older refusals does not
	// bring it back.
	h.Note(&RequestLog{OccurredAt: at(5), Status: 200})
	want("good request", state(at(5)), HealthConnected, "arrive and succeed")
	h.Note(&RequestLog{OccurredAt: at(2), Status: 401, Repeats: 40})
	want("late summary", state(at(6)), HealthConnected)

	// The token is revoked later: refused again, counting from there.
	h.Note(&RequestLog{OccurredAt: at(10), Status: 401, Repeats: 4})
	want("revoked", state(at(11)), HealthRefused, "5 refused requests")
	h.Note(&RequestLog{OccurredAt: at(12), Status: 201})

	// Failures: errors for FailureWindow after the last, then connected.
	h.Note(&RequestLog{OccurredAt: at(20), Status: 409})
	h.Note(&RequestLog{OccurredAt: at(21), Status: 500})
	want("failures", state(at(22)), HealthErrors, "2 requests failed since 10:20 UTC", "last at 10:21 UTC")
	want("an hour later", state(at(21).Add(FailureWindow+time.Second)), HealthConnected)
	// A failure long after starts a new count.
	h.Note(&RequestLog{OccurredAt: at(200), Status: 400})
	want("new failure", state(at(201)), HealthErrors, "1 request failed")
	// 403 (a disabled directory) is not a failure.
	h.Note(&RequestLog{OccurredAt: at(300), Status: 403})
	want("403", state(at(300).Add(FailureWindow+time.Second)), HealthConnected)

	// Silent for longer than StalledAfter: stalled; a request clears it.
	later := at(300).Add(StalledAfter + time.Hour)
	want("silent", state(later), HealthStalled, "No request from Okta since")
	h.Note(&RequestLog{OccurredAt: later, Status: 200})
	want("back", state(later), HealthConnected)

	// Disabled wins over everything.
	d.Enabled = false
	h.Note(&RequestLog{OccurredAt: later.Add(time.Minute), Status: 401})
	want("disabled", state(later.Add(2*time.Minute)), HealthDisabled, "disabled")

	// LastRequestAt alone (request log off) tells waiting from connected.
	d2 := Directory{Provider: "custom", Enabled: true, LastRequestAt: t0}
	if got := DirectoryHealth(d2, RequestHealth{}, at(1)); got.State != HealthConnected || !strings.HasPrefix(got.Reason, "Your identity provider's requests") {
		t.Errorf("request log off, after a request: %+v", got)
	}
}
