package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/testenv"
)

// TestEventFeedProperty is the events feed's contract, end to end over
// HTTP: 8 clients make random SCIM writes (and role mapping changes through
// the management API) while a consumer follows GET /api/v1/events by
// cursor. The consumer must see every committed change exactly once, each
// directory's events in sequence order without gaps, and replaying what it
// saw onto an empty model must reproduce the directory's users, groups,
// memberships and roles as the API reports them.
func TestEventFeedProperty(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			cfg := config.Config{DataDir: t.TempDir()}
			if backend == "postgres" {
				cfg.Database = testenv.PostgresURL(t)
			}
			for seed := int64(1); seed <= 3; seed++ {
				t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { feedProperty(t, cfg, seed) })
			}
		})
	}
}

type propEnv struct {
	t        *testing.T
	srv      *httptest.Server
	key      string
	dirID    string
	token    string
	mu       sync.Mutex
	users    []string
	groups   []string
	failures []string
}

func (e *propEnv) do(method, path, auth string, body any) (int, map[string]any) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+auth)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.fail("%s %s: %v", method, path, err)
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (e *propEnv) fail(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failures = append(e.failures, fmt.Sprintf(format, args...))
}

func (e *propEnv) pick(r *rand.Rand, list *[]string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(*list) == 0 {
		return "missing"
	}
	return (*list)[r.Intn(len(*list))]
}

func (e *propEnv) count(list *[]string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(*list)
}

func (e *propEnv) scim(method, path string, body any) (int, map[string]any) {
	st, out := e.do(method, "/scim/v2/"+e.dirID+path, e.token, body)
	// Racing clients delete what others are about to touch (404) and pick
	// names others took (409): outcomes, not failures.
	if st >= 300 && st != 404 && st != 409 {
		e.fail("%s %s: %d %v", method, path, st, out)
	}
	return st, out
}

func patchOp(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
}

