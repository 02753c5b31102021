package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The "roles" scenario measures issue 4's acceptance end to end over HTTP:
// with 50,000 users and 200 groups provisioned over SCIM, how long a
// 100-user page of GET /api/v1/directories/{dir}/users takes, and what
// concurrent SCIM GETs see while role mapping changes affecting every user
// are applied. docs/performance.md, "Roles at 50,000 users".

type rolesConfig struct {
	users, groups, clients int
	bin, database          string
	requestLog             bool
}

// timed is one request's latency and when it started.
type timed struct {
	at time.Time
	d  time.Duration
}

func runRoles(c rolesConfig) error {
	b, stop, err := startServer(c.bin, c.database, c.requestLog)
	if err != nil {
		return err
	}
	defer stop()

	// 1. Users over SCIM from concurrent clients.
	start := time.Now()
	ids, err := b.createUsers(c.users, c.clients)
	if err != nil {
		return err
	}
	fmt.Printf("create users: %d users, %d clients, %.1fs\n", c.users, c.clients, time.Since(start).Seconds())
	r := &rolesRun{b: b, c: c, ids: ids}
	for _, step := range []func() error{r.groups, r.mappings, r.pages, r.reads, r.check} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// rolesRun is one run of the roles benchmark, step by step.
type rolesRun struct {
	b        *bench
	c        rolesConfig
	ids      []string // the users
	everyone string   // the group holding every user
	others   []string // the groups splitting the users between them
	base     []mappingJSON
	changing int // users whose role the Everyone mapping changes
}

// withEveryone is the baseline mappings plus Everyone → role (none if "").
func (r *rolesRun) withEveryone(role string) []mappingJSON {
	if role == "" {
		return r.base
	}
	return append(append([]mappingJSON{}, r.base...), mappingJSON{GroupID: r.everyone, Role: role, Priority: 100})
}

func (r *rolesRun) groups() error {
	b, c, ids := r.b, r.c, r.ids
	// 2. Groups: "Everyone" holds every user; the other groups split the
	// users between them (user i is in group i mod (groups-1)).
	start := time.Now()
	everyone, err := b.createGroup("Everyone")
	if err != nil {
		return err
	}
	others := make([]string, c.groups-1)
	for g := range others {
		if others[g], err = b.createGroup(fmt.Sprintf("Team %03d", g)); err != nil {
			return err
		}
	}
	// Member batches of at most 1,000: Everyone in 50 PATCHes, each other
	// group (about 250 members) in one. Sent from c.clients clients.
	type batch struct {
		group string
		ids   []string
	}
	var batches []batch
	for i := 0; i < len(ids); i += 1000 {
		batches = append(batches, batch{everyone, ids[i:min(i+1000, len(ids))]})
	}
	for g, gid := range others {
		var m []string
		for i := g; i < len(ids); i += len(others) {
			m = append(m, ids[i])
		}
		for i := 0; i < len(m); i += 1000 {
			batches = append(batches, batch{gid, m[i:min(i+1000, len(m))]})
		}
	}
	if err := parallel(len(batches), c.clients, func(i int) error { return b.addMembers(batches[i].group, batches[i].ids) }); err != nil {
		return err
	}
	fmt.Printf("groups: %d groups (Everyone: %d members, %d others: ~%d each), %d PATCHes of ≤1000 members, %.1fs\n",
		c.groups, len(ids), len(others), len(ids)/len(others), len(batches), time.Since(start).Seconds())

	r.everyone, r.others = everyone, others
	return nil
}

func (r *rolesRun) mappings() error {
	b, c, others := r.b, r.c, r.others
	// Baseline mappings: every other group maps to "member" at priority 1;
	// the measured changes add, flip and remove Everyone at priority 100.
	base := make([]mappingJSON, 0, c.groups)
	for _, g := range others {
		base = append(base, mappingJSON{GroupID: g, Role: "member", Priority: 1})
	}
	r.base = base
	withEveryone := r.withEveryone
	if _, err := b.putMappings(withEveryone("")); err != nil {
		return err
	}
	// The change must really affect every user: preview it once.
	var preview struct {
		UsersChangingRole int `json:"users_changing_role"`
	}
	if err := b.mgmtJSON("POST", "/api/v1/directories/"+b.dir+"/role_mappings/preview", mustJSON(map[string]any{"mappings": withEveryone("admin")}), 200, &preview); err != nil {
		return err
	}
	fmt.Printf("mappings: %d groups -> member; preview of Everyone -> admin (priority 100): %d users would change role\n", len(base), preview.UsersChangingRole)

	r.changing = preview.UsersChangingRole
	return nil
}

func (r *rolesRun) pages() error {
	b, ids := r.b, r.ids
	// 3. Management API: first page, then every page by page_token.
	path := "/api/v1/directories/" + b.dir + "/users?page_size=100"
	var first []time.Duration
	for i := 0; i < 200; i++ {
		t := time.Now()
		var page usersPage
		if err := b.mgmtJSON("GET", path, nil, 200, &page); err != nil {
			return err
		}
		first = append(first, time.Since(t))
		if len(page.Data) != 100 || page.Data[0].Role == "" {
			return fmt.Errorf("first page: %d users, role %q", len(page.Data), page.Data[0].Role)
		}
	}
	report("GET /api/v1/.../users?page_size=100 page 1", first)
	var deep, deep50 []time.Duration
	seen, token := 0, ""
	for pageNo := 1; ; pageNo++ {
		p := path
		if token != "" {
			p += "&page_token=" + url.QueryEscape(token)
		}
		t := time.Now()
		var page usersPage
		if err := b.mgmtJSON("GET", p, nil, 200, &page); err != nil {
			return err
		}
		d := time.Since(t)
		if pageNo > 1 {
			deep = append(deep, d)
			if pageNo <= 51 {
				deep50 = append(deep50, d)
			}
		}
		seen += len(page.Data)
		if page.Next == nil {
			break
		}
		token = *page.Next
	}
	if seen != len(ids) {
		return fmt.Errorf("walking pages: saw %d users, want %d", seen, len(ids))
	}
	report("  pages 2-51 by page_token", deep50)
	report(fmt.Sprintf("  pages 2-%d (all %d users)", len(deep)+1, seen), deep)

	return nil
}

func (r *rolesRun) reads() error {
	b, c, ids, base, withEveryone := r.b, r.c, r.ids, r.base, r.withEveryone
	// 4. SCIM GETs from c.clients clients: a control window, then a window
	// during which the Everyone mapping is set to member, to admin and
	// removed, 10 times over.
	const rounds = 10
	control, err := b.readWindow(ids, c.clients, func() error { time.Sleep(10 * time.Second); return nil })
	if err != nil {
		return err
	}
	reportReads("SCIM GETs, control (no mapping change, 10 s)", control)

	var puts []time.Duration
	var putCPU time.Duration
	var putFrom, putTo time.Time
	during, err := b.readWindow(ids, c.clients, func() error {
		time.Sleep(time.Second) // readers warm
		cpu0 := b.cpu()
		putFrom = time.Now()
		for r := 0; r < rounds; r++ {
			for _, role := range []string{"member", "admin", ""} {
				d, err := b.putMappings(withEveryone(role))
				if err != nil {
					return err
				}
				puts = append(puts, d)
			}
		}
		putTo = time.Now()
		putCPU = b.cpu() - cpu0
		time.Sleep(time.Second) // tail after the last change
		return nil
	})
	if err != nil {
		return err
	}
	sortDur(puts)
	fmt.Printf("PUT role_mappings (%d mappings, %d users change): n=%d back to back over %.2fs, median %.1f ms  p90 %.1f ms  max %.1f ms; server CPU meanwhile (PUTs and reads): %.2fs\n",
		len(base)+1, r.changing, len(puts), putTo.Sub(putFrom).Seconds(), ms(quant(puts, .5)), ms(quant(puts, .9)), ms(puts[len(puts)-1]), putCPU.Seconds())
	var inside []timed
	for _, r := range during {
		if !r.at.Before(putFrom) && r.at.Before(putTo) {
			inside = append(inside, r)
		}
	}
	reportReads("SCIM GETs started while PUTs ran", inside)
	reportReads("SCIM GETs, whole window (1 s before/after)", during)

	return nil
}

func (r *rolesRun) check() error {
	b, ids := r.b, r.ids
	// After the last round Everyone is unmapped: check one user's role.
	var u struct {
		Role  string   `json:"role"`
		Roles []string `json:"roles"`
	}
	if err := b.mgmtJSON("GET", "/api/v1/directories/"+b.dir+"/users/"+ids[0], nil, 200, &u); err != nil {
		return err
	}
	fmt.Printf("check: user %s role %q roles %v\n", ids[0], u.Role, u.Roles)
	fmt.Printf("server memory: %s\n", b.memory())
	return nil
}

type mappingJSON struct {
	GroupID  string `json:"group_id"`
	Role     string `json:"role"`
	Priority int    `json:"priority"`
}

type usersPage struct {
	Data []struct {
		ID   string `json:"id"`
		Role string `json:"role"`
	} `json:"data"`
	Next *string `json:"next_page_token"`
}

// readWindow runs clients readers, each alternating GET /Users/{random id}
// and GET /Users?filter=userName eq "…" of a random user, for as long as
// during runs, and returns every read's latency.
func (b *bench) readWindow(ids []string, clients int, during func() error) ([]timed, error) {
	var stopFlag atomic.Bool
	var wg sync.WaitGroup
	res := make([][]timed, clients)
	errs := make([]error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stopFlag.Load(); i++ {
				n := rand.IntN(len(ids))
				p := "/Users/" + ids[n]
				if i%2 == 1 {
					p = "/Users?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq "User.%07d@Example.com"`, n))
				}
				t := time.Now()
				status, resp, err := b.do("GET", "/scim/v2/"+b.dir+p, nil, b.token)
				d := time.Since(t)
				if err == nil && status != 200 {
					err = fmt.Errorf("GET %s: %d %s", p, status, resp)
				}
				if err != nil {
					errs[c] = err
					return
				}
				res[c] = append(res[c], timed{t, d})
			}
		}()
	}
	err := during()
	stopFlag.Store(true)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	var all []timed
	for c := range res {
		if errs[c] != nil {
			return nil, errs[c]
		}
		all = append(all, res[c]...)
	}
	return all, nil
}

