package storetest

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

func eventTests() []subtest {
	return []subtest{
		{"Events/UserLifecycle", testEventsUserLifecycle},
		{"Events/GroupsAndMembers", testEventsGroupsAndMembers},
		{"Events/Roles", testEventsRoles},
		{"Events/DirectoryEnabled", testEventsDirectoryEnabled},
		{"Events/FailedWritesEmitNothing", testEventsFailedWrites},
		{"Events/Actor", testEventsActor},
		{"Events/Filters", testEventsFilters},
		{"Events/ConcurrentWritersAndReader", func(t *testing.T, s directory.Store) { RunEventConcurrency(t, s) }},
		{"Events/ReplayReproducesDirectory", func(t *testing.T, s directory.Store) { RunEventReplay(t, s) }},
		{"Holds/ReleaseReproducesDirectory", func(t *testing.T, s directory.Store) { RunHoldReplay(t, s) }},
	}
}

// events reads every event after the cursor, in pages of 7 (so paging is
// exercised), and returns them.
func (f *fixture) events(q directory.EventQuery) []directory.Event {
	f.t.Helper()
	q.Limit = 7
	var out []directory.Event
	for {
		page, err := f.s.ListEvents(f.ctx, q)
		if err != nil {
			f.t.Fatalf("ListEvents(%+v): %v", q, err)
		}
		out = append(out, page...)
		if len(page) < q.Limit {
			return out
		}
		q.After = page[len(page)-1].Position
	}
}

func types(es []directory.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = strings.TrimPrefix(strings.TrimPrefix(e.Type, "organization.directory."), "organization.")
	}
	return out
}

// field decodes one field of an event's data or previous attributes.
func field(t *testing.T, raw json.RawMessage, path ...string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("event JSON %s: %v", raw, err)
	}
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// checkSequences checks that a directory's events are numbered 1..n in
// position order.
func checkSequences(t *testing.T, es []directory.Event) {
	t.Helper()
	next := map[string]int64{}
	var last int64
	for _, e := range es {
		if e.Position <= last {
			t.Errorf("event %s at position %d after position %d", e.ID, e.Position, last)
		}
		last = e.Position
		if e.DirectoryID == "" {
			continue
		}
		next[e.DirectoryID]++
		if e.Sequence != next[e.DirectoryID] {
			t.Errorf("event %s (%s) has sequence %d in directory %s, want %d", e.ID, e.Type, e.Sequence, e.DirectoryID, next[e.DirectoryID])
			next[e.DirectoryID] = e.Sequence
		}
	}
}

func testEventsUserLifecycle(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	u := f.user(f.dir.ID, map[string]any{"userName": "ada@example.com", "name": map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
		"emails": []any{map[string]any{"value": "ada@example.com", "primary": true}}, "title": "Countess"})
	// A change, a no-op, a deactivation, a reactivation, a delete.
	if _, _, err := f.svc.PatchUser(f.ctx, f.dir, u.ID, []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Analyst"}]}`), ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.PatchUser(f.ctx, f.dir, u.ID, []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Analyst"}]}`), ""); err != nil {
		t.Fatal(err)
	}
	for _, active := range []string{"false", "true"} {
		if _, _, err := f.svc.PatchUser(f.ctx, f.dir, u.ID, []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":`+active+`}}]}`), ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.DeleteUser(f.ctx, f.dir, u.ID, ""); err != nil {
		t.Fatal(err)
	}
	es := f.events(directory.EventQuery{})
	want := []string{"user_created", "user_updated", "user_updated", "user_updated", "user_deleted"}
	if d := diff(want, types(es)); d != "" {
		t.Fatalf("event types (-want +got):\n%s", d)
	}
	checkSequences(t, es)
	for _, e := range es {
		if !strings.HasPrefix(e.ID, "evt_") || e.OrganizationID != f.org.ID || e.DirectoryID != f.dir.ID || e.OccurredAt.IsZero() {
			t.Errorf("event %+v: want evt_ id, organization %s, directory %s, a time", e, f.org.ID, f.dir.ID)
		}
	}
	c := es[0]
	for path, want := range map[string]any{"id": u.ID, "user_name": "ada@example.com", "email": "ada@example.com", "first_name": "Ada", "title": "Countess", "active": true, "role": "admin"} {
		if got := field(t, c.Data, path); got != want {
			t.Errorf("user_created data.%s = %v, want %v", path, got, want)
		}
	}
	if got := field(t, c.Data, "raw_attributes"); got != nil {
		t.Errorf("user_created data carries raw_attributes %v: events carry the normalized user only", got)
	}
	if c.Previous != nil {
		t.Errorf("user_created has previous attributes %s", c.Previous)
	}
	if got := field(t, es[1].Previous, "title"); got != "Countess" {
		t.Errorf("title change: previous_attributes %s, want title Countess", es[1].Previous)
	}
	if got := field(t, es[1].Data, "title"); got != "Analyst" {
		t.Errorf("title change: data.title = %v", got)
	}
	if got := field(t, es[2].Previous, "active"); got != true {
		t.Errorf("deactivation: previous_attributes %s, want active true", es[2].Previous)
	}
	if got := field(t, es[2].Data, "active"); got != false {
		t.Errorf("deactivation: data.active = %v", got)
	}
	if got := field(t, es[3].Previous, "active"); got != false {
		t.Errorf("reactivation: previous_attributes %s, want active false", es[3].Previous)
	}
	if got := field(t, es[4].Data, "user_name"); got != "ada@example.com" {
		t.Errorf("user_deleted data.user_name = %v: the data is the user as it was", got)
	}
	for _, e := range es {
		got, err := s.GetEvent(f.ctx, e.ID)
		if err != nil || got.Position != e.Position || got.Type != e.Type || string(got.Data) != string(e.Data) {
			t.Errorf("GetEvent(%s) = %+v, %v; want the listed event", e.ID, got, err)
		}
	}
	if _, err := s.GetEvent(f.ctx, "evt_missing"); !directory.IsNotFound(err) {
		t.Errorf("GetEvent of an unknown id: %v, want not found", err)
	}
}

