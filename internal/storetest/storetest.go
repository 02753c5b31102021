package storetest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// subtest is one conformance check. It gets a fresh, empty, migrated store.
type subtest struct {
	name string
	run  func(t *testing.T, s directory.Store)
}

// Run runs the conformance suite against stores made by newStore, one fresh
// store per subtest.
func Run(t *testing.T, newStore func(t *testing.T) directory.Store) {
	var tests []subtest
	tests = append(tests, tenantTests()...)
	tests = append(tests, userTests()...)
	tests = append(tests, groupTests()...)
	tests = append(tests, listTests()...)
	tests = append(tests, timeTests()...)
	tests = append(tests, concurrencyTests()...)
	tests = append(tests, requestTests()...)
	tests = append(tests, settingsTests()...)
	tests = append(tests, adminTests()...)
	tests = append(tests, roleTests()...)
	tests = append(tests, eventTests()...)
	tests = append(tests, webhookTests()...)
	tests = append(tests, portalTests()...)
	tests = append(tests, healthAndFormTests()...)
	tests = append(tests, unicodeTests()...)
	tests = append(tests, auditTests()...)
	tests = append(tests, queryTests()...)
	tests = append(tests, customAttrTests()...)
	// Each subtest has a store of its own (a fresh SQLite file, or a
	// PostgreSQL schema from testpg's pool): they run in parallel, which
	// overlaps their commits' waits on the disk.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

// clock is a deterministic clock: every reading is later than the previous
// one by step. It is safe for concurrent use.
type clock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func newClock() *clock {
	return &clock{now: time.Date(2030, 1, 2, 3, 4, 5, 123456000, time.UTC), step: time.Second + 1001*time.Microsecond}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

// fixture is a store with an organization and a directory, and a Service
// over it to build users and groups from SCIM documents.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	s     directory.Store
	svc   *directory.Service
	clock *clock
	org   directory.Organization
	dir   directory.Directory
}

// newService returns a Service over s with a deterministic clock.
func newService(s directory.Store, c *clock) *directory.Service {
	return &directory.Service{
		Store:   s,
		Schemas: schema.New(),
		IDs:     directory.IDs{Now: c.Now, Rand: rand.Reader},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func newFixture(t *testing.T, s directory.Store) *fixture {
	t.Helper()
	c := newClock()
	f := &fixture{t: t, ctx: context.Background(), s: s, svc: newService(s, c), clock: c}
	org, err := f.svc.CreateOrganization(f.ctx, "Acme", "")
	if err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	f.org = org
	f.dir = f.newDir()
	return f
}

// newDir creates another directory in the fixture's organization.
func (f *fixture) newDir() directory.Directory {
	f.t.Helper()
	d, err := f.svc.CreateDirectory(f.ctx, f.org.ID, "okta", "")
	if err != nil {
		f.t.Fatalf("CreateDirectory: %v", err)
	}
	return d
}

// user creates a user from a SCIM document through the Service.
func (f *fixture) user(dirID string, doc map[string]any) directory.User {
	f.t.Helper()
	u, err := f.svc.CreateUser(f.ctx, directory.Directory{ID: dirID}, doc)
	if err != nil {
		f.t.Fatalf("CreateUser(%v): %v", doc["userName"], err)
	}
	return u
}

// userNamed creates a user with just a userName.
func (f *fixture) userNamed(dirID, userName string) directory.User {
	f.t.Helper()
	return f.user(dirID, map[string]any{"userName": userName})
}

// group creates a group through the Service with the given members.
func (f *fixture) group(dirID, displayName string, members ...string) directory.Group {
	f.t.Helper()
	doc := map[string]any{"displayName": displayName}
	if len(members) > 0 {
		var ms []any
		for _, m := range members {
			ms = append(ms, map[string]any{"value": m})
		}
		doc["members"] = ms
	}
	g, err := f.svc.CreateGroup(f.ctx, directory.Directory{ID: dirID}, doc)
	if err != nil {
		f.t.Fatalf("CreateGroup(%q): %v", displayName, err)
	}
	return g
}

// getUser reads a user that must exist.
func (f *fixture) getUser(dirID, id string) directory.User {
	f.t.Helper()
	u, err := f.s.GetUser(f.ctx, dirID, id)
	if err != nil {
		f.t.Fatalf("GetUser(%s): %v", id, err)
	}
	return u
}

// getGroup reads a group that must exist.
func (f *fixture) getGroup(dirID, id string) directory.Group {
	f.t.Helper()
	g, err := f.s.GetGroup(f.ctx, dirID, id)
	if err != nil {
		f.t.Fatalf("GetGroup(%s): %v", id, err)
	}
	return g
}

// members lists all members of a group.
func (f *fixture) members(dirID, groupID string) []directory.Member {
	f.t.Helper()
	ms, err := f.s.ListMembers(f.ctx, dirID, groupID, "", 0)
	if err != nil {
		f.t.Fatalf("ListMembers(%s): %v", groupID, err)
	}
	return ms
}

// memberIDs lists the ids of all members of a group, sorted.
func (f *fixture) memberIDs(dirID, groupID string) []string {
	f.t.Helper()
	var ids []string
	for _, m := range f.members(dirID, groupID) {
		ids = append(ids, m.ID)
	}
	sort.Strings(ids)
	return ids
}

// updateGroup applies member changes (and no document change) to a group.
func (f *fixture) updateGroup(dirID, id string, changes ...directory.MemberChange) (directory.Group, []string) {
	f.t.Helper()
	g, unknown, err := f.s.UpdateGroup(f.ctx, dirID, id, f.clock.Now(), func(*directory.Group) (bool, []directory.MemberChange, error) {
		return false, changes, nil
	})
	if err != nil {
		f.t.Fatalf("UpdateGroup(%s): %v", id, err)
	}
	return g, unknown
}

// listUsers lists the users a filter selects, all of them, in creation order.
func (f *fixture) listUsers(dirID, filterText string) directory.UserPage {
	f.t.Helper()
	q := directory.Query{Limit: 1 << 20}
	if filterText != "" {
		q.Filter = mustFilter(f.t, schema.New().User, filterText)
	}
	p, err := f.s.ListUsers(f.ctx, dirID, q)
	if err != nil {
		f.t.Fatalf("ListUsers(%q): %v", filterText, err)
	}
	return p
}

// listGroups lists the groups a filter selects, all of them, in creation order.
func (f *fixture) listGroups(dirID, filterText string) directory.GroupPage {
	f.t.Helper()
	q := directory.Query{Limit: 1 << 20}
	if filterText != "" {
		q.Filter = mustFilter(f.t, schema.New().Group, filterText)
	}
	p, err := f.s.ListGroups(f.ctx, dirID, q)
	if err != nil {
		f.t.Fatalf("ListGroups(%q): %v", filterText, err)
	}
	return p
}

// mustFilter parses and resolves a filter.
func mustFilter(t *testing.T, rt *schema.ResourceType, s string) filter.Expr {
	t.Helper()
	e, err := parseFilter(rt, s)
	if err != nil {
		t.Fatalf("filter %q: %v", s, err)
	}
	return e
}

func parseFilter(rt *schema.ResourceType, s string) (filter.Expr, error) {
	e, err := filter.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	r, err := filter.Resolve(rt, e)
	if err != nil {
		return nil, fmt.Errorf("resolve: %w", err)
	}
	return r, nil
}

// wantKind fails unless err is a *directory.Error of kind k (anywhere in its
// chain) and returns it.
func wantKind(t *testing.T, err error, k directory.Kind, what string) *directory.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, k)
	}
	var de *directory.Error
	if !errors.As(err, &de) {
		t.Fatalf("%s: error %q (%T) is not a *directory.Error, want kind %v", what, err, err, k)
	}
	if de.Kind != k {
		t.Fatalf("%s: error %q has kind %v, want %v", what, err, de.Kind, k)
	}
	return de
}

