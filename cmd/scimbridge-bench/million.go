package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The "million" scenario (issue 13): one directory of -users users (1,000,000
// for the targets, 100,000 for the ratio) and -users/100 groups, one
// of which holds -users/5 members, all provisioned over SCIM by concurrent
// clients through a real `scimbridge serve`; then the requests that must
// not slow down as the directory grows, the server's memory during the
// load and at rest, the database's size per user, and the time the server
// takes to start (and migrate) on the loaded database.
//
//	go run ./cmd/scimbridge-bench -scenario million -users 1000000 -clients 16
//	go run ./cmd/scimbridge-bench -scenario million -users 1000000 -database 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//
// On PostgreSQL the run works in a new schema of the given database, and
// drops it at the end. docs/performance.md, "A million users".

type millionConfig struct {
	users, clients, samples int
	bin, database           string
	restartBin              string // the binary to restart with; "" for bin
	from                    string // a SQLite database to copy into PostgreSQL instead of loading (copyload.go)
	requestLog              bool
	serverArgs              []string
}

// millionRun is one run of the scenario.
type millionRun struct {
	c      millionConfig
	b      *bench
	cmd    *exec.Cmd
	bin    string
	tmp    string
	dsn    string // PostgreSQL: the database URL with the run's schema
	schema string
	ids    []string
	big    string   // the group of users/5 members
	small  []string // the other groups
}

func runMillion(c millionConfig) (err error) {
	r := &millionRun{c: c}
	if r.tmp, err = os.MkdirTemp("", "scimbridge-million-"); err != nil {
		return err
	}
	defer os.RemoveAll(r.tmp)
	r.bin = c.bin
	if r.bin == "" {
		r.bin = filepath.Join(r.tmp, "scimbridge")
		build := exec.Command("go", "build", "-o", r.bin, "./cmd/scimbridge")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building scimbridge: %w", err)
		}
	}
	if c.database != "" {
		drop, err := r.newSchema()
		if err != nil {
			return err
		}
		defer drop()
	}
	key := "bench-" + randHex(16) + randHex(16)
	if err := r.start(key); err != nil {
		return err
	}
	defer func() { r.stop() }()
	load, err := r.uptime()
	if err != nil {
		return err
	}
	if c.from != "" {
		fmt.Printf("million: copying %s, database %s, load average %s\n", c.from, map[bool]string{true: "postgres (schema " + r.schema + ")", false: "sqlite (synchronous=FULL)"}[r.dsn != ""], load)
	} else {
		fmt.Printf("million: %d users, %d groups (one of %d members), %d clients, database %s, load average %s\n",
			c.users, c.users/100, c.users/5, c.clients, map[bool]string{true: "postgres (schema " + r.schema + ")", false: "sqlite (synchronous=FULL)"}[c.database != ""], load)
	}

	peak := 0
	if c.from != "" {
		// Copy a directory loaded over SCIM on SQLite (copyload.go),
		// with the server stopped, then start it on the copy.
		r.stop()
		start := time.Now()
		if r.dsn == "" {
			// SQLite: the snapshot becomes the server's database.
			if err := copyFile(c.from, filepath.Join(r.tmp, "data", "scimbridge.db")); err != nil {
				return err
			}
			for _, ext := range []string{"-wal", "-shm"} {
				os.Remove(filepath.Join(r.tmp, "data", "scimbridge.db"+ext))
			}
		} else if err := copyFrom(context.Background(), c.from, r.dsn, r.schema); err != nil {
			return err
		}
		fmt.Printf("copied %s into %s: %.1fs\n", c.from, map[bool]string{true: "schema " + r.schema, false: "the data directory"}[r.dsn != ""], time.Since(start).Seconds())
		start = time.Now()
		if err := r.start(key); err != nil {
			return err
		}
		fmt.Printf("start on the loaded database: ready after %.2f s (process start to /readyz 200, migrations included); RSS %.1f MB\n",
			time.Since(start).Seconds(), float64(r.b.rssKiB())/1024)
		if err := r.attach(context.Background()); err != nil {
			return err
		}
		c.users = len(r.ids)
		r.c.users = c.users
	} else {
		if err := r.b.setup(key); err != nil {
			return err
		}
		// Load: users, groups, memberships, role mappings, all over SCIM
		// and the management API, sampling the server's RSS as it goes.
		if peak, err = r.b.watchRSS(r.load); err != nil {
			return err
		}
	}
	size, err := r.size()
	if err != nil {
		return err
	}
	if c.from == "" {
		fmt.Printf("after load: peak RSS during load %.1f MB, ", float64(peak)/1024)
	} else {
		fmt.Printf("after copying %d users, %d groups: ", len(r.ids), len(r.small)+1)
	}
	fmt.Printf("RSS now %.1f MB; database %s (%.0f bytes per user); load average %s\n",
		float64(r.b.rssKiB())/1024, mb(size), float64(size)/float64(c.users), must(r.uptime()))

	for _, step := range []func() error{r.reads, r.deepList, r.membership, r.api, r.portal, r.events, r.roleChange} {
		if err := step(); err != nil {
			return err
		}
	}
	// At rest: no request for a while. Idle SQLite connections close once
	// idle a minute, but database/sql looks for them only once a minute,
	// so one may live up to two; the runtime returns freed memory to the
	// OS in the background.
	fmt.Printf("right after the measurements: RSS %.1f MB\n", float64(r.b.rssKiB())/1024)
	time.Sleep(75 * time.Second)
	fmt.Printf("after 75 s idle: RSS %.1f MB\n", float64(r.b.rssKiB())/1024)
	time.Sleep(55 * time.Second)
	fmt.Printf("at rest (130 s idle after the measurements): RSS %.1f MB; %s\n", float64(r.b.rssKiB())/1024, r.b.memory())

	// Restart on the loaded database: start-up and migration time (with
	// -restart-bin, a newer binary whose migrations run on the data the
	// first one loaded).
	r.stop()
	if c.restartBin != "" {
		if _, err := os.Stat(c.restartBin); err == nil {
			r.bin = c.restartBin
		} else {
			fmt.Printf("restart: %v; restarting with %s\n", err, r.bin)
		}
	}
	t := time.Now()
	if err := r.start(key); err != nil {
		return err
	}
	fmt.Printf("restart on the loaded database (%s): ready after %.2f s (process start to /readyz 200, migrations included); RSS %.1f MB\n",
		r.bin, time.Since(t).Seconds(), float64(r.b.rssKiB())/1024)
	steps := []func() error{r.reads}
	if c.restartBin != "" {
		// A newer binary: measure everything again with it.
		steps = append(steps, r.deepList, r.membership, r.api, r.portal, r.events)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	fmt.Printf("after restart and measurements: RSS %.1f MB (peak %s); load average %s\n", float64(r.b.rssKiB())/1024, r.b.memory(), must(r.uptime()))
	return nil
}

func must[T any](v T, err error) T {
	if err != nil {
		fmt.Fprintln(os.Stderr, "scimbridge-bench:", err)
	}
	return v
}

// newSchema creates the run's PostgreSQL schema and returns its drop.
func (r *millionRun) newSchema() (func(), error) {
	admin, err := sql.Open("pgx", r.c.database)
	if err != nil {
		return nil, err
	}
	r.schema = fmt.Sprintf("million_%d_%d", r.c.users, time.Now().Unix())
	if r.c.from != "" {
		r.schema = fmt.Sprintf("million_copy_%d", time.Now().Unix())
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + r.schema); err != nil {
		admin.Close()
		return nil, err
	}
	if r.dsn, err = withSearchPath(r.c.database, r.schema); err != nil {
		admin.Close()
		return nil, err
	}
	return func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + r.schema + ` CASCADE`); err != nil {
			fmt.Fprintln(os.Stderr, "scimbridge-bench: dropping schema:", err)
		}
		admin.Close()
	}, nil
}