func testEventsGroupsAndMembers(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a, b := f.userNamed(f.dir.ID, "a"), f.userNamed(f.dir.ID, "b")
	g := f.group(f.dir.ID, "Engineering", a.ID)
	patch := func(ops string) {
		t.Helper()
		if _, err := f.svc.PatchGroup(f.ctx, f.dir, g.ID, []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+ops+`]}`), ""); err != nil {
			t.Fatal(err)
		}
	}
	patch(`{"op":"add","path":"members","value":[{"value":"` + b.ID + `"},{"value":"` + a.ID + `"}]}`) // a is already a member
	patch(`{"op":"replace","path":"displayName","value":"Engineering"}`)                               // no change
	patch(`{"op":"replace","path":"displayName","value":"R&D"}`)
	patch(`{"op":"remove","path":"members[value eq \"` + a.ID + `\"]"}`)
	patch(`{"op":"remove","path":"members[value eq \"` + a.ID + `\"]"}`) // not a member any more
	if err := f.svc.DeleteGroup(f.ctx, f.dir, g.ID, ""); err != nil {
		t.Fatal(err)
	}
	es := f.events(directory.EventQuery{After: 0})
	want := []string{"user_created", "user_created", "group_created", "group_member_added", "group_member_added", "group_updated", "group_member_removed", "group_deleted"}
	if d := diff(want, types(es)); d != "" {
		t.Fatalf("event types (-want +got):\n%s", d)
	}
	checkSequences(t, es)
	if got := field(t, es[2].Data, "name"); got != "Engineering" {
		t.Errorf("group_created data.name = %v", got)
	}
	for i, id := range map[int]string{3: a.ID, 4: b.ID, 6: a.ID} {
		if got := field(t, es[i].Data, "member", "id"); got != id {
			t.Errorf("%s data.member.id = %v, want %s", es[i].Type, got, id)
		}
		if got := field(t, es[i].Data, "group", "id"); got != g.ID {
			t.Errorf("%s data.group.id = %v, want %s", es[i].Type, got, g.ID)
		}
	}
	if got := field(t, es[5].Previous, "name"); got != "Engineering" {
		t.Errorf("rename: previous_attributes %s, want name Engineering", es[5].Previous)
	}
}

