package storetest

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// racers is how many goroutines race in each concurrency test.
const racers = 8

func concurrencyTests() []subtest {
	one := func(fn func(*testing.T, []directory.Store)) func(*testing.T, directory.Store) {
		return func(t *testing.T, s directory.Store) { fn(t, []directory.Store{s}) }
	}
	return []subtest{
		{"Concurrency/CreateSameUserName", one(raceCreateSameUserName)},
		{"Concurrency/CreateSameGroupName", one(raceCreateSameGroupName)},
		{"Concurrency/UpdateSameUser", one(raceUpdateSameUser)},
		{"Concurrency/AddMembers", one(raceAddMembers)},
		{"Concurrency/ManyWriters", one(raceManyWriters)},
		{"Concurrency/DeleteWhileAddingMember", one(raceDeleteWhileAdding)},
		{"Concurrency/MutualNesting", one(raceMutualNesting)},
	}
}

// RunConcurrency runs the concurrency checks with the racing goroutines
// spread over several stores that share one database (for example two
// processes, each with its own connection pool). The stores must be
// migrated; the checks create their own organization and directories.
func RunConcurrency(t *testing.T, stores ...directory.Store) {
	if len(stores) == 0 {
		t.Fatal("RunConcurrency needs at least one store")
	}
	t.Run("CreateSameUserName", func(t *testing.T) { raceCreateSameUserName(t, stores) })
	t.Run("CreateSameGroupName", func(t *testing.T) { raceCreateSameGroupName(t, stores) })
	t.Run("UpdateSameUser", func(t *testing.T) { raceUpdateSameUser(t, stores) })
	t.Run("AddMembers", func(t *testing.T) { raceAddMembers(t, stores) })
	t.Run("ManyWriters", func(t *testing.T) { raceManyWriters(t, stores) })
	t.Run("DeleteWhileAddingMember", func(t *testing.T) { raceDeleteWhileAdding(t, stores) })
	t.Run("MutualNesting", func(t *testing.T) { raceMutualNesting(t, stores) })
	t.Run("EventFeed", func(t *testing.T) { RunEventConcurrency(t, stores...) })
	t.Run("EventReplay", func(t *testing.T) { RunEventReplay(t, stores...) })
	t.Run("HoldReplay", func(t *testing.T) { RunHoldReplay(t, stores...) })
}

// race runs fn(i, store) in racers goroutines released together.
func race(stores []directory.Store, fn func(i int, s directory.Store)) {
	var start, done sync.WaitGroup
	start.Add(1)
	for i := 0; i < racers; i++ {
		done.Add(1)
		go func(i int) {
			defer done.Done()
			start.Wait()
			fn(i, stores[i%len(stores)])
		}(i)
	}
	start.Done()
	done.Wait()
}

func raceCreateSameUserName(t *testing.T, stores []directory.Store) {
	f := newFixture(t, stores[0])
	errs := make([]error, racers)
	users := make([]directory.User, racers)
	race(stores, func(i int, s directory.Store) {
		svc := newService(s, f.clock)
		// Different spellings of the same name.
		name := "Racer@X.com"
		if i%2 == 1 {
			name = "racer@x.COM"
		}
		users[i], errs[i] = svc.CreateUser(f.ctx, f.dir, map[string]any{"userName": name, "title": strconv.Itoa(i)})
	})
	winners := 0
	var winner directory.User
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
			winner = users[i]
		case directory.IsConflict(err):
			var de *directory.Error
			if errors.As(err, &de) && de.ScimType != "uniqueness" {
				t.Errorf("racer %d: conflict with ScimType %q, want uniqueness", i, de.ScimType)
			}
		default:
			t.Errorf("racer %d: error %v (kind %v), want success or KindConflict", i, err, directory.KindOf(err))
		}
	}
	if winners != 1 {
		t.Fatalf("%d racers created the user, want exactly 1 (errors: %v)", winners, errs)
	}
	p := f.listUsers(f.dir.ID, "")
	if p.Total != 1 || len(p.Users) != 1 || p.Users[0].ID != winner.ID {
		t.Errorf("after the race ListUsers = %+v, want only the winner %s", p, winner.ID)
	}
	if d := diff(winner, f.getUser(f.dir.ID, winner.ID)); d != "" {
		t.Errorf("stored winner (-want +got):\n%s", d)
	}
}