func feedProperty(t *testing.T, cfg config.Config, seed int64) {
	ctx := context.Background()
	cfg.LogLevel, cfg.LogFormat, cfg.ShutdownTimeout = "error", "text", 5*time.Second
	cfg.APIKey = strings.Repeat("p", 40)
	var logw io.Writer = io.Discard
	if testing.Verbose() {
		logw = os.Stderr
	}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(logw, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { a.Close() })
	t.Cleanup(srv.Close)
	org, err := a.Service.CreateOrganization(ctx, "Prop", "")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := a.Service.CreateDirectory(ctx, org.ID, "okta", "")
	if err != nil {
		t.Fatal(err)
	}
	// The random deletes would open a deprovisioning hold, which keeps
	// them from the feed by design (holds_test.go tests that).
	off := false
	if _, err := a.Service.UpdateDeprovisionSettings(ctx, dir.ID, directory.DeprovisionChange{GuardEnabled: &off}); err != nil {
		t.Fatal(err)
	}
	_, token, err := a.Service.CreateToken(ctx, dir.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	e := &propEnv{t: t, srv: srv, key: cfg.APIKey, dirID: dir.ID, token: token}

	// The consumer follows the feed while the clients write.
	type seen struct {
		ID       string
		Type     string
		Sequence int64
		Data     map[string]any
	}
	var got []seen
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		cursor, final := "", false
		for {
			st, out := e.do("GET", "/api/v1/events?limit=37&directory_id="+dir.ID+"&after="+cursor, e.key, nil)
			if st != 200 {
				e.fail("feed: %d %v", st, out)
				return
			}
			data, _ := out["data"].([]any)
			for _, item := range data {
				ev := item.(map[string]any)
				seq, _ := ev["sequence"].(float64)
				d, _ := ev["data"].(map[string]any)
				got = append(got, seen{ev["id"].(string), ev["type"].(string), int64(seq), d})
			}
			cursor = out["next_cursor"].(string)
			if len(data) > 0 {
				continue
			}
			if final {
				return
			}
			select {
			case <-stop:
				final = true
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()

	var clients sync.WaitGroup
	for c := 0; c < 8; c++ {
		clients.Add(1)
		go func(c int) {
			defer clients.Done()
			r := rand.New(rand.NewSource(seed*100 + int64(c)))
			for j := 0; j < 30; j++ {
				switch op := r.Intn(12); {
				case op < 3 || e.count(&e.users) < 4:
					st, out := e.scim("POST", "/Users", map[string]any{"userName": fmt.Sprintf("u%d-%d@example.com", c, r.Intn(40)), "title": "new", "active": true})
					if st == 201 {
						e.mu.Lock()
						e.users = append(e.users, out["id"].(string))
						e.mu.Unlock()
					}
				case op == 3:
					e.scim("PATCH", "/Users/"+e.pick(r, &e.users), patchOp(map[string]any{"op": "replace", "path": "title", "value": fmt.Sprint("t", r.Intn(3))}))
				case op == 4:
					e.scim("PATCH", "/Users/"+e.pick(r, &e.users), patchOp(map[string]any{"op": "Replace", "value": map[string]any{"active": r.Intn(2) == 0}}))
				case op == 5:
					e.scim("DELETE", "/Users/"+e.pick(r, &e.users), nil)
				case op == 6 || e.count(&e.groups) < 2:
					st, out := e.scim("POST", "/Groups", map[string]any{"displayName": fmt.Sprintf("g%d-%d", c, r.Intn(20)),
						"members": []any{map[string]any{"value": e.pick(r, &e.users)}}})
					if st == 201 {
						e.mu.Lock()
						e.groups = append(e.groups, out["id"].(string))
						e.mu.Unlock()
					}
				case op == 7 || op == 8:
					e.scim("PATCH", "/Groups/"+e.pick(r, &e.groups), patchOp(map[string]any{"op": "add", "path": "members",
						"value": []any{map[string]any{"value": e.pick(r, &e.users)}, map[string]any{"value": e.pick(r, &e.users)}}}))
				case op == 9:
					e.scim("PATCH", "/Groups/"+e.pick(r, &e.groups), patchOp(map[string]any{"op": "remove", "path": fmt.Sprintf("members[value eq %q]", e.pick(r, &e.users))}))
				case op == 10:
					if r.Intn(4) == 0 {
						e.scim("DELETE", "/Groups/"+e.pick(r, &e.groups), nil)
					} else {
						e.scim("PATCH", "/Groups/"+e.pick(r, &e.groups), patchOp(map[string]any{"op": "replace", "path": "displayName", "value": fmt.Sprintf("renamed%d-%d", c, j)}))
					}
				default:
					body := map[string]any{"mappings": []any{map[string]any{"group_id": e.pick(r, &e.groups), "role": []string{"member", "admin"}[r.Intn(2)], "priority": r.Intn(5)}}}
					if st, out := e.do("PUT", "/api/v1/directories/"+dir.ID+"/role_mappings", e.key, body); st != 200 && st != 400 {
						e.fail("PUT role_mappings: %d %v", st, out) // 400: the group was deleted meanwhile
					}
				}
			}
		}(c)
	}
	clients.Wait()
	close(stop)
	wg.Wait()
	for _, f := range e.failures {
		t.Error(f)
	}

	// Exactly once: the follower saw what a fresh read of the whole feed
	// holds, and sequences run 1..n.
	var all []string
	cursor := ""
	for {
		_, out := e.do("GET", "/api/v1/events?limit=1000&directory_id="+dir.ID+"&after="+cursor, e.key, nil)
		data := out["data"].([]any)
		for _, item := range data {
			all = append(all, item.(map[string]any)["id"].(string))
		}
		if len(data) == 0 {
			break
		}
		cursor = out["next_cursor"].(string)
	}
	var gotIDs []string
	for i, s := range got {
		gotIDs = append(gotIDs, s.ID)
		if s.Sequence != int64(i+1) {
			t.Errorf("event %d of the directory (%s) has sequence %d", i+1, s.Type, s.Sequence)
			break
		}
	}
	if d := cmp.Diff(all, gotIDs); d != "" {
		t.Errorf("the follower's events differ from the feed (-feed +follower):\n%s", d)
	}

	// Replay onto an empty model.
	users := map[string]string{} // id → "userName active title roles"
	groups := map[string]string{}
	members := map[string]map[string]bool{}
	for _, s := range got {
		id, _ := s.Data["id"].(string)
		switch strings.TrimPrefix(s.Type, "organization.directory.") {
		case "user_created", "user_updated":
			users[id] = userLine(s.Data)
		case "user_deleted":
			delete(users, id)
			for _, ms := range members {
				delete(ms, id)
			}
		case "group_created", "group_updated":
			groups[id] = s.Data["name"].(string)
		case "group_deleted":
			delete(groups, id)
			delete(members, id)
			for _, ms := range members {
				delete(ms, id)
			}
		case "group_member_added", "group_member_removed":
			g := s.Data["group"].(map[string]any)["id"].(string)
			m := s.Data["member"].(map[string]any)["id"].(string)
			if members[g] == nil {
				members[g] = map[string]bool{}
			}
			members[g][m] = strings.HasSuffix(s.Type, "added")
		}
	}
	// The directory as the management API reports it.
	wantUsers := map[string]string{}
	for _, u := range listAll(e, "/api/v1/directories/"+dir.ID+"/users") {
		wantUsers[u["id"].(string)] = userLine(u)
	}
	if d := cmp.Diff(wantUsers, users); d != "" {
		t.Errorf("users replayed from the feed (-api +replay):\n%s", d)
	}
	wantGroups, gotGroups := map[string]string{}, map[string]string{}
	for _, g := range listAll(e, "/api/v1/directories/"+dir.ID+"/groups") {
		id := g["id"].(string)
		var ms []string
		for _, m := range listAll(e, "/api/v1/directories/"+dir.ID+"/groups/"+id+"/members") {
			ms = append(ms, m["id"].(string))
		}
		sort.Strings(ms)
		wantGroups[id] = fmt.Sprint(g["name"], ms)
	}
	for id, name := range groups {
		var ms []string
		for m, in := range members[id] {
			if in {
				ms = append(ms, m)
			}
		}
		sort.Strings(ms)
		gotGroups[id] = fmt.Sprint(name, ms)
	}
	if d := cmp.Diff(wantGroups, gotGroups); d != "" {
		t.Errorf("groups and memberships replayed from the feed (-api +replay):\n%s", d)
	}
	if len(got) < 100 {
		t.Errorf("only %d events: the random writes did too little to test anything", len(got))
	}
}

func userLine(u map[string]any) string {
	return fmt.Sprint(u["user_name"], " active=", u["active"], " title=", u["title"], " roles=", u["roles"])
}

// listAll reads every page of a management API list.
func listAll(e *propEnv, path string) []map[string]any {
	var out []map[string]any
	token := ""
	for {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		p := path + sep + "page_size=100"
		if token != "" {
			p += "&page_token=" + token
		}
		st, page := e.do("GET", p, e.key, nil)
		if st != 200 {
			e.t.Fatalf("GET %s: %d %v", p, st, page)
		}
		for _, item := range page["data"].([]any) {
			out = append(out, item.(map[string]any))
		}
		next, _ := page["next_page_token"].(string)
		if next == "" {
			return out
		}
		token = next
	}
}