func testEventsRoles(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	a, b := f.userNamed(f.dir.ID, "a"), f.userNamed(f.dir.ID, "b")
	staff := f.group(f.dir.ID, "Staff", a.ID)
	after := f.lastPosition()
	// Mapping Staff to member changes a's roles only.
	if err := f.svc.PutRoleMappings(f.ctx, f.dir.ID, []directory.RoleMapping{{GroupID: staff.ID, Role: "member", Priority: 1}}); err != nil {
		t.Fatal(err)
	}
	es := f.events(directory.EventQuery{After: after})
	if d := diff([]string{"user_updated"}, types(es)); d != "" {
		t.Fatalf("after mapping a group (-want +got):\n%s", d)
	}
	if field(t, es[0].Data, "id") != a.ID || field(t, es[0].Data, "role") != "member" || field(t, es[0].Previous, "role") != "admin" {
		t.Errorf("role change event: data %s previous %s; want a, role member, previous admin", es[0].Data, es[0].Previous)
	}
	// Joining a mapped group: a member event and a role change.
	after = f.lastPosition()
	f.updateGroup(f.dir.ID, staff.ID, add(b.ID))
	es = f.events(directory.EventQuery{After: after})
	if d := diff([]string{"group_member_added", "user_updated"}, types(es)); d != "" {
		t.Fatalf("after adding b to the mapped group (-want +got):\n%s", d)
	}
	if field(t, es[1].Data, "id") != b.ID || field(t, es[1].Data, "role") != "member" {
		t.Errorf("b's role change: %s", es[1].Data)
	}
	// Added and removed in one request: no role change.
	after = f.lastPosition()
	c := f.userNamed(f.dir.ID, "c")
	f.updateGroup(f.dir.ID, staff.ID, add(c.ID), remove(c.ID))
	if d := diff([]string{"user_created", "group_member_added", "group_member_removed"}, types(f.events(directory.EventQuery{After: after}))); d != "" {
		t.Errorf("add and remove in one change (-want +got):\n%s", d)
	}
	// The organization's default role changes the roles of users with no
	// mapped group (c), not of a and b.
	after = f.lastPosition()
	if err := s.SetOrganizationDefaultRole(f.ctx, f.org.ID, "member"); err != nil {
		t.Fatal(err)
	}
	es = f.events(directory.EventQuery{After: after})
	if len(es) != 1 || field(t, es[0].Data, "id") != c.ID || field(t, es[0].Previous, "role") != "admin" {
		t.Errorf("after the organization default became member: %v %s", types(es), func() string {
			if len(es) > 0 {
				return string(es[0].Data)
			}
			return ""
		}())
	}
	if err := s.SetOrganizationDefaultRole(f.ctx, f.org.ID, ""); err != nil {
		t.Fatal(err)
	}
	// Deleting the mapped group returns a and b to the default role.
	after = f.lastPosition()
	if err := f.svc.DeleteGroup(f.ctx, f.dir, staff.ID, ""); err != nil {
		t.Fatal(err)
	}
	es = f.events(directory.EventQuery{After: after})
	if d := diff([]string{"group_deleted", "user_updated", "user_updated"}, types(es)); d != "" {
		t.Fatalf("after deleting the mapped group (-want +got):\n%s", d)
	}
	for _, e := range es[1:] {
		if field(t, e.Data, "role") != "admin" || field(t, e.Previous, "role") != "member" {
			t.Errorf("role change on group delete: data %s previous %s", e.Data, e.Previous)
		}
	}
	checkSequences(t, f.events(directory.EventQuery{}))
}

// lastPosition is the position of the newest event (0 when none).
func (f *fixture) lastPosition() int64 {
	f.t.Helper()
	es := f.events(directory.EventQuery{})
	if len(es) == 0 {
		return 0
	}
	return es[len(es)-1].Position
}

func testEventsDirectoryEnabled(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	for _, enabled := range []bool{false, false, true} {
		e := enabled
		if _, err := f.svc.UpdateDirectory(f.ctx, f.dir.ID, directory.DirectoryChange{Enabled: &e}); err != nil {
			t.Fatal(err)
		}
	}
	es := f.events(directory.EventQuery{})
	if d := diff([]string{"directory_disabled", "directory_enabled"}, types(es)); d != "" {
		t.Fatalf("event types (-want +got):\n%s", d)
	}
	if field(t, es[0].Data, "enabled") != false || field(t, es[1].Data, "enabled") != true || field(t, es[1].Data, "id") != f.dir.ID {
		t.Errorf("directory events data: %s, %s", es[0].Data, es[1].Data)
	}
}