func reportReads(name string, rs []timed) {
	if len(rs) == 0 {
		fmt.Printf("%s: no reads\n", name)
		return
	}
	ds := make([]time.Duration, len(rs))
	from, to := rs[0].at, rs[0].at
	for i, r := range rs {
		ds[i] = r.d
		if r.at.Before(from) {
			from = r.at
		}
		if r.at.After(to) {
			to = r.at
		}
	}
	sortDur(ds)
	fmt.Printf("%-45s n=%d over %.1fs (%.0f/s)  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.1f ms (client round trip)\n",
		name+":", len(ds), to.Sub(from).Seconds(), float64(len(ds))/to.Sub(from).Seconds(),
		ms(quant(ds, .5)), ms(quant(ds, .9)), ms(quant(ds, .99)), ms(ds[len(ds)-1]))
}

func sortDur(ds []time.Duration) { sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] }) }

func quant(sorted []time.Duration, p float64) time.Duration {
	return sorted[int(p*float64(len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// createUsers creates n users over SCIM from clients concurrent clients and
// returns their ids in order.
func (b *bench) createUsers(n, clients int) ([]string, error) {
	ids := make([]string, n)
	err := parallel(n, clients, func(i int) error {
		id, err := b.createUser(i)
		ids[i] = id
		return err
	})
	return ids, err
}

// parallel runs f(0..n-1) from clients goroutines and returns the first error.
func parallel(n, clients int, f func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// putMappings replaces the directory's role mappings and returns how long
// the PUT took.
func (b *bench) putMappings(ms []mappingJSON) (time.Duration, error) {
	t := time.Now()
	var out struct {
		Mappings []mappingJSON `json:"mappings"`
	}
	if err := b.mgmtJSON("PUT", "/api/v1/directories/"+b.dir+"/role_mappings", mustJSON(map[string]any{"mappings": ms}), 200, &out); err != nil {
		return 0, err
	}
	d := time.Since(t)
	if len(out.Mappings) != len(ms) {
		return 0, fmt.Errorf("PUT role_mappings: stored %d mappings, sent %d", len(out.Mappings), len(ms))
	}
	return d, nil
}

// mgmtJSON calls the management API and decodes its answer into out.
func (b *bench) mgmtJSON(method, path string, body []byte, want int, out any) error {
	status, resp, err := b.do(method, path, body, b.key)
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("%s %s: %d %s", method, path, status, strings.TrimSpace(string(resp)))
	}
	return json.Unmarshal(resp, out)
}

func mustJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scimbridge-bench:", err)
		os.Exit(1)
	}
	return raw
}