func raceCreateSameGroupName(t *testing.T, stores []directory.Store) {
	f := newFixture(t, stores[0])
	u := f.userNamed(f.dir.ID, "member")
	errs := make([]error, racers)
	race(stores, func(i int, s directory.Store) {
		svc := newService(s, f.clock)
		_, errs[i] = svc.CreateGroup(f.ctx, f.dir, map[string]any{
			"displayName": []string{"Team", "TEAM", "team"}[i%3],
			"members":     []any{map[string]any{"value": u.ID}},
		})
	})
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case directory.IsConflict(err):
		default:
			t.Errorf("racer %d: error %v (kind %v), want success or KindConflict", i, err, directory.KindOf(err))
		}
	}
	if winners != 1 {
		t.Fatalf("%d racers created the group, want exactly 1 (errors: %v)", winners, errs)
	}
	if p := f.listGroups(f.dir.ID, ""); p.Total != 1 {
		t.Errorf("after the race: %d groups", p.Total)
	}
	ug, err := stores[0].UserGroups(f.ctx, f.dir.ID, []string{u.ID})
	if err != nil || len(ug[u.ID]) != 1 {
		t.Errorf("the member belongs to %v, %v; want exactly the winning group", ug, err)
	}
}

func raceUpdateSameUser(t *testing.T, stores []directory.Store) {
	f := newFixture(t, stores[0])
	u := f.user(f.dir.ID, map[string]any{"userName": "counter", "nickName": "0"})
	errs := make([]error, racers)
	race(stores, func(i int, s directory.Store) {
		_, _, errs[i] = s.UpdateUser(f.ctx, f.dir.ID, u.ID, f.clock.Now(), func(u *directory.User) (bool, error) {
			n, err := strconv.Atoi(u.Doc["nickName"].(string))
			if err != nil {
				return false, err
			}
			u.Doc["nickName"] = strconv.Itoa(n + 1)
			return true, nil
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("racer %d: %v", i, err)
		}
	}
	got := f.getUser(f.dir.ID, u.ID)
	if got.Doc["nickName"] != strconv.Itoa(racers) || got.Version != racers+1 {
		t.Errorf("after %d concurrent increments: counter %v, version %d; want %d, %d (lost update)", racers, got.Doc["nickName"], got.Version, racers, racers+1)
	}
}

func raceAddMembers(t *testing.T, stores []directory.Store) {
	f := newFixture(t, stores[0])
	const each = 5
	ids := make([][]string, racers)
	var all []string
	for i := range ids {
		for j := 0; j < each; j++ {
			id := f.userNamed(f.dir.ID, fmt.Sprintf("u%d-%d", i, j)).ID
			ids[i] = append(ids[i], id)
			all = append(all, id)
		}
	}
	shared := f.userNamed(f.dir.ID, "shared").ID
	all = append(all, shared)
	g := f.group(f.dir.ID, "G")
	errs := make([]error, racers)
	race(stores, func(i int, s directory.Store) {
		_, _, errs[i] = s.UpdateGroup(f.ctx, f.dir.ID, g.ID, f.clock.Now(), func(*directory.Group) (bool, []directory.MemberChange, error) {
			// Everyone also adds the shared user: only one insert wins.
			return false, []directory.MemberChange{add(append([]string{shared}, ids[i]...)...)}, nil
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("racer %d: %v", i, err)
		}
	}
	if d := diff(sorted(all), f.memberIDs(f.dir.ID, g.ID)); d != "" {
		t.Errorf("members after concurrent adds (-want +got):\n%s", d)
	}
	if got := f.getGroup(f.dir.ID, g.ID); got.Version != racers+1 {
		t.Errorf("version after %d concurrent adds = %d, want %d", racers, got.Version, racers+1)
	}
}

// raceManyWriters: many concurrent writes, some failing, all land or fail
// on their own (on SQLite they share group commits: a failing write must not
// undo the others), and large id lists work.
func raceManyWriters(t *testing.T, stores []directory.Store) {
	f := newFixture(t, stores[0])
	const each = 15
	ids := make([][]string, racers)
	errs := make([][]error, racers)
	var dups atomic.Int64
	race(stores, func(i int, s directory.Store) {
		svc := newService(s, f.clock)
		for j := 0; j < each; j++ {
			u, err := svc.CreateUser(f.ctx, f.dir, map[string]any{"userName": fmt.Sprintf("w%d-%d", i, j)})
			if err != nil {
				errs[i] = append(errs[i], err)
				continue
			}
			ids[i] = append(ids[i], u.ID)
			// Interleave writes that fail: a duplicate name, an update of
			// a user that does not exist, an fn error.
			_, err = svc.CreateUser(f.ctx, f.dir, map[string]any{"userName": []string{"Dup@X.com", "dup@x.com"}[j%2]})
			switch {
			case err == nil:
				dups.Add(1)
			case !directory.IsConflict(err):
				errs[i] = append(errs[i], err)
			}
			if _, _, err := s.UpdateUser(f.ctx, f.dir.ID, "diruser_missing", f.clock.Now(), renameTo("x")); !directory.IsNotFound(err) {
				errs[i] = append(errs[i], fmt.Errorf("UpdateUser of a missing user: %v", err))
			}
			if _, _, err := s.UpdateUser(f.ctx, f.dir.ID, u.ID, f.clock.Now(), func(*directory.User) (bool, error) { return true, errSentinel }); err != errSentinel {
				errs[i] = append(errs[i], fmt.Errorf("UpdateUser with a failing fn: %v", err))
			}
		}
	})
	var all []string
	for i := range ids {
		for _, err := range errs[i] {
			t.Errorf("writer %d: %v", i, err)
		}
		all = append(all, ids[i]...)
	}
	if n := dups.Load(); n != 1 {
		t.Errorf("%d of the racing creates of dup@x.com succeeded, want 1", n)
	}
	if p := f.listUsers(f.dir.ID, ""); p.Total != racers*each+1 {
		t.Errorf("%d users after the writes, want %d", p.Total, racers*each+1)
	}
	g := f.group(f.dir.ID, "everyone", all...)
	if d := diff(sorted(all), f.memberIDs(f.dir.ID, g.ID)); d != "" {
		t.Errorf("members of a group created with %d members (-want +got):\n%s", len(all), d)
	}
	ug, err := stores[0].UserGroups(f.ctx, f.dir.ID, all)
	if err != nil {
		t.Fatalf("UserGroups: %v", err)
	}
	if len(ug) != len(all) {
		t.Errorf("UserGroups for %d users: %d entries", len(all), len(ug))
	}
	ms, err := stores[0].MembersOf(f.ctx, f.dir.ID, []string{g.ID})
	if err != nil || len(ms[g.ID]) != len(all) {
		t.Errorf("MembersOf: %d members, %v; want %d", len(ms[g.ID]), err, len(all))
	}
	_, unknown := f.updateGroup(f.dir.ID, g.ID, replace(all[:len(all)/2]...))
	if len(unknown) != 0 || len(f.memberIDs(f.dir.ID, g.ID)) != len(all)/2 {
		t.Errorf("replacing with half: unknown %v, %d members", unknown, len(f.memberIDs(f.dir.ID, g.ID)))
	}
}

// rounds is how many times the two-party races below are repeated: the
// interleavings they look for are a matter of timing.
const rounds = 60

// raceDeleteWhileAdding: a user or group deleted while it is being added to
// a group is either added and then removed with it, or reported unknown;
// never an error.
func raceDeleteWhileAdding(t *testing.T, stores []directory.Store) {
	f := newFixture(t, stores[0])
	g := f.group(f.dir.ID, "G")
	for i := 0; i < rounds; i++ {
		var target string
		isGroup := i%2 == 1
		if isGroup {
			target = f.group(f.dir.ID, fmt.Sprintf("child %d", i)).ID
		} else {
			target = f.userNamed(f.dir.ID, fmt.Sprintf("u%d", i)).ID
		}
		var delErr, addErr error
		var unknown []string
		var wg, start sync.WaitGroup
		start.Add(1)
		wg.Add(2)
		go func() {
			defer wg.Done()
			start.Wait()
			s := stores[i%len(stores)]
			if isGroup {
				delErr = s.DeleteGroup(f.ctx, f.dir.ID, target, nil)
			} else {
				delErr = s.DeleteUser(f.ctx, f.dir.ID, target, nil)
			}
		}()
		go func() {
			defer wg.Done()
			start.Wait()
			_, unknown, addErr = stores[(i+1)%len(stores)].UpdateGroup(f.ctx, f.dir.ID, g.ID, f.clock.Now(), func(*directory.Group) (bool, []directory.MemberChange, error) {
				return false, []directory.MemberChange{add(target)}, nil
			})
		}()
		start.Done()
		wg.Wait()
		if delErr != nil {
			t.Errorf("round %d: delete: %v", i, delErr)
		}
		if addErr != nil {
			t.Errorf("round %d: adding a member being deleted: %v (kind %v), want success", i, addErr, directory.KindOf(addErr))
		}
		if len(unknown) > 1 || len(unknown) == 1 && unknown[0] != target {
			t.Errorf("round %d: unknown = %v", i, unknown)
		}
	}
	if ms := f.members(f.dir.ID, g.ID); len(ms) != 0 {
		t.Errorf("deleted objects are still members: %v", ms)
	}
}

// raceMutualNesting: two groups made members of each other at the same
// time (SCIM allows cycles) both succeed.
func raceMutualNesting(t *testing.T, stores []directory.Store) {
	f := newFixture(t, stores[0])
	a := f.group(f.dir.ID, "A")
	b := f.group(f.dir.ID, "B")
	u := f.userNamed(f.dir.ID, "u")
	for i := 0; i < rounds; i++ {
		var wg, start sync.WaitGroup
		start.Add(1)
		errs := make([]error, 3)
		for k, pair := range [][2]string{{a.ID, b.ID}, {b.ID, a.ID}} {
			wg.Add(1)
			go func(k int, g, m string) {
				defer wg.Done()
				start.Wait()
				ids := []string{m}
				if i%2 == 1 {
					ids = append(ids, u.ID)
				}
				_, _, errs[k] = stores[(i+k)%len(stores)].UpdateGroup(f.ctx, f.dir.ID, g, f.clock.Now(), func(*directory.Group) (bool, []directory.MemberChange, error) {
					return false, []directory.MemberChange{replace(ids...)}, nil
				})
			}(k, pair[0], pair[1])
		}
		// A concurrent update of a user being added to both.
		wg.Add(1)
		go func() {
			defer wg.Done()
			start.Wait()
			_, _, errs[2] = stores[i%len(stores)].UpdateUser(f.ctx, f.dir.ID, u.ID, f.clock.Now(), func(u *directory.User) (bool, error) {
				u.Doc["nickName"] = strconv.Itoa(i)
				return true, nil
			})
		}()
		start.Done()
		wg.Wait()
		for k, err := range errs {
			if err != nil {
				t.Errorf("round %d, writer %d: %v", i, k, err)
			}
		}
	}
	// The last round made each the other's member, with u when odd.
	wantA, wantB := []string{b.ID}, []string{a.ID}
	if (rounds-1)%2 == 1 {
		wantA, wantB = append(wantA, u.ID), append(wantB, u.ID)
	}
	if d := diff(sorted(wantA), f.memberIDs(f.dir.ID, a.ID)); d != "" {
		t.Errorf("A's members (-want +got):\n%s", d)
	}
	if d := diff(sorted(wantB), f.memberIDs(f.dir.ID, b.ID)); d != "" {
		t.Errorf("B's members (-want +got):\n%s", d)
	}
}