// wantNotFound fails unless err is KindNotFound.
func wantNotFound(t *testing.T, err error, what string) {
	t.Helper()
	wantKind(t, err, directory.KindNotFound, what)
}

// wantUniqueness fails unless err is a KindConflict with ScimType
// "uniqueness" whose message names attr.
func wantUniqueness(t *testing.T, err error, attr, what string) {
	t.Helper()
	de := wantKind(t, err, directory.KindConflict, what)
	if de.ScimType != schema.ErrUniqueness {
		t.Errorf("%s: ScimType = %q, want %q", what, de.ScimType, schema.ErrUniqueness)
	}
	if !strings.Contains(strings.ToLower(de.Message), strings.ToLower(attr)) {
		t.Errorf("%s: message %q does not name the attribute %q", what, de.Message, attr)
	}
}

// diff compares with go-cmp; time.Time compares by its Equal method.
func diff(want, got any) string { return cmp.Diff(want, got) }

// ids returns the ids of users, in order.
func userIDs(us []directory.User) []string {
	out := make([]string, 0, len(us))
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

// groupIDs returns the ids of groups, in order.
func groupIDs(gs []directory.Group) []string {
	out := make([]string, 0, len(gs))
	for _, g := range gs {
		out = append(out, g.ID)
	}
	return out
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}
