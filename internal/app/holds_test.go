package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/client"
	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/testenv"
	"golang.org/x/sync/errgroup"
)

// The deprovisioning guard's acceptance test (issue 15, section 1;
// docs/deprovisioning-guard.md): an Entra scope change deactivates 600 of
// 1,000 users through SCIM, one PATCH per user, then removes them from
// their groups. The IdP gets 2xx throughout and reads back what it sent;
// the app's feed shows nothing of it; a hold lists the 600. Release
// delivers the 600 deactivations and their membership and role events to a
// webhook receiver, in order, with gapless sequences. In a second run,
// discard leaves the 600 active in the app, marked diverged, and a later
// PATCH active:true from the IdP clears the mark.
func TestHoldEntraScopeChange(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			a, base, stop := startOn(t, backend)
			defer stop()
			t.Run("release", func(t *testing.T) { scopeChange(t, a, base, true) })
			t.Run("discard", func(t *testing.T) { scopeChange(t, a, base, false) })
		})
	}
}

// startOn serves an app on the backend until the returned stop is called.
func startOn(t *testing.T, backend string) (*app.App, string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := config.Config{DataDir: filepath.Join(t.TempDir(), "data"), Addr: ln.Addr().String(), PublicURL: base,
		APIKey: strings.Repeat("k", 40), LogLevel: "warn", LogFormat: "text", ShutdownTimeout: 10 * time.Second}
	if backend == "postgres" {
		cfg.Database = testenv.PostgresURL(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	return a, base, func() { cancel(); <-done; a.Close() }
}

// createUsers creates n users in dir through the service, 8 at a time
// (they share commits), and returns their ids in the order of i.
func createUsers(t *testing.T, svc *directory.Service, dir directory.Directory, n int, doc func(i int) map[string]any) []string {
	t.Helper()
	ids := make([]string, n)
	var g errgroup.Group
	g.SetLimit(8)
	for i := range ids {
		g.Go(func() error {
			u, err := svc.CreateUser(context.Background(), dir, doc(i))
			ids[i] = u.ID
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// idp plays the identity provider against one directory.
type idp struct {
	t     *testing.T
	base  string
	token string
}

func (p idp) do(method, path string, body any) (int, map[string]any) {
	p.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.base+path, r)
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Errorf("%s %s: %v", method, path, err)
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// entraActive is Entra's PATCH of active (capitalised op, string value).
func entraActive(v string) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "Replace", "path": "active", "value": v}}}
}

// receiver is a webhook endpoint that keeps the events it gets, in order.
type receiver struct {
	mu     sync.Mutex
	events []client.Event
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var e client.Event
	json.NewDecoder(r.Body).Decode(&e)
	rc.mu.Lock()
	rc.events = append(rc.events, e)
	rc.mu.Unlock()
}

// wait returns the events once n have arrived (failing after a minute).
func (rc *receiver) wait(t *testing.T, n int) []client.Event {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		rc.mu.Lock()
		got := append([]client.Event(nil), rc.events...)
		rc.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook receiver got %d events within a minute, want %d", len(got), n)
		}
		time.Sleep(20 * time.Millisecond) // polling a real receiver
	}
}

