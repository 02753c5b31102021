package replicatest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to play a newer release's migration

	"github.com/scimbridge/scimbridge/internal/simulate"
	"github.com/scimbridge/scimbridge/internal/testpg"
)

// TestThreeReplicas starts three `scimbridge serve` processes on one
// PostgreSQL schema and checks that, driven round-robin, they behave as
// one service (docs/operations.md, "Running several replicas"). The
// subtests run in order on the same cluster; each later one relies on
// the traffic of those before it.
func TestThreeReplicas(t *testing.T) {
	testpg.URL(t) // skips, saying why, without PostgreSQL
	start := time.Now()
	c := startCluster(t, 3)
	t.Logf("three replicas ready in %v", time.Since(start).Round(time.Millisecond))

	// A webhook endpoint for organization A, created before any of its
	// traffic: every event of A must reach it. Organization B (the SIGKILL
	// traffic) is filtered out, so the killed replica's leases cannot
	// hold back anything the test waits for.
	rc := newReceiver()
	hook := httptest.NewServer(rc)
	defer hook.Close()
	var orgA struct{ ID string }
	c.api("POST", "/api/v1/organizations", map[string]string{"name": "Replica A"}, 201, &orgA)
	var ep struct{ ID, Secret string }
	c.api("POST", "/api/v1/webhook_endpoints", map[string]any{"url": hook.URL, "organization_ids": []string{orgA.ID}}, 201, &ep)
	if err := rc.setSecret(ep.Secret); err != nil {
		t.Fatal(err)
	}
	_, hookFrom := c.readFeed("latest")
	var dirs []string // every directory of organization A

	t.Run("SimulatedIdPs", func(t *testing.T) {
		c.t = t
		// A feed follower reads, page by page through the replicas in
		// turn, while the IdPs write through them: when they are done, it
		// must have seen exactly the events the feed holds, in the same
		// order (a position given out of commit order makes it skip one).
		_, from := c.readFeed("latest")
		stop := make(chan struct{})
		followed := make(chan []event)
		go func() {
			var seen []event
			cursor := from
			for {
				select {
				case <-stop:
					rest, _ := c.readFeedQuiet(cursor)
					followed <- append(seen, rest...)
					return
				default:
				}
				page, next, err := c.feedPage(cursor)
				if err != nil {
					t.Errorf("following the feed: %v", err)
					followed <- seen
					return
				}
				seen, cursor = append(seen, page...), next
				if len(page) == 0 {
					time.Sleep(5 * time.Millisecond) // paces polling; nothing waits on it
				}
			}
		}()
		var wg sync.WaitGroup
		for _, idp := range simulate.IdPs() {
			d := c.newDirectory(orgA.ID, "custom", "sim "+idp)
			dirs = append(dirs, d.id)
			wg.Go(func() {
				var out strings.Builder
				s, err := simulate.Run(context.Background(), simulate.Config{
					IdP: idp, Endpoint: "http://scim.replicatest.example/scim/v2/" + d.id, Token: d.token,
					Users: 16, Groups: 3, Members: 10, Concurrency: 3, Timeout: 30 * time.Second,
					HTTPClient: &http.Client{Transport: roundRobin{c: c, base: c.http.Transport}},
				}, &out)
				if err != nil {
					t.Errorf("%s: %v", idp, err)
				} else if !s.Pass {
					t.Errorf("%s through three replicas: FAIL\n%s", idp, out.String())
				}
			})
		}
		wg.Wait()
		close(stop)
		got := <-followed
		want, _ := c.readFeed(from)
		if len(got) != len(want) {
			t.Errorf("the follower saw %d events, the feed holds %d", len(got), len(want))
		}
		for i := range min(len(got), len(want)) {
			if got[i].ID != want[i].ID {
				t.Errorf("event %d: the follower saw %s, the feed holds %s there", i, got[i].ID, want[i].ID)
				break
			}
		}
		t.Logf("a follower read %d events while the IdPs wrote", len(got))
	})

	race := c.withT(t).newDirectory(orgA.ID, "okta", "races")
	dirs = append(dirs, race.id)

	t.Run("SameUserNameRace", func(t *testing.T) {
		c.t = t
		// Nine creates of one userName at once, three through each
		// replica: exactly one 201, eight 409 uniqueness (RFC 7644 §3.3).
		for round := range 8 {
			name := fmt.Sprintf("race.%d@example.com", round)
			body := []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + name + `","active":true}`)
			statuses := make([]int, 9)
			bodies := make([]string, 9)
			gate := make(chan struct{})
			var wg sync.WaitGroup
			for i := range 9 {
				wg.Go(func() {
					<-gate
					resp, err := c.do(c.replicas[i%3], "POST", "/scim/v2/"+race.id+"/Users", "Bearer "+race.token, body)
					if err != nil {
						t.Errorf("create %d: %v", i, err)
						return
					}
					statuses[i], bodies[i] = resp.status, string(resp.body)
				})
			}
			close(gate)
			wg.Wait()
			created := 0
			for i, s := range statuses {
				switch {
				case s == 201:
					created++
				case s == 409 && strings.Contains(bodies[i], `"uniqueness"`):
				default:
					t.Errorf("round %d, replica %d: %d %s; want 201 or 409 uniqueness", round, i%3, s, bodies[i])
				}
			}
			if created != 1 {
				t.Errorf("round %d: %d creates of %s answered 201, want exactly 1 (statuses %v)", round, created, name, statuses)
			}
		}
	})

	t.Run("GroupPatchRace", func(t *testing.T) {
		c.t = t
		// Six writers, each through a different replica per request, add
		// and remove members of one group at once. Each owns four users, so
		// the serial model is each user's last operation.
		const writers, owned, rounds = 6, 4, 8
		ids := make([]string, writers*owned)
		for i := range ids {
			resp := c.must(c.pick(), "POST", "/scim/v2/"+race.id+"/Users", "Bearer "+race.token,
				[]byte(fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"member.%d@example.com"}`, i)), 201)
			var u struct{ ID string }
			resp.decode(t, &u)
			ids[i] = u.ID
		}
		var g struct{ ID string }
		c.must(c.pick(), "POST", "/scim/v2/"+race.id+"/Groups", "Bearer "+race.token,
			[]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Contended"}`), 201).decode(t, &g)
		in := make([]bool, len(ids)) // the model; writer w alone touches ids[w*owned:(w+1)*owned]
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 13))
				for round := range rounds {
					var ops []map[string]any
					var add []map[string]string
					for k := w * owned; k < (w+1)*owned; k++ {
						switch rng.IntN(3) {
						case 0:
							add = append(add, map[string]string{"value": ids[k]})
							in[k] = true
						case 1:
							ops = append(ops, map[string]any{"op": "remove", "path": `members[value eq "` + ids[k] + `"]`})
							in[k] = false
						}
					}
					if len(add) > 0 {
						ops = append(ops, map[string]any{"op": "add", "path": "members", "value": add})
					}
					if len(ops) == 0 {
						continue
					}
					r := c.replicas[(w+round)%3]
					resp, err := c.do(r, "PATCH", "/scim/v2/"+race.id+"/Groups/"+g.ID, "Bearer "+race.token,
						map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops})
					if err != nil || (resp.status != 204 && resp.status != 200) {
						t.Errorf("writer %d round %d via replica %d: %v %d %s", w, round, r.n, err, resp.status, resp.body)
						return
					}
				}
			})
		}
		wg.Wait()
		var want []string
		for k, ok := range in {
			if ok {
				want = append(want, ids[k])
			}
		}
		slices.Sort(want)
		for _, r := range c.replicas {
			var doc struct{ Members []struct{ Value string } }
			c.must(r, "GET", "/scim/v2/"+race.id+"/Groups/"+g.ID, "Bearer "+race.token, nil, 200).decode(t, &doc)
			var got []string
			for _, m := range doc.Members {
				got = append(got, m.Value)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("replica %d: group holds %d members %v, the serial model %d %v", r.n, len(got), got, len(want), want)
			}
		}
	})

	t.Run("RevocationEverywhereAtOnce", func(t *testing.T) {
		c.t = t
		var tok struct{ ID, Token string }
		c.must(c.replicas[0], "POST", "/api/v1/directories/"+race.id+"/tokens", "Bearer "+c.key, map[string]any{}, 201).decode(t, &tok)
		// Each replica accepts it (and would have cached it, if it cached).
		for range 2 {
			for _, r := range c.replicas {
				c.must(r, "GET", "/scim/v2/"+race.id+"/Users?count=1", "Bearer "+tok.Token, nil, 200)
			}
		}
		c.must(c.replicas[1], "DELETE", "/api/v1/directories/"+race.id+"/tokens/"+tok.ID, "Bearer "+c.key, nil, 204)
		for _, r := range c.replicas {
			c.must(r, "GET", "/scim/v2/"+race.id+"/Users?count=1", "Bearer "+tok.Token, nil, 401)
			c.must(r, "GET", "/scim/v2/"+race.id+"/Users?count=1", "Bearer "+race.token, nil, 200)
		}
		// So is a directory disabled through one replica, and enabled again.
		c.must(c.replicas[2], "PATCH", "/api/v1/directories/"+race.id, "Bearer "+c.key, map[string]any{"enabled": false}, 200)
		for _, r := range c.replicas {
			if resp, err := c.do(r, "GET", "/scim/v2/"+race.id+"/Users?count=1", "Bearer "+race.token, nil); err != nil || resp.status < 400 {
				t.Errorf("replica %d served a directory disabled through replica 2: %v %d", r.n, err, resp.status)
			}
		}
		c.must(c.replicas[0], "PATCH", "/api/v1/directories/"+race.id, "Bearer "+c.key, map[string]any{"enabled": true}, 200)
		for _, r := range c.replicas {
			c.must(r, "GET", "/scim/v2/"+race.id+"/Users?count=1", "Bearer "+race.token, nil, 200)
		}
	})

	t.Run("PortalSessionAcrossReplicas", func(t *testing.T) {
		c.t = t
		var link struct{ Location string }
		c.must(c.replicas[0], "POST", "/api/v1/organizations/"+orgA.ID+"/portal_links", "Bearer "+c.key, map[string]string{"kind": "embed"}, 201).decode(t, &link)
		u, err := url.Parse(link.Location)
		if err != nil {
			t.Fatal(err)
		}
		// An embed link works once: opened on three replicas at once, one
		// session starts.
		var cookie string
		opened := 0
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, r := range c.replicas {
			wg.Go(func() {
				resp, err := c.do(r, "GET", u.RequestURI(), "", nil)
				if err != nil {
					t.Errorf("replica %d: %v", r.n, err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if resp.status == http.StatusSeeOther {
					opened++
					for _, ck := range (&http.Response{Header: resp.header}).Cookies() {
						if ck.Value != "" {
							cookie = ck.Name + "=" + ck.Value
						}
					}
				} else if resp.status < 400 {
					t.Errorf("replica %d opened a used link: %d", r.n, resp.status)
				}
			})
		}
		wg.Wait()
		if opened != 1 || cookie == "" {
			t.Fatalf("one embed link opened on three replicas at once: %d sessions (cookie set: %v), want 1", opened, cookie != "")
		}
		var csrf string
		for _, r := range c.replicas {
			resp, err := c.do(r, "GET", "/portal/scim", "", nil, "Cookie", cookie)
			if err != nil || resp.status != 200 {
				t.Fatalf("replica %d: the session started elsewhere: %v %d", r.n, err, resp.status)
			}
			if m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(resp.body); m != nil {
				csrf = string(m[1])
			}
		}
		if csrf == "" {
			t.Fatal("no CSRF token on the portal page")
		}
		// Signing out through one replica ends the session on the others.
		c.must(c.replicas[2], "GET", "/portal/scim", "", nil, 401) // no cookie
		resp, err := c.do(c.replicas[1], "POST", "/portal/logout", "", []byte("csrf="+url.QueryEscape(csrf)),
			"Cookie", cookie, "Content-Type", "application/x-www-form-urlencoded")
		if err != nil || resp.status != 303 { // POST → 303 → GET /portal/signed-out
			t.Fatalf("logout via replica 1: %v %d %s", err, resp.status, resp.body)
		}
		for _, r := range c.replicas {
			resp, err := c.do(r, "GET", "/portal/scim", "", nil, "Cookie", cookie)
			if err != nil || resp.status != 401 {
				t.Errorf("replica %d after sign-out elsewhere: %v %d, want 401", r.n, err, resp.status)
			}
		}
	})

	t.Run("FeedGaplessAndReplayed", func(t *testing.T) {
		c.t = t
		events, _ := c.readFeed("")
		for _, p := range gapless(events) {
			t.Error(p)
		}
		got, err := replay(events)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dirs {
			st := got[d]
			if st == nil {
				t.Errorf("directory %s has no events", d)
				continue
			}
			for _, p := range diff(c.current(d), st) {
				t.Errorf("directory %s: %s", d, p)
			}
		}
	})

	t.Run("WebhooksOnceAndInOrder", func(t *testing.T) {
		c.t = t
		c.waitDelivered(t, rc, orgA.ID, hookFrom)
		got, problems := rc.snapshot()
		for _, p := range problems {
			t.Error(p)
		}
		times := map[string]int{}
		last := map[string]int64{}
		for _, d := range got {
			times[d.event.ID]++
			if d.event.OrganizationID == nil || *d.event.OrganizationID != orgA.ID {
				t.Errorf("event %s of another organization delivered", d.event.ID)
			}
			if s := d.event.Sequence; s != nil {
				if *s <= last[d.event.dir()] {
					t.Errorf("directory %s: event sequence %d delivered after %d", d.event.dir(), *s, last[d.event.dir()])
				}
				last[d.event.dir()] = *s
			}
		}
		for id, n := range times {
			if n != 1 {
				t.Errorf("event %s delivered %d times, want once", id, n)
			}
		}
		t.Logf("%d events delivered once each, in order per directory", len(got))
	})

	t.Run("SIGTERMMidTraffic", func(t *testing.T) {
		c.t = t
		// A rolling upgrade stops replicas with SIGTERM while writes and
		// webhook deliveries flow. The replica drains and exits 0; what
		// it acknowledged is there; the deliveries it had claimed are
		// released, so the others send them at once, not after its
		// 2-minute lease.
		var (
			mu      sync.Mutex
			acked   []string
			n       atomic.Int64
			stopped = make(chan struct{})
		)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stopped:
						if n.Load() >= 70 {
							return
						}
					default:
					}
					r := c.pick()
					resp, err := c.do(r, "POST", "/scim/v2/"+race.id+"/Users", "Bearer "+race.token,
						[]byte(fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"term.%d.%d@example.com"}`, w, i)))
					if err != nil {
						if !r.killing.Load() {
							t.Errorf("replica %d (running): %v", r.n, err)
							return
						}
						continue // refused by the stopping replica: not acknowledged
					}
					var u struct{ ID string }
					if resp.status != 201 || json.Unmarshal(resp.body, &u) != nil {
						t.Errorf("replica %d: %d %s", r.n, resp.status, resp.body)
						return
					}
					mu.Lock()
					acked = append(acked, u.ID)
					mu.Unlock()
					n.Add(1)
				}
			})
		}
		for n.Load() < 30 && !t.Failed() {
			time.Sleep(5 * time.Millisecond) // polling a counter, not synchronising
		}
		c.stop(1, syscall.SIGTERM)
		close(stopped)
		wg.Wait()
		if st := c.replicas[1].cmd.ProcessState; st == nil || !st.Success() {
			t.Errorf("replica 1 after SIGTERM: %v, want exit status 0; its log:\n%s", st, c.replicas[1].log.String())
		}
		for i, id := range acked {
			c.must(c.replicas[[]int{0, 2}[i%2]], "GET", "/scim/v2/"+race.id+"/Users/"+id, "Bearer "+race.token, nil, 200)
		}
		c.waitDelivered(t, rc, orgA.ID, hookFrom)
		c.restart(1)
	})

	t.Run("SIGKILLMidTraffic", func(t *testing.T) {
		c.t = t
		b := c.newDirectory("", "custom", "kill")
		type ack struct{ id, name string }
		var (
			mu         sync.Mutex
			acked      []ack
			unanswered atomic.Int64
			n          atomic.Int64
			killed     = make(chan struct{})
		)
		const before, after = 60, 90
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-killed:
						if n.Load() >= before+after {
							return
						}
					default:
					}
					name := fmt.Sprintf("kill.%d.%d@example.com", w, i)
					// Half the writers keep the doomed replica busy, so that
					// the kill lands on requests in flight.
					r := c.pick()
					if w%2 == 0 && !c.replicas[2].killing.Load() {
						r = c.replicas[2]
					}
					resp, err := c.do(r, "POST", "/scim/v2/"+b.id+"/Users", "Bearer "+b.token,
						[]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`"}`))
					if err != nil {
						if !r.killing.Load() {
							t.Errorf("replica %d (alive): %v", r.n, err)
							return
						}
						unanswered.Add(1)
						continue
					}
					if resp.status != 201 {
						t.Errorf("replica %d: create %s: %d %s", r.n, name, resp.status, resp.body)
						return
					}
					var u struct{ ID string }
					if err := json.Unmarshal(resp.body, &u); err != nil || u.ID == "" {
						t.Errorf("replica %d: create %s: no id in %s", r.n, name, resp.body)
						return
					}
					mu.Lock()
					acked = append(acked, ack{u.ID, name})
					mu.Unlock()
					n.Add(1)
				}
			})
		}
		for n.Load() < before && !t.Failed() {
			time.Sleep(5 * time.Millisecond) // polling a counter, not synchronising
		}
		c.kill(2)
		close(killed)
		wg.Wait()
		t.Logf("%d creates acknowledged (%d before the kill), %d cut off by it", len(acked), before, unanswered.Load())
		// Every acknowledged create is there, through both survivors.
		for i, a := range acked {
			var u struct{ UserName string }
			c.must(c.replicas[i%2], "GET", "/scim/v2/"+b.id+"/Users/"+a.id, "Bearer "+b.token, nil, 200).decode(t, &u)
			if u.UserName != a.name {
				t.Errorf("user %s: userName %q, want %q", a.id, u.UserName, a.name)
			}
		}
		// … with its event, in a gapless feed that replays to the state.
		events, _ := c.readFeed("")
		for _, p := range gapless(events) {
			t.Error(p)
		}
		created := map[string]int{}
		for _, e := range events {
			if e.dir() == b.id && e.Type == "organization.directory.user_created" {
				var d struct{ ID string }
				json.Unmarshal(e.Data, &d)
				created[d.ID]++
			}
		}
		for _, a := range acked {
			if created[a.id] != 1 {
				t.Errorf("acknowledged user %s has %d user_created events, want 1", a.id, created[a.id])
			}
		}
		got, err := replay(events)
		if err != nil {
			t.Fatal(err)
		}
		if st := got[b.id]; st == nil {
			t.Error("the killed-replica directory has no events")
		} else {
			for _, p := range diff(c.current(b.id), st) {
				t.Errorf("after the kill: %s", p)
			}
		}
		// The survivors carry on: ready, and delivering organization A's
		// webhooks.
		for _, r := range c.replicas[:2] {
			c.must(r, "GET", "/readyz", "", nil, 200)
		}
		c.must(c.replicas[0], "POST", "/scim/v2/"+race.id+"/Users", "Bearer "+race.token,
			[]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"after.kill@example.com"}`), 201)
		c.waitDelivered(t, rc, orgA.ID, hookFrom)
	})
	t.Run("OlderReplicaOnNewerSchema", func(t *testing.T) {
		c.t = t
		// A rolling upgrade: a newer binary has migrated the schema while
		// this (older) one was down. Restarted, it runs on, warns, and is
		// ready; it serves writes.
		db, err := sql.Open("pgx", c.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var latest int
		if err := db.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&latest); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, 'from_a_newer_release', 'x', 0)`, latest+1); err != nil {
			t.Fatal(err)
		}
		c.restart(2)
		if log := c.replicas[2].log.String(); !strings.Contains(log, "database schema is newer than this binary") {
			t.Errorf("the older replica did not warn about the newer schema; its log:\n%s", log)
		}
		c.must(c.replicas[2], "POST", "/scim/v2/"+race.id+"/Users", "Bearer "+race.token,
			[]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"older.binary@example.com"}`), 201)
		events, _ := c.readFeed("")
		for _, p := range gapless(events) {
			t.Error(p)
		}
		// A newer release's breaking migration (NNNN_name.breaking.sql)
		// takes the older replicas out of the load balancer at once.
		if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, 'contract.breaking', 'x', 0)`, latest+2); err != nil {
			t.Fatal(err)
		}
		for _, r := range c.replicas {
			c.must(r, "GET", "/readyz", "", nil, 503)
		}
		if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version > $1`, latest); err != nil {
			t.Fatal(err)
		}
		for _, r := range c.replicas {
			c.must(r, "GET", "/readyz", "", nil, 200)
		}
	})

	// Nothing went wrong inside the replicas that the answers hid.
	for _, r := range c.replicas {
		for _, line := range strings.Split(r.log.String(), "\n") {
			if strings.Contains(line, "level=ERROR") || strings.Contains(line, "panic") {
				t.Errorf("replica %d logged: %s", r.n, line)
			}
		}
	}
	t.Logf("whole test: %v", time.Since(start).Round(time.Millisecond))
}

// withT returns c reporting to t.
func (c *cluster) withT(t *testing.T) *cluster { c.t = t; return c }

// waitDelivered waits (up to 20 s) until every event of org in the feed
// after from has reached the receiver.
func (c *cluster) waitDelivered(t *testing.T, rc *receiver, org, from string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		events, _ := c.readFeed(from)
		got, _ := rc.snapshot()
		have := map[string]bool{}
		for _, d := range got {
			have[d.event.ID] = true
		}
		var missing []string
		for _, e := range events {
			if e.OrganizationID != nil && *e.OrganizationID == org && !have[e.ID] {
				missing = append(missing, e.ID)
			}
		}
		if len(missing) == 0 {
			return
		}
		select {
		case <-rc.arrived:
		case <-time.After(time.Second):
		case <-deadline:
			t.Fatalf("%d of organization %s's events not delivered after 20 s, e.g. %v", len(missing), org, missing[:min(5, len(missing))])
		}
	}
}