// start starts `scimbridge serve` on the run's data directory or schema
// and waits until it is ready. The bench keeps its directory and token
// across restarts.
func (r *millionRun) start(key string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(r.bin, "serve", "--addr", addr, "--data-dir", filepath.Join(r.tmp, "data"), "--log-level", "warn",
		"--request-log="+strconv.FormatBool(r.c.requestLog))
	cmd.Args = append(cmd.Args, r.c.serverArgs...)
	cmd.Env = append(os.Environ(), "SCIMBRIDGE_API_KEY="+key)
	if r.dsn != "" {
		cmd.Env = append(cmd.Env, "SCIMBRIDGE_DATABASE="+r.dsn)
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	r.cmd = cmd
	nb := &bench{base: "http://" + addr, pid: cmd.Process.Pid, key: key, dataDir: filepath.Join(r.tmp, "data"), database: r.dsn,
		client: &http.Client{Timeout: 120 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	if r.b != nil {
		nb.dir, nb.org, nb.token = r.b.dir, r.b.org, r.b.token
	}
	r.b = nb
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(nb.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("server did not become ready in 10 minutes")
}

func (r *millionRun) stop() {
	if r.cmd != nil {
		r.cmd.Process.Signal(os.Interrupt)
		r.cmd.Wait()
		r.cmd = nil
	}
}

func (r *millionRun) uptime() (string, error) {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "", err
	}
	f := strings.Fields(string(raw))
	return strings.Join(f[:3], " "), nil
}

// size is the database's size: the SQLite files, or the run's schema's
// tables with their indexes and TOAST.
func (r *millionRun) size() (int64, error) {
	if r.dsn == "" {
		return r.b.dbSize()
	}
	db, err := sql.Open("pgx", r.dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRow(`SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'r'`, r.schema).Scan(&n)
	return n, err
}

// load provisions the directory: users from concurrent clients, then the
// groups, then their members in PATCHes of at most 1,000, then role
// mappings (the big group → member, 100 small groups → admin).
func (r *millionRun) load() error {
	b, c := r.b, r.c
	ids, err := b.createUsersMeasured(c.users, c.clients)
	if err != nil {
		return err
	}
	r.ids = ids
	fmt.Printf("  RSS after users: %s; load average %s\n", b.memory(), must(r.uptime()))

	nGroups := max(c.users/100, 2)
	start := time.Now()
	groups := make([]string, nGroups)
	if err := parallel(nGroups, c.clients, func(i int) error {
		name := fmt.Sprintf("Team %05d", i)
		if i == 0 {
			name = "Big"
		}
		var err error
		groups[i], err = b.createGroup(name)
		return err
	}); err != nil {
		return err
	}
	r.big, r.small = groups[0], groups[1:]
	fmt.Printf("create groups: %d groups, %.1fs; %s\n", nGroups, time.Since(start).Seconds(), b.memory())

	// Role mappings before the members, as an admin sets them up: the big
	// group → member (the default role is admin), 100 small groups →
	// admin at a higher priority. Each membership PATCH then writes its
	// users' role changes. (A mapping change for the 200,000 members at
	// once is measured on its own, roleChange.)
	if _, err := b.putMappings(r.mappings("member")); err != nil {
		return err
	}

	// The big group: the first users/5 users. The small groups: user i is
	// in small group i mod (groups-1), so every user is in one.
	type batch struct {
		group string
		ids   []string
	}
	var bigBatches, smallBatches []batch
	nBig := c.users / 5
	for i := 0; i < nBig; i += 1000 {
		bigBatches = append(bigBatches, batch{r.big, ids[i:min(i+1000, nBig)]})
	}
	for g, gid := range r.small {
		var m []string
		for i := g; i < len(ids); i += len(r.small) {
			m = append(m, ids[i])
		}
		for i := 0; i < len(m); i += 1000 {
			smallBatches = append(smallBatches, batch{gid, m[i:min(i+1000, len(m))]})
		}
	}
	for _, part := range []struct {
		name    string
		batches []batch
		members int
	}{{fmt.Sprintf("big group (%d members)", nBig), bigBatches, nBig}, {fmt.Sprintf("%d small groups", len(r.small)), smallBatches, len(ids)}} {
		start := time.Now()
		cpu0 := b.cpu()
		if err := parallel(len(part.batches), c.clients, func(i int) error { return b.addMembers(part.batches[i].group, part.batches[i].ids) }); err != nil {
			return err
		}
		el := time.Since(start)
		fmt.Printf("fill %s: %d PATCHes of at most 1,000 members, %.1fs, %.0f memberships/s; server CPU %.1f µs per membership; %s\n",
			part.name, len(part.batches), el.Seconds(), float64(part.members)/el.Seconds(), (b.cpu()-cpu0).Seconds()*1e6/float64(part.members), b.memory())
	}

	return nil
}

// mappings are the load's role mappings, the big group mapped to role.
func (r *millionRun) mappings(role string) []mappingJSON {
	maps := []mappingJSON{{GroupID: r.big, Role: role, Priority: 1}}
	for _, g := range r.small[:min(100, len(r.small))] {
		maps = append(maps, mappingJSON{GroupID: g, Role: "admin", Priority: 10})
	}
	return maps
}

// roleChange maps the big group to admin and back to member: each PUT
// changes the role of its users/5 members (one event each), in one
// transaction. It reports the time and the server's peak RSS meanwhile.
func (r *millionRun) roleChange() error {
	// One transaction writes an event per member: minutes on a loaded
	// machine, so the client waits up to 30 minutes.
	saved := r.b.client
	r.b.client = &http.Client{Timeout: 30 * time.Minute}
	defer func() { r.b.client = saved }()
	for _, role := range []string{"admin", "member"} {
		var d time.Duration
		start := time.Now()
		peak, err := r.b.watchRSS(func() error {
			var err error
			d, err = r.b.putMappings(r.mappings(role))
			return err
		})
		if err != nil {
			// Reported, not fatal: past --write-timeout (60 s by
			// default) the answer cannot be sent, though the change
			// may have committed.
			fmt.Printf("PUT role_mappings, the %d-member group → %s: failed after %.1f s: %v; peak RSS meanwhile %.1f MB, after %.1f MB\n",
				len(r.ids)/5, role, time.Since(start).Seconds(), err, float64(peak)/1024, float64(r.b.rssKiB())/1024)
			continue
		}
		fmt.Printf("PUT role_mappings, the %d-member group → %s: %.2f s; peak RSS meanwhile %.1f MB, after %.1f MB\n",
			len(r.ids)/5, role, d.Seconds(), float64(peak)/1024, float64(r.b.rssKiB())/1024)
	}
	return nil
}

// timedSample runs n requests one after another and reports their round
// trips and the server's mean time for them (from its own request duration
// histogram, scraped before and after).
func (r *millionRun) timedSample(name, surface string, n int, do func(i int) error) error {
	s0, c0, err := r.serverTime(surface)
	if err != nil {
		return err
	}
	lat := make([]time.Duration, 0, n)
	cpu0 := r.b.cpu()
	for i := 0; i < n; i++ {
		t := time.Now()
		if err := do(i); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		lat = append(lat, time.Since(t))
	}
	cpu := r.b.cpu() - cpu0
	s1, c1, err := r.serverTime(surface)
	if err != nil {
		return err
	}
	sortDur(lat)
	fmt.Printf("%-52s n=%-5d median %7.2f ms  p90 %7.2f ms  p99 %7.2f ms round trip; server mean %.2f ms, CPU %.2f ms per request\n",
		name+":", n, ms(quant(lat, .5)), ms(quant(lat, .9)), ms(quant(lat, .99)), (s1-s0)*1000/max(c1-c0, 1), cpu.Seconds()*1000/float64(n))
	return nil
}

// serverTime sums the server's request duration histogram (seconds, and
// requests) over one surface's routes.
func (r *millionRun) serverTime(surface string) (sum, count float64, err error) {
	status, body, err := r.b.do("GET", "/metrics", nil, r.b.key)
	if err != nil {
		return 0, 0, err
	}
	if status != 200 {
		return 0, 0, fmt.Errorf("GET /metrics: %d", status)
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, rest, ok := strings.Cut(line, "{")
		if !ok || !strings.Contains(rest, `surface="`+surface+`"`) {
			continue
		}
		f := strings.Fields(rest)
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		switch name {
		case "scimbridge_http_request_duration_seconds_sum":
			sum += v
		case "scimbridge_http_request_duration_seconds_count":
			count += v
		}
	}
	return sum, count, sc.Err()
}

func (r *millionRun) scim(method, path string, body []byte, want int) error {
	status, resp, err := r.b.do(method, "/scim/v2/"+r.b.dir+path, body, r.b.token)
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("%s %s: %d %.300s", method, path, status, resp)
	}
	return nil
}

func (r *millionRun) reads() error {
	n := len(r.ids)
	if err := r.timedSample(`GET /Users?filter=userName eq "…"`, "scim", r.c.samples, func(i int) error {
		k := rand.IntN(n)
		q := url.QueryEscape(fmt.Sprintf(`userName eq "User.%07d@Example.com"`, k))
		status, resp, err := r.b.do("GET", "/scim/v2/"+r.b.dir+"/Users?filter="+q, nil, r.b.token)
		if err == nil && (status != 200 || !bytes.Contains(resp, []byte(`"totalResults":1`))) {
			err = fmt.Errorf("filter %d: %d %.300s", k, status, resp)
		}
		return err
	}); err != nil {
		return err
	}
	return r.timedSample("GET /Users/{id}", "scim", r.c.samples, func(i int) error {
		return r.scim("GET", "/Users/"+r.ids[rand.IntN(n)], nil, 200)
	})
}

// deepList is a 100-user SCIM list page at a random startIndex in the
// last half of the directory (RFC 7644 §3.4.2.4).
func (r *millionRun) deepList() error {
	n := len(r.ids)
	return r.timedSample("GET /Users?startIndex=(second half)&count=100", "scim", 50, func(i int) error {
		start := n/2 + rand.IntN(n/2-100)
		return r.scim("GET", fmt.Sprintf("/Users?startIndex=%d&count=100", start), nil, 200)
	})
}

// membership adds one user at a time to the big group, then removes them
// one at a time (RFC 7644 §3.5.2.1, §3.5.2.2).
func (r *millionRun) membership() error {
	n := min(500, r.c.samples)
	from := len(r.ids) / 5 // the first users not in the big group
	if from+n > len(r.ids) {
		return fmt.Errorf("too few users outside the big group")
	}
	if err := r.timedSample(fmt.Sprintf("PATCH add 1 member to the %d-member group", len(r.ids)/5), "scim", n, func(i int) error {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":%q}]}]}`, r.ids[from+i])
		return r.scim("PATCH", "/Groups/"+r.big, []byte(body), 204)
	}); err != nil {
		return err
	}
	return r.timedSample("PATCH remove 1 member from it", "scim", n, func(i int) error {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"%s\"]"}]}`, r.ids[from+i])
		return r.scim("PATCH", "/Groups/"+r.big, []byte(body), 204)
	})
}

// api is the management API's users page with roles: the first page,
// and pages deep in the directory by page_token.
func (r *millionRun) api() error {
	path := "/api/v1/directories/" + r.b.dir + "/users?page_size=100"
	get := func(p string) error {
		var page usersPage
		if err := r.b.mgmtJSON("GET", p, nil, 200, &page); err != nil {
			return err
		}
		if len(page.Data) != 100 || page.Data[0].Role == "" {
			return fmt.Errorf("%s: %d users, role %q", p, len(page.Data), page.Data[0].Role)
		}
		return nil
	}
	if err := r.timedSample("GET /api/v1/.../users?page_size=100 (page 1)", "api", 200, func(int) error { return get(path) }); err != nil {
		return err
	}
	n := len(r.ids)
	return r.timedSample("  the same, page_token deep (second half)", "api", 200, func(int) error {
		after := r.ids[n/2+rand.IntN(n/2-200)]
		return get(path + "&page_token=" + base64.RawURLEncoding.EncodeToString([]byte(after)))
	})
}

// portal opens a portal session through a share link and times the Users
// tab (first page, with its total) and users' pages.
func (r *millionRun) portal() error {
	var link struct {
		URL string `json:"location"`
	}
	raw, err := r.portalLink()
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &link); err != nil || link.URL == "" {
		return fmt.Errorf("portal link: no location in %s", raw)
	}
	u, err := url.Parse(link.URL)
	if err != nil {
		return err
	}
	jar, _ := cookiejar.New(nil)
	pc := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	resp, err := pc.Get(r.b.base + "/portal/open?" + u.RawQuery)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("opening the portal: %d", resp.StatusCode)
	}
	get := func(p string) error {
		resp, err := pc.Get(r.b.base + p)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("GET %s: %d %.300s", p, resp.StatusCode, buf.String())
		}
		return nil
	}
	if err := r.timedSample("portal Users tab (first page, with total)", "portal", 100, func(int) error {
		return get("/portal/users?dir=" + r.b.dir)
	}); err != nil {
		return err
	}
	n := len(r.ids)
	if err := r.timedSample("portal Users tab, a page deep (after=)", "portal", 100, func(int) error {
		return get("/portal/users?dir=" + r.b.dir + "&after=" + r.ids[n/2+rand.IntN(n/2-100)])
	}); err != nil {
		return err
	}
	if err := r.timedSample("portal Users tab, search by email prefix", "portal", 100, func(int) error {
		return get("/portal/users?dir=" + r.b.dir + "&q=" + url.QueryEscape(fmt.Sprintf("user.%07d", rand.IntN(n))))
	}); err != nil {
		return err
	}
	if err := r.timedSample("portal user's page (member of the big group)", "portal", 100, func(int) error {
		return get("/portal/directories/" + r.b.dir + "/users/" + r.ids[rand.IntN(n/5)])
	}); err != nil {
		return err
	}
	if err := r.timedSample("portal Groups tab", "portal", 50, func(int) error {
		return get("/portal/groups?dir=" + r.b.dir)
	}); err != nil {
		return err
	}
	if err := r.timedSample("portal directory page (user and group counts)", "portal", 20, func(int) error {
		return get("/portal/directories/" + r.b.dir)
	}); err != nil {
		return err
	}
	return r.timedSample("portal directory status (polled every 2 s)", "portal", 20, func(int) error {
		return get("/portal/directories/" + r.b.dir + "/status")
	})
}

func (r *millionRun) portalLink() ([]byte, error) {
	status, resp, err := r.b.do("POST", "/api/v1/organizations/"+r.b.org+"/portal_links", []byte(`{"kind":"share"}`), r.b.key)
	if err != nil {
		return nil, err
	}
	if status != 201 {
		return nil, fmt.Errorf("POST portal_links: %d %s", status, resp)
	}
	return resp, nil
}

// events times a 100-event page of the feed from the start, and from a
// random position in the second half.
func (r *millionRun) events() error {
	var latest struct {
		Next string `json:"next_cursor"`
	}
	if err := r.b.mgmtJSON("GET", "/api/v1/events?after=latest", nil, 200, &latest); err != nil {
		return err
	}
	last, err := strconv.ParseInt(latest.Next, 10, 64)
	if err != nil {
		return err
	}
	get := func(q string) error {
		var page struct {
			Data []json.RawMessage `json:"data"`
		}
		if err := r.b.mgmtJSON("GET", "/api/v1/events?limit=100"+q, nil, 200, &page); err != nil {
			return err
		}
		if len(page.Data) != 100 {
			return fmt.Errorf("events page: %d events", len(page.Data))
		}
		return nil
	}
	fmt.Printf("events feed: %d events\n", last)
	if err := r.timedSample("GET /api/v1/events?limit=100 (from the start)", "api", 100, func(int) error { return get("") }); err != nil {
		return err
	}
	if err := r.timedSample("  after= a position in the second half", "api", 100, func(int) error {
		return get("&after=" + strconv.FormatInt(last/2+rand.Int64N(last/2-200), 10))
	}); err != nil {
		return err
	}
	return r.timedSample("  directory_id=, after= second half", "api", 100, func(int) error {
		return get("&directory_id=" + r.b.dir + "&after=" + strconv.FormatInt(last/2+rand.Int64N(last/2-200), 10))
	})
}

// copyFile copies the file from to the new file to.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