func scopeChange(t *testing.T, a *app.App, base string, release bool) {
	ctx := context.Background()
	c := client.New(base, a.Config.APIKey)
	org, err := c.CreateOrganization(ctx, fmt.Sprintf("Contoso %v", release), "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.CreateDirectory(ctx, org.ID, "entra_id", "Entra")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.CreateToken(ctx, d.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	p := idp{t: t, base: base + "/scim/v2/" + d.ID, token: tok.Token}
	// 1,000 users in 10 groups of 100; group 0 maps to a role.
	dir, err := a.Service.Read().GetDirectory(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	users := createUsers(t, a.Service, dir, 1000, func(i int) map[string]any {
		return map[string]any{"userName": fmt.Sprintf("user%04d@contoso.example", i), "active": true}
	})
	groups := make([]string, 10)
	for g := range groups {
		var members []any
		for i := g * 100; i < g*100+100; i++ {
			members = append(members, map[string]any{"value": users[i]})
		}
		grp, err := a.Service.CreateGroup(ctx, dir, map[string]any{"displayName": fmt.Sprintf("Team %d", g), "members": members})
		if err != nil {
			t.Fatal(err)
		}
		groups[g] = grp.ID
	}
	role := "engineer-" + d.ID[len(d.ID)-6:]
	if _, err := c.CreateRole(ctx, client.Role{Key: role, Name: "Engineer"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutRoleMappings(ctx, d.ID, []client.RoleMapping{{GroupID: groups[0], Role: role, Priority: 1}}); err != nil {
		t.Fatal(err)
	}
	// The guard catches the whole burst: a hold opens at the first
	// deprovision (threshold 0; the default threshold is tested apart).
	zero := 0
	if _, err := c.UpdateDirectory(ctx, d.ID, client.DirectoryUpdate{Settings: &client.DirectorySettingsUpdate{
		DeprovisionSettingsUpdate: client.DeprovisionSettingsUpdate{DeprovisionGuard: &client.DeprovisionGuardUpdate{MinUsers: &zero, Percent: &zero}}}}); err != nil {
		t.Fatal(err)
	}
	start, err := a.Store.LastEventPosition(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The scope change: 600 users (3 of every 5) leave the scope.
	var gone []string
	isGone := map[string]bool{}
	for i, id := range users {
		if i%5 < 3 {
			gone = append(gone, id)
			isGone[id] = true
		}
	}
	var wg sync.WaitGroup
	work := make(chan string)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				if st, out := p.do("PATCH", "/Users/"+id, entraActive("False")); st/100 != 2 {
					t.Errorf("PATCH /Users/%s: %d %v", id, st, out)
				}
			}
		}()
	}
	for _, id := range gone {
		work <- id
	}
	close(work)
	wg.Wait()
	for g, gid := range groups {
		var remove []map[string]any
		for i := g * 100; i < g*100+100; i++ {
			if isGone[users[i]] {
				remove = append(remove, map[string]any{"value": users[i]})
			}
		}
		body := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []map[string]any{{"op": "Remove", "path": "members", "value": remove}}}
		if st, out := p.do("PATCH", "/Groups/"+gid, body); st/100 != 2 {
			t.Fatalf("PATCH /Groups/%s: %d %v", gid, st, out)
		}
	}

	// The IdP reads back what it sent.
	if st, out := p.do("GET", "/Users?filter="+strings.ReplaceAll("active eq false", " ", "%20")+"&count=1", nil); st != 200 || out["totalResults"] != float64(600) {
		t.Fatalf("IdP filter active eq false: %d totalResults=%v, want 600", st, out["totalResults"])
	}
	if st, out := p.do("GET", "/Users/"+gone[0], nil); st != 200 || out["active"] != false {
		t.Fatalf("IdP GET of a deactivated user: %d active=%v", st, out["active"])
	}
	if st, out := p.do("GET", "/Groups/"+groups[0], nil); st != 200 || len(out["members"].([]any)) != 40 {
		t.Fatalf("IdP GET of a group: %d, %d members, want 40", st, len(out["members"].([]any)))
	}

	// The app's feed shows nothing of it: the hold's opening only.
	evs, _, err := c.ListEvents(ctx, client.EventsOptions{After: fmt.Sprint(start), DirectoryID: d.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Type != directory.EventHoldOpened {
		var types []string
		for _, e := range evs {
			types = append(types, e.Type)
		}
		t.Fatalf("the app's feed after the scope change: %v, want only hold_opened", types)
	}
	// The management API still shows the users active, in their groups.
	u, err := c.GetUser(ctx, d.ID, gone[0], false)
	if err != nil {
		t.Fatal(err)
	}
	if !u.Active || len(u.Groups) != 1 || u.Groups[0].ID != groups[0] || !contains(u.Roles, role) {
		t.Fatalf("the app's view of a held user: active=%v groups=%v roles=%v", u.Active, u.Groups, u.Roles)
	}
	active := 0
	for u, err := range c.Users(ctx, d.ID, client.ListUsersOptions{PageSize: 100}) {
		if err != nil {
			t.Fatal(err)
		}
		if u.Active {
			active++
		}
	}
	if active != 1000 {
		t.Fatalf("the app sees %d active users, want 1000", active)
	}
	n := 0
	for u, err := range c.Users(ctx, d.ID, client.ListUsersOptions{Active: ptr(true), PageSize: 100}) {
		if err != nil {
			t.Fatal(err)
		}
		if !u.Active {
			t.Fatalf("active=true listed %s inactive", u.ID)
		}
		n++
	}
	if n != 1000 {
		t.Fatalf("active=true lists %d users, want the 1000 the app sees active", n)
	}
	if page, _, err := c.ListUsers(ctx, d.ID, client.ListUsersOptions{Active: ptr(false)}); err != nil || len(page) != 0 {
		t.Fatalf("active=false lists %d users (%v), want none", len(page), err)
	}
	if page, _, err := c.ListUsers(ctx, d.ID, client.ListUsersOptions{GroupID: groups[3], PageSize: 100}); err != nil || len(page) != 100 {
		t.Fatalf("group_id lists %d users (%v), want the 100 the app sees in the group", len(page), err)
	}
	// A hold lists the 600, with the requests that deprovisioned them.
	holds, err := c.ListHolds(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(holds) != 1 || holds[0].Status != client.HoldOpen || len(holds[0].Users) != 600 {
		t.Fatalf("holds: %d, want one open hold of 600 users", len(holds))
	}
	h := holds[0]
	for _, hu := range h.Users {
		if !isGone[hu.ID] || hu.Action != "deactivated" || hu.RequestID == "" || hu.At.IsZero() {
			t.Fatalf("held user %+v", hu)
		}
	}

	if release {
		checkRelease(t, ctx, c, a, d.ID, h, gone, role)
	} else {
		checkDiscard(t, ctx, c, p, d.ID, h, gone)
	}
}

func checkRelease(t *testing.T, ctx context.Context, c *client.Client, a *app.App, dirID string, h client.Hold, gone []string, role string) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	if _, err := c.CreateWebhookEndpoint(ctx, client.WebhookEndpointCreate{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	// 600 deactivations, 600 memberships removed, 60 role changes (the
	// users of the mapped group).
	if h.EventCount != 1260 {
		t.Fatalf("the hold keeps %d events, want 1260", h.EventCount)
	}
	released, err := c.ReleaseHold(ctx, dirID, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if released.Status != client.HoldReleased {
		t.Fatalf("released hold status %q", released.Status)
	}
	got := rc.wait(t, 1261)
	var mine []client.Event
	for _, e := range got {
		if e.DirectoryID == dirID {
			mine = append(mine, e)
		}
	}
	if len(mine) != 1261 || mine[0].Type != directory.EventHoldReleased {
		t.Fatalf("the receiver got %d events of the directory (first %q), want hold_released and 1260", len(mine), mine[0].Type)
	}
	deactivated, removed, roles := map[string]int{}, map[string]int{}, 0
	for i, e := range mine {
		if i > 0 && e.Sequence != mine[i-1].Sequence+1 {
			t.Fatalf("sequence %d after %d: not gapless and in order", e.Sequence, mine[i-1].Sequence)
		}
		if i > 0 && (e.Actor == nil || e.Actor.Type != "idp") {
			t.Fatalf("a released event's actor is %+v, want the IdP that made the change", e.Actor)
		}
		if i > 0 && e.OccurredAt.After(released.ClosedAt) {
			t.Fatalf("a released event occurred at %v, after the release at %v: original times are kept", e.OccurredAt, released.ClosedAt)
		}
		var data map[string]any
		var prev map[string]any
		json.Unmarshal(e.Data, &data)
		json.Unmarshal(e.PreviousAttributes, &prev)
		switch {
		case e.Type == directory.EventUserUpdated && prev["active"] == true:
			deactivated[data["id"].(string)] = i
		case e.Type == directory.EventUserUpdated && prev["roles"] != nil:
			roles++
		case e.Type == directory.EventGroupMemberRemoved:
			id := data["member"].(map[string]any)["id"].(string)
			if _, ok := deactivated[id]; !ok {
				t.Fatalf("%s left its group before its deactivation was delivered", id)
			}
			removed[id] = i
		}
	}
	if len(deactivated) != 600 || len(removed) != 600 || roles != 60 {
		t.Fatalf("delivered %d deactivations, %d removals, %d role changes; want 600, 600, 60", len(deactivated), len(removed), roles)
	}
	u, err := c.GetUser(ctx, dirID, gone[0], false)
	if err != nil {
		t.Fatal(err)
	}
	if u.Active || len(u.Groups) != 0 || contains(u.Roles, role) {
		t.Fatalf("after the release the app sees %+v, want the IdP's view", u)
	}
}

func checkDiscard(t *testing.T, ctx context.Context, c *client.Client, p idp, dirID string, h client.Hold, gone []string) {
	d, err := c.DiscardHold(ctx, dirID, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != client.HoldDiscarded || len(d.Users) != 600 || d.Users[0].State != "diverged" {
		t.Fatalf("discarded hold: %s, %d users", d.Status, len(d.Users))
	}
	if _, err := c.ReleaseHold(ctx, dirID, h.ID); err == nil {
		t.Fatal("releasing a discarded hold succeeded")
	}
	diverged := 0
	for u, err := range c.Users(ctx, dirID, client.ListUsersOptions{PageSize: 100}) {
		if err != nil {
			t.Fatal(err)
		}
		if !u.Active {
			t.Fatalf("after the discard the app sees %s inactive", u.ID)
		}
		if u.Diverged {
			diverged++
		}
	}
	if diverged != 600 {
		t.Fatalf("%d users marked diverged, want 600", diverged)
	}
	// The IdP brings some back: the mark goes, and the app sees the user
	// as the IdP does (without the membership the IdP removed).
	for _, id := range gone[:5] {
		if st, out := p.do("PATCH", "/Users/"+id, entraActive("True")); st/100 != 2 {
			t.Fatalf("PATCH active True: %d %v", st, out)
		}
		u, err := c.GetUser(ctx, dirID, id, false)
		if err != nil {
			t.Fatal(err)
		}
		if u.Diverged || !u.Active || len(u.Groups) != 0 {
			t.Fatalf("after the IdP agrees: diverged=%v active=%v groups=%v", u.Diverged, u.Active, u.Groups)
		}
	}
	u, err := c.GetUser(ctx, dirID, gone[5], false)
	if err != nil {
		t.Fatal(err)
	}
	if !u.Diverged || !u.Active {
		t.Fatalf("a user the IdP did not bring back: diverged=%v active=%v", u.Diverged, u.Active)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
