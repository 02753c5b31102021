package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// guard sets a directory's deprovisioning guard: on with a threshold of
// max(min, 0 %) (min 0: every deprovision opens a hold), or off.
func (f *fixture) guard(dirID string, on bool, min int) {
	f.t.Helper()
	pct, window := 0, 60
	c := directory.DeprovisionChange{GuardEnabled: &on, GuardMin: &min, GuardPercent: &pct, GuardWindowMin: &window}
	if _, err := f.svc.UpdateDeprovisionSettings(f.ctx, dirID, c); err != nil {
		f.t.Fatalf("UpdateDeprovisionSettings: %v", err)
	}
}

// isDeprovision reports whether a feed event deactivates or deletes a user.
func isDeprovision(t *testing.T, e directory.Event) bool {
	switch e.Type {
	case directory.EventUserDeleted:
		return true
	case directory.EventUserUpdated:
		var data struct{ Active bool }
		var prev map[string]any
		if err := json.Unmarshal(e.Data, &data); err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(e.Previous, &prev)
		_, changed := prev["active"]
		return changed && !data.Active
	}
	return false
}

// RunHoldReplay races random writes on a directory whose guard holds every
// deprovision: the feed must show none of them (while everything else
// flows), and once the hold is released, replaying the feed must
// reproduce the directory, with each directory's sequences gapless.
func RunHoldReplay(t *testing.T, stores ...directory.Store) {
	f := newFixture(t, stores[0])
	start := f.lastPosition()
	f.guard(f.dir.ID, true, 0)
	replayRace(t, f, stores)
	for _, e := range f.events(directory.EventQuery{After: start, DirectoryID: f.dir.ID}) {
		if isDeprovision(t, e) {
			t.Fatalf("the feed shows a held deprovision: %s %s", e.Type, e.Data)
		}
	}
	holds, err := f.s.ListHolds(f.ctx, f.dir.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(holds) != 1 || holds[0].Status != directory.HoldOpen || len(holds[0].Users) == 0 {
		t.Fatalf("want one open hold with users, got %+v", holds)
	}
	if _, err := f.svc.ReleaseHold(f.ctx, f.dir.ID, holds[0].ID, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ReleaseHold(f.ctx, f.dir.ID, holds[0].ID, "test"); !directory.IsConflict(err) {
		t.Fatalf("releasing a released hold: want a conflict, got %v", err)
	}
	m := newReplayModel()
	var last int64
	released := false
	var heldAt time.Time
	for _, e := range f.events(directory.EventQuery{After: start, DirectoryID: f.dir.ID}) {
		if e.Sequence != last+1 {
			t.Fatalf("sequence %d after %d", e.Sequence, last)
		}
		last = e.Sequence
		if e.Type == directory.EventHoldReleased {
			released, heldAt = true, e.OccurredAt
			continue
		}
		if released && e.OccurredAt.After(heldAt) {
			t.Errorf("released event %s occurred at %v, after the release (%v): it must keep its own time", e.Type, e.OccurredAt, heldAt)
		}
		m.apply(t, e)
	}
	if !released {
		t.Fatal("no hold_released event in the feed")
	}
	m.compareUsers(f)
	m.compareGroups(f)
	app, err := f.s.AppUsers(f.ctx, f.dir.ID, []string{holds[0].Users[0].UserID})
	if err != nil || len(app) != 0 {
		t.Fatalf("after the release the app must see the users as the IdP does, got %v %v", app, err)
	}
}