// testEventsActor: every event carries the actor of the context its change
// was made in (directory.EventActor), system when the context names none,
// through the feed, a single read and a role change's events.
func testEventsActor(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	idp := directory.Actor{Type: directory.ActorIdP, ID: "tok_1", Name: "Okta"}
	admin := directory.Actor{Type: directory.ActorPortal, ID: "plink_1", Name: "Admin Portal"}
	u, err := f.svc.CreateUser(directory.WithActor(f.ctx, idp), f.dir, map[string]any{"userName": "ada"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := f.svc.CreateGroup(directory.WithActor(f.ctx, idp), f.dir, map[string]any{"displayName": "Eng", "members": []any{map[string]any{"value": u.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	off := false
	if _, err := f.svc.UpdateDirectory(f.ctx, f.dir.ID, directory.DirectoryChange{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.PutRoleMappings(directory.WithActor(f.ctx, admin), f.dir.ID, []directory.RoleMapping{{GroupID: g.ID, Role: "member", Priority: 1}}); err != nil {
		t.Fatal(err)
	}
	es := f.events(directory.EventQuery{})
	var got []string
	for _, e := range es {
		a := "nil"
		if e.Actor != nil {
			a = e.Actor.Type + ":" + e.Actor.ID + ":" + e.Actor.Name
		}
		got = append(got, types([]directory.Event{e})[0]+" "+a)
		if e.Actor != nil {
			one, err := s.GetEvent(f.ctx, e.ID)
			if err != nil || one.Actor == nil || *one.Actor != *e.Actor {
				t.Errorf("GetEvent(%s) actor %+v (%v), want %+v", e.ID, one.Actor, err, *e.Actor)
			}
		}
	}
	want := []string{"user_created idp:tok_1:Okta", "group_created idp:tok_1:Okta", "group_member_added idp:tok_1:Okta",
		"directory_disabled system::", "user_updated portal:plink_1:Admin Portal"}
	if d := diff(want, got); d != "" {
		t.Fatalf("events with their actors (-want +got):\n%s", d)
	}
}

func testEventsFailedWrites(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	u := f.userNamed(f.dir.ID, "taken")
	if _, err := f.svc.CreateUser(f.ctx, f.dir, map[string]any{"userName": "TAKEN"}); !directory.IsConflict(err) {
		t.Fatalf("duplicate userName: %v", err)
	}
	if _, _, err := s.UpdateUser(f.ctx, f.dir.ID, u.ID, f.clock.Now(), func(u *directory.User) (bool, error) {
		u.UserName = "changed"
		return true, errSentinel
	}); err != errSentinel {
		t.Fatalf("failing fn: %v", err)
	}
	if err := s.DeleteUser(f.ctx, f.dir.ID, "diruser_missing", nil); !directory.IsNotFound(err) {
		t.Fatalf("deleting a missing user: %v", err)
	}
	f.userNamed(f.dir.ID, "next")
	es := f.events(directory.EventQuery{})
	if d := diff([]string{"user_created", "user_created"}, types(es)); d != "" {
		t.Fatalf("event types (-want +got):\n%s", d)
	}
	checkSequences(t, es)
}

func testEventsFilters(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	other := f.newDir()
	org2, err := f.svc.CreateOrganization(f.ctx, "Other", "")
	if err != nil {
		t.Fatal(err)
	}
	dir3, err := f.svc.CreateDirectory(f.ctx, org2.ID, "entra_id", "")
	if err != nil {
		t.Fatal(err)
	}
	a := f.userNamed(f.dir.ID, "a")
	f.userNamed(other.ID, "b")
	f.userNamed(dir3.ID, "c")
	g := f.group(f.dir.ID, "G", a.ID)
	count := func(q directory.EventQuery) int { return len(f.events(q)) }
	for _, c := range []struct {
		name string
		q    directory.EventQuery
		want int
	}{
		{"all", directory.EventQuery{}, 5},
		{"one directory", directory.EventQuery{DirectoryID: f.dir.ID}, 3},
		{"one organization", directory.EventQuery{OrganizationID: f.org.ID}, 4},
		{"other organization", directory.EventQuery{OrganizationID: org2.ID}, 1},
		{"types", directory.EventQuery{Types: []string{directory.EventGroupCreated, directory.EventGroupMemberAdded}}, 2},
		{"subject user (its events and memberships)", directory.EventQuery{Subject: a.ID}, 2},
		{"subject group", directory.EventQuery{Subject: g.ID}, 2},
		{"unknown directory", directory.EventQuery{DirectoryID: "dir_missing"}, 0},
	} {
		if got := count(c.q); got != c.want {
			t.Errorf("%s: %d events, want %d", c.name, got, c.want)
		}
	}
	all := f.events(directory.EventQuery{})
	page, err := s.ListEvents(f.ctx, directory.EventQuery{After: all[1].Position, Limit: 2})
	if err != nil || len(page) != 2 || page[0].ID != all[2].ID || page[1].ID != all[3].ID {
		t.Errorf("page after the second event, limit 2: %v %v", page, err)
	}
	if page, err := s.ListEvents(f.ctx, directory.EventQuery{After: all[len(all)-1].Position}); err != nil || len(page) != 0 {
		t.Errorf("after the last event: %d events, %v; want none", len(page), err)
	}
}

// RunEventConcurrency races writers on several directories (spread over the
// stores, which share one database) against a reader that follows the feed
// by cursor, and checks that the reader saw every committed event exactly
// once, each directory's in sequence order.
func RunEventConcurrency(t *testing.T, stores ...directory.Store) {
	f := newFixture(t, stores[0])
	dirs := []directory.Directory{f.dir, f.newDir(), f.newDir()}
	start := f.lastPosition()
	done := make(chan struct{})
	var seen []directory.Event
	var readErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		after := start
		final := false
		for {
			page, err := stores[len(stores)-1].ListEvents(f.ctx, directory.EventQuery{After: after, Limit: 50})
			if err != nil {
				readErr = err
				return
			}
			seen = append(seen, page...)
			if len(page) > 0 {
				after = page[len(page)-1].Position
				continue
			}
			if final {
				return
			}
			select {
			case <-done:
				final = true // one more read after the writers finished
			default:
				time.Sleep(time.Millisecond)
			}
		}
	}()
	race(stores, func(i int, s directory.Store) {
		svc := newService(s, f.clock)
		d := dirs[i%len(dirs)]
		var g directory.Group
		for j := 0; j < 12; j++ {
			u, err := svc.CreateUser(f.ctx, d, map[string]any{"userName": fmt.Sprintf("c%d-%d", i, j)})
			if err != nil {
				t.Errorf("CreateUser: %v", err)
				return
			}
			if j == 0 {
				if g, err = svc.CreateGroup(f.ctx, d, map[string]any{"displayName": fmt.Sprintf("g%d", i)}); err != nil {
					t.Errorf("CreateGroup: %v", err)
					return
				}
			}
			if _, _, err := s.UpdateGroup(f.ctx, d.ID, g.ID, f.clock.Now(), func(*directory.Group) (bool, []directory.MemberChange, error) {
				return false, []directory.MemberChange{add(u.ID)}, nil
			}); err != nil {
				t.Errorf("UpdateGroup: %v", err)
			}
		}
	})
	close(done)
	wg.Wait()
	if readErr != nil {
		t.Fatalf("reading the feed: %v", readErr)
	}
	all := f.events(directory.EventQuery{After: start})
	if want := racers * (12*2 + 1); len(all) != want {
		t.Errorf("%d events in the feed after the race, want %d", len(all), want)
	}
	ids := func(es []directory.Event) []string {
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.ID
		}
		return out
	}
	if d := diff(ids(all), ids(seen)); d != "" {
		t.Errorf("the reader that followed the feed saw other events than the feed holds (-feed +seen):\n%s", d)
	}
	checkSequencesFrom(t, seen)
}

// checkSequencesFrom is checkSequences for a feed read from a cursor: the
// first sequence seen of each directory may be above 1.
func checkSequencesFrom(t *testing.T, es []directory.Event) {
	t.Helper()
	last := map[string]int64{}
	var pos int64
	for _, e := range es {
		if e.Position <= pos {
			t.Errorf("position %d after %d", e.Position, pos)
		}
		pos = e.Position
		if prev, ok := last[e.DirectoryID]; ok && e.Sequence != prev+1 {
			t.Errorf("directory %s: sequence %d after %d", e.DirectoryID, e.Sequence, prev)
		}
		last[e.DirectoryID] = e.Sequence
	}
}

// RunEventReplay is the property the feed exists for: random interleavings
// of writes from concurrent clients, then the feed, replayed onto an empty
// model, reproduces the directory's users, groups, memberships and roles.
func RunEventReplay(t *testing.T, stores ...directory.Store) {
	f := newFixture(t, stores[0])
	// The deprovisioning guard would keep the racing deletes from the
	// feed (by design): RunHoldReplay races with it on.
	f.guard(f.dir.ID, false, 0)
	start := f.lastPosition()
	replayRace(t, f, stores)
	m := newReplayModel()
	for _, e := range f.events(directory.EventQuery{After: start, DirectoryID: f.dir.ID}) {
		m.apply(t, e)
	}
	m.compareUsers(f)
	m.compareGroups(f)
}

// replayRace is RunEventReplay's race: clients on stores make random
// writes to f's directory.
func replayRace(t *testing.T, f *fixture, stores []directory.Store) {
	d := f.dir
	rc := &replayClients{f: f}
	// Some users and groups exist before the race; groups are mapped.
	for i := 0; i < 12; i++ {
		rc.users = append(rc.users, f.userNamed(d.ID, fmt.Sprintf("seed%d", i)).ID)
	}
	for i := 0; i < 4; i++ {
		rc.groups = append(rc.groups, f.group(d.ID, fmt.Sprintf("team%d", i), rc.users[i*3:i*3+3]...).ID)
	}
	if err := f.svc.PutRoleMappings(f.ctx, d.ID, []directory.RoleMapping{{GroupID: rc.groups[0], Role: "member", Priority: 1},
		{GroupID: rc.groups[1], Role: "admin", Priority: 2}}); err != nil {
		t.Fatal(err)
	}
	race(stores, func(i int, s directory.Store) {
		svc := newService(s, f.clock)
		r := rand.New(rand.NewSource(int64(i) + 1))
		for j := 0; j < 25; j++ {
			err := rc.op(svc, r, i, j)
			// Racing clients delete users others are about to touch: not
			// found is an outcome, not a failure.
			if err != nil && !directory.IsNotFound(err) && !directory.IsConflict(err) {
				t.Errorf("client %d op %d: %v", i, j, err)
			}
		}
	})
}

// replayClients are RunEventReplay's racing clients; they share the ids
// of the users and groups they may touch.
type replayClients struct {
	f             *fixture
	mu            sync.Mutex
	users, groups []string
}

func (rc *replayClients) pick(r *rand.Rand, ids *[]string) string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return (*ids)[r.Intn(len(*ids))]
}

func replayPatch(ops string) []byte {
	return []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`)
}

// op runs client i's j-th random operation.
func (rc *replayClients) op(svc *directory.Service, r *rand.Rand, i, j int) error {
	f, d, pick, patch := rc.f, rc.f.dir, rc.pick, replayPatch
	users, groups := &rc.users, &rc.groups
	var err error
	switch op := r.Intn(10); op {
	case 0:
		var u directory.User
		u, err = svc.CreateUser(f.ctx, d, map[string]any{"userName": fmt.Sprintf("r%d-%d", i, j), "title": "new"})
		if err == nil {
			rc.mu.Lock()
			*users = append(*users, u.ID)
			rc.mu.Unlock()
		}
	case 1:
		_, _, err = svc.PatchUser(f.ctx, d, pick(r, users), patch(fmt.Sprintf(`{"op":"replace","path":"title","value":"t%d"}`, r.Intn(3))), "")
	case 2:
		_, _, err = svc.PatchUser(f.ctx, d, pick(r, users), patch(fmt.Sprintf(`{"op":"replace","value":{"active":%v}}`, r.Intn(2) == 0)), "")
	case 3:
		err = svc.DeleteUser(f.ctx, d, pick(r, users), "")
	case 4, 5:
		_, err = svc.PatchGroup(f.ctx, d, pick(r, groups), patch(`{"op":"add","path":"members","value":[{"value":"`+pick(r, users)+`"}]}`), "")
	case 6:
		_, err = svc.PatchGroup(f.ctx, d, pick(r, groups), patch(`{"op":"remove","path":"members[value eq \"`+pick(r, users)+`\"]"}`), "")
	case 7:
		_, err = svc.PatchGroup(f.ctx, d, pick(r, groups), patch(fmt.Sprintf(`{"op":"replace","path":"displayName","value":"team-%d-%d"}`, i, j)), "")
	case 8:
		// Two mapped groups at a time: two memberships of one user that
		// decide its roles can then change at once.
		ms := []directory.RoleMapping{{GroupID: pick(r, groups), Role: []string{"member", "admin"}[r.Intn(2)], Priority: r.Intn(3)}}
		if g := pick(r, groups); g != ms[0].GroupID {
			ms = append(ms, directory.RoleMapping{GroupID: g, Role: []string{"member", "admin"}[r.Intn(2)], Priority: r.Intn(3)})
		}
		err = svc.PutRoleMappings(f.ctx, d.ID, ms)
	case 9:
		// The default role decides the roles of users in no mapped group,
		// including those being created right now.
		err = svc.SetOrganizationDefaultRole(f.ctx, f.org.ID, []string{"member", "admin", ""}[r.Intn(3)])
	}
	return err
}

// replayModel is the directory rebuilt from the feed alone.
type replayModel struct {
	users   map[string]replayUser
	groups  map[string]string // id → name
	members map[string]map[string]bool
}

type replayUser struct {
	rec  map[string]any
	role string
}

func newReplayModel() *replayModel {
	return &replayModel{users: map[string]replayUser{}, groups: map[string]string{}, members: map[string]map[string]bool{}}
}

// apply replays one event onto the model.
func (m *replayModel) apply(t *testing.T, e directory.Event) {
	mUsers, mGroups, mMembers := m.users, m.groups, m.members
	var data map[string]any
	if err := json.Unmarshal(e.Data, &data); err != nil {
		t.Fatal(err)
	}
	switch e.Type {
	case directory.EventUserCreated, directory.EventUserUpdated:
		mUsers[data["id"].(string)] = replayUser{rec: data, role: fmt.Sprint(data["roles"])}
	case directory.EventUserDeleted:
		id := data["id"].(string)
		delete(mUsers, id)
		for _, ms := range mMembers {
			delete(ms, id)
		}
	case directory.EventGroupCreated, directory.EventGroupUpdated:
		mGroups[data["id"].(string)] = data["name"].(string)
	case directory.EventGroupDeleted:
		delete(mGroups, data["id"].(string))
		delete(mMembers, data["id"].(string))
	case directory.EventGroupMemberAdded, directory.EventGroupMemberRemoved:
		gid := data["group"].(map[string]any)["id"].(string)
		mid := data["member"].(map[string]any)["id"].(string)
		if mMembers[gid] == nil {
			mMembers[gid] = map[string]bool{}
		}
		mMembers[gid][mid] = e.Type == directory.EventGroupMemberAdded
	}
}

// compareUsers checks the model's users (and their roles) against the store.
func (m *replayModel) compareUsers(f *fixture) {
	t, d, mUsers := f.t, f.dir, m.users
	page, err := f.s.ListUsers(f.ctx, d.ID, directory.Query{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(page.Users))
	for i, u := range page.Users {
		ids[i] = u.ID
	}
	roles, err := f.svc.EffectiveRoles(f.ctx, f.org.ID, d.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	var wantU, gotU []string
	for _, u := range page.Users {
		title, _ := u.Doc["title"].(string)
		wantU = append(wantU, fmt.Sprintf("%s %s active=%v title=%s roles=%v", u.ID, u.UserName, u.Active, title, roles[u.ID].Roles))
	}
	for id, m := range mUsers {
		title, _ := m.rec["title"].(string)
		gotU = append(gotU, fmt.Sprintf("%s %s active=%v title=%s roles=%s", id, m.rec["user_name"], m.rec["active"], title, m.role))
	}
	sort.Strings(wantU)
	sort.Strings(gotU)
	if d := diff(wantU, gotU); d != "" {
		t.Errorf("users replayed from the feed differ from the store (-store +replay):\n%s", d)
	}
}

// compareGroups checks the model's groups and members against the store.
func (m *replayModel) compareGroups(f *fixture) {
	t, d, mGroups, mMembers := f.t, f.dir, m.groups, m.members
	gpage, err := f.s.ListGroups(f.ctx, d.ID, directory.Query{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var wantG, gotG []string
	for _, g := range gpage.Groups {
		wantG = append(wantG, fmt.Sprintf("%s %s %v", g.ID, g.DisplayName, f.memberIDs(d.ID, g.ID)))
	}
	for id, name := range mGroups {
		var ms []string
		for m, in := range mMembers[id] {
			if in {
				ms = append(ms, m)
			}
		}
		sort.Strings(ms)
		gotG = append(gotG, fmt.Sprintf("%s %s %v", id, name, ms))
	}
	sort.Strings(wantG)
	sort.Strings(gotG)
	if d := diff(wantG, gotG); d != "" {
		t.Errorf("groups replayed from the feed differ from the store (-store +replay):\n%s", d)
	}
}
