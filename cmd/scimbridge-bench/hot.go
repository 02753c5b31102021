package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The "hot" scenario measures the server CPU each of the requests IdPs
// send most costs, next to a baseline: a bare net/http server in this
// program (the same Go toolchain's HTTP stack) answering a fixed user from
// memory, run as a child of the benchmark ("-scenario hot-baseline", not
// part of scimbridge). When taskset exists, the server under test (and the
// baseline) are pinned to CPU 0 and the load generator to CPU 1.
//
//	go run ./cmd/scimbridge-bench -scenario hot
//	go run ./cmd/scimbridge-bench -scenario hot -database 'postgres://…'
//	go run ./cmd/scimbridge-bench -scenario hot -hot-profile /tmp/prof
//
// Workloads, in this order (each against the baseline first, then against
// scimbridge):
//   - POST /Users: -hot-users users from -clients clients (these are the
//     users the reads find);
//   - GET /Users/{id} from -clients clients, then from -hot-conns
//     connections;
//   - GET /Users?filter=userName eq "…";
//   - GET /Users?startIndex=…&count=100, the pages in order, as an import
//     walks them;
//   - PATCH /Users/{id} replacing displayName, random users.
//
// The reads and PATCH run for -hot-duration each. For each it prints
// requests per second, the ratio to the baseline, the server's CPU per
// request (from /proc/PID/stat, user + system, all threads) and client
// latency percentiles. With -hot-profile DIR the server also serves pprof
// on a private port and a CPU and an allocation profile of each workload
// are saved in DIR (profiling costs some CPU: compare µs/request from runs
// without it).

type hotConfig struct {
	users    int
	clients  int
	conns    int
	duration time.Duration
	profile  string // directory for pprof files; "" = no profiles
	only     string // comma-separated workload names to run; "" = all
	noPin    bool
	pgFree   bool
	base     bool // run the baseline too
}

func hotFlags() *hotConfig {
	c := &hotConfig{}
	flag.IntVar(&c.users, "hot-users", 20000, "hot scenario: users created (the POST /Users workload) and then read")
	flag.IntVar(&c.conns, "hot-conns", 64, "hot scenario: connections of the second GET /Users/{id} workload")
	flag.DurationVar(&c.duration, "hot-duration", 10*time.Second, "hot scenario: how long each read and PATCH workload runs")
	flag.StringVar(&c.profile, "hot-profile", "", "hot scenario: save a CPU and an allocation profile of each workload of the server in this directory")
	flag.StringVar(&c.only, "hot-only", "", "hot scenario: run only these workloads (comma-separated: get8, get64, filter, list, patch; create always runs)")
	flag.BoolVar(&c.noPin, "hot-no-pin", false, "hot scenario: do not pin the server and the load generator to a core each")
	flag.BoolVar(&c.pgFree, "hot-pg-anywhere", false, "hot scenario, PostgreSQL on this machine: leave its processes free to run on the server's core instead of moving them to the load generator's for the run")
	flag.BoolVar(&c.base, "hot-baseline", true, "hot scenario: measure the in-memory baseline too")
	return c
}

// hotTarget is what the workloads drive: scimbridge or the baseline.
type hotTarget struct {
	name  string
	base  string // http://addr
	dir   string
	token string
	pid   int
	debug string  // pprof address, if any
	pg    *sql.DB // PostgreSQL: to count the server's transactions
	srv   *bench  // the scimbridge server (nil for the baseline): its /metrics
}

// hotResult is one workload's measurement.
type hotResult struct {
	workload string
	n        int
	elapsed  time.Duration
	cpu      time.Duration
	lat      []time.Duration // sorted
	errs     int
	pgTx     int64         // PostgreSQL transactions committed or rolled back meanwhile (-1: not counted)
	pgCPU    time.Duration // CPU of the database's client backends meanwhile (-1: not measured)
	commits  float64       // SQLite group commits meanwhile (0: none, or not measured)
	written  float64       // writes those commits held
}

func (r hotResult) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }
func (r hotResult) cpuPerReq() float64 {
	return r.cpu.Seconds() * 1e6 / float64(max(r.n, 1))
}
func (r hotResult) pgCPUPerReq() float64 {
	return r.pgCPU.Seconds() * 1e6 / float64(max(r.n, 1))
}

func runHot(c *hotConfig, clients int, bin, database string, serveFlags []string) error {
	c.clients = max(clients, 1)
	pin := !c.noPin
	if _, err := exec.LookPath("taskset"); err != nil {
		pin = false
	}
	if pin {
		// The load generator on CPU 1: threads started later inherit it.
		if out, err := exec.Command("taskset", "-a", "-cp", "1", strconv.Itoa(os.Getpid())).CombinedOutput(); err != nil {
			return fmt.Errorf("taskset: %v: %s", err, out)
		}
	}
	var baseline map[string]hotResult
	if c.base {
		t, stop, err := startBaseline()
		if err != nil {
			return err
		}
		if pin {
			if err := pinCPU0(t.pid); err != nil {
				stop()
				return err
			}
		}
		baseline, err = c.workloads(t)
		stop()
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
	}
	args := append([]string{}, serveFlags...)
	var debug string
	if c.profile != "" {
		if err := os.MkdirAll(c.profile, 0o755); err != nil {
			return err
		}
		port, err := freePort()
		if err != nil {
			return err
		}
		debug = "127.0.0.1:" + strconv.Itoa(port)
		args = append(args, "--debug-addr", debug)
	}
	b, stop, err := startServer(bin, database, true, args...)
	if err != nil {
		return err
	}
	defer stop()
	if pin {
		if err := pinCPU0(b.pid); err != nil {
			return err
		}
	}
	backend := "sqlite"
	if database != "" {
		backend = "postgres"
	}
	restorePG, pgPinned := func() {}, false
	if pin && database != "" && !c.pgFree {
		restorePG, pgPinned = pinPostgresForRun()
	}
	defer restorePG()
	t := &hotTarget{name: backend, base: b.base, dir: b.dir, token: b.token, pid: b.pid, debug: debug, srv: b}
	if database != "" {
		if t.pg, err = sql.Open("pgx", database); err != nil {
			return err
		}
		defer t.pg.Close()
	}
	res, err := c.workloads(t)
	if err != nil {
		return err
	}
	fmt.Printf("\nserver %s, %d users, pinned %v, %s per workload; %s; load average %s\n", backend, c.users, pin, c.duration, b.memory(), loadAverage())
	if database != "" {
		fmt.Printf("PostgreSQL's processes pinned to the load generator's core: %v\n", pgPinned)
	}
	printHotTable(res, baseline, t.pg != nil)
	return nil
}

var hotWorkloadNames = []string{"create", "get8", "get64", "filter", "list", "patch"}

// printHotTable prints the workloads' results as a Markdown table, next to
// the baseline's when it ran, with PostgreSQL's columns when withPG.
func printHotTable(res, baseline map[string]hotResult, withPG bool) {
	pgCols, pgSep := "", ""
	if withPG {
		// PostgreSQL's backends' CPU is on top of the server's, on the
		// load generator's core (or any, with -hot-pg-anywhere).
		pgCols, pgSep = " PG backends CPU µs/req | PG transactions/req |", "---|---|"
	}
	fmt.Println("| workload | baseline req/s | baseline CPU µs/req | scimbridge req/s | ratio | CPU µs/req |" + pgCols + " p50 ms | p99 ms | max ms | errors |")
	fmt.Println("|---|---|---|---|---|---|" + pgSep + "---|---|---|---|")
	for _, w := range hotWorkloadNames {
		r, ok := res[w]
		if !ok {
			continue
		}
		bl, bs, ratio := "—", "—", "—"
		if br, ok := baseline[w]; ok {
			bl, bs = fmt.Sprintf("%.0f", br.rate()), fmt.Sprintf("%.0f", br.cpuPerReq())
			ratio = fmt.Sprintf("%.2f×", r.rate()/br.rate())
		}
		pg := ""
		if withPG {
			pg = fmt.Sprintf(" %.0f | %.2f |", r.pgCPUPerReq(), float64(r.pgTx)/float64(r.n))
		}
		fmt.Printf("| %s | %s | %s | %.0f | %s | %.0f |%s %.2f | %.2f | %.2f | %d |\n", w, bl, bs, r.rate(), ratio, r.cpuPerReq(), pg,
			ms(quant(r.lat, 0.5)), ms(quant(r.lat, 0.99)), ms(r.lat[len(r.lat)-1]), r.errs)
	}
}

// pinPostgresForRun puts PostgreSQL's processes on the load generator's
// core, so that the server's core is its own, as it is in production where
// the database has its own host: left free, its backends preempted the
// pinned server mid-request and made the reads' p99 15-17 ms for a p50 of
// 1 ms (docs/performance.md, "Tail latency"). It reports whether it could,
// and returns what undoes it.
func pinPostgresForRun() (restore func(), pinned bool) {
	restore, err := pinPostgres("1")
	if err != nil {
		fmt.Fprintf(os.Stderr, "scimbridge-bench: PostgreSQL's processes left unpinned: %v\n", err)
		return func() {}, false
	}
	return restore, true
}

// pinPostgres moves every process named postgres on this machine (the
// postmaster, whose mask the backends it starts inherit, and its running
// processes) to the CPUs in list, and returns what puts them back on the
// postmaster's CPUs.
func pinPostgres(list string) (restore func(), err error) {
	pids := postgresPIDs()
	if len(pids) == 0 {
		return nil, fmt.Errorf("no postgres process found in /proc (PostgreSQL on another machine?)")
	}
	out, err := exec.Command("taskset", "-cp", strconv.Itoa(pids[0])).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("taskset: %v: %s", err, out)
	}
	_, orig, ok := strings.Cut(strings.TrimSpace(string(out)), ": ")
	if !ok {
		return nil, fmt.Errorf("taskset printed %q", out)
	}
	set := func(list string) error {
		for _, pid := range postgresPIDs() {
			if out, err := exec.Command("taskset", "-a", "-cp", list, strconv.Itoa(pid)).CombinedOutput(); err != nil && pid == pids[0] {
				return fmt.Errorf("taskset: %v: %s", err, out)
			}
		}
		return nil
	}
	if err := set(list); err != nil {
		return nil, err
	}
	return func() {
		if err := set(orig); err != nil {
			fmt.Fprintf(os.Stderr, "scimbridge-bench: putting PostgreSQL back on CPUs %s: %v\n", orig, err)
		}
	}, nil
}

// postgresPIDs returns the pids of the processes named postgres, the
// postmaster (the one whose parent is not postgres) first.
func postgresPIDs() []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	isPostgres := func(pid string) bool {
		comm, err := os.ReadFile("/proc/" + pid + "/comm")
		return err == nil && strings.TrimSpace(string(comm)) == "postgres"
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !isPostgres(e.Name()) {
			continue
		}
		pids = append(pids, pid)
		// /proc/PID/stat: "pid (comm) state ppid …".
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if _, rest, ok := strings.Cut(string(stat), ") "); ok {
			if f := strings.Fields(rest); len(f) > 1 && !isPostgres(f[1]) {
				pids[0], pids[len(pids)-1] = pids[len(pids)-1], pids[0]
			}
		}
	}
	return pids
}

func pinCPU0(pid int) error {
	if out, err := exec.Command("taskset", "-a", "-cp", "0", strconv.Itoa(pid)).CombinedOutput(); err != nil {
		return fmt.Errorf("taskset: %v: %s", err, out)
	}
	return nil
}

// workloads runs every workload against t and returns the results by name.
func (c *hotConfig) workloads(t *hotTarget) (map[string]hotResult, error) {
	want := map[string]bool{}
	for _, w := range strings.Split(c.only, ",") {
		if w = strings.TrimSpace(w); w != "" {
			want[w] = true
		}
	}
	out := map[string]hotResult{}
	ids := make([]string, c.users)
	path := "/scim/v2/" + t.dir
	create := func(i int) (string, string, []byte, int) {
		return "POST", path + "/Users", []byte(fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"User.%07d@Example.com","externalId":"00u%07d","name":{"givenName":"Given%d","familyName":"Family%d"},"displayName":"Given%d Family%d","emails":[{"primary":true,"value":"user.%07d@example.com","type":"work"}],"active":true,"groups":[]}`, i, i, i, i, i, i, i)), 201
	}
	r, err := c.drive(t, "create", c.clients, c.users, 0, create, func(i int, body []byte) {
		ids[i] = firstID(body)
	})
	if err != nil {
		return nil, err
	}
	out["create"] = r
	loads := []struct {
		name    string
		clients int
		req     func(i int) (string, string, []byte, int)
	}{
		{"get8", c.clients, func(i int) (string, string, []byte, int) {
			return "GET", path + "/Users/" + ids[(i*104729)%c.users], nil, 200
		}},
		{"get64", c.conns, func(i int) (string, string, []byte, int) {
			return "GET", path + "/Users/" + ids[(i*104729)%c.users], nil, 200
		}},
		{"filter", c.clients, func(i int) (string, string, []byte, int) {
			q := url.QueryEscape(fmt.Sprintf(`userName eq "User.%07d@Example.com"`, (i*7919)%c.users))
			return "GET", path + "/Users?filter=" + q, nil, 200
		}},
		{"list", c.clients, func(i int) (string, string, []byte, int) {
			start := 1 + (i*100)%max(c.users-100, 1)
			return "GET", path + "/Users?startIndex=" + strconv.Itoa(start) + "&count=100", nil, 200
		}},
		{"patch", c.clients, func(i int) (string, string, []byte, int) {
			body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Patched %d"}]}`, i)
			return "PATCH", path + "/Users/" + ids[(i*7919)%c.users], []byte(body), 200
		}},
	}
	for _, l := range loads {
		if len(want) > 0 && !want[l.name] {
			continue
		}
		r, err := c.drive(t, l.name, l.clients, 0, c.duration, l.req, nil)
		if err != nil {
			return nil, err
		}
		out[l.name] = r
	}
	return out, nil
}

// drive runs req from clients goroutines, each on its own keep-alive
// connection, n requests in all (n > 0) or for d. got, if set, sees each
// response body.
func (c *hotConfig) drive(t *hotTarget, name string, clients, n int, d time.Duration, req func(i int) (string, string, []byte, int), got func(i int, body []byte)) (hotResult, error) {
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DisableCompression: true}}
	defer client.CloseIdleConnections()
	var prof func() error
	if t.debug != "" && c.profile != "" {
		secs := int(d.Seconds()) - 1
		if n > 0 {
			secs = 5
		}
		prof = c.startProfiles(t, name, max(secs, 1))
	}
	before := t.counters()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	lats := make([][]time.Duration, clients)
	var errs atomic.Int64
	var firstErr atomic.Value
	for g := 0; g < clients; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if n > 0 && i >= n || n == 0 && time.Since(start) >= d {
					return
				}
				m, p, body, want := req(i)
				t0 := time.Now()
				status, resp, err := hotDo(client, m, t.base+p, body, t.token)
				lats[g] = append(lats[g], time.Since(t0))
				if err != nil || status != want {
					if errs.Add(1) == 1 {
						firstErr.Store(fmt.Sprintf("%s %s: %d %v %.200s", m, p, status, err, resp))
					}
					if n > 0 {
						next.Store(int64(n)) // a failed create leaves a hole the reads would hit
					}
					continue
				}
				if got != nil {
					got(i, resp)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	r := hotResult{workload: name, elapsed: el, errs: int(errs.Load())}
	t.measure(&r, before)
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if len(all) == 0 {
		return hotResult{}, fmt.Errorf("%s: no request completed", name)
	}
	r.n, r.lat = len(all), all
	if prof != nil {
		if err := prof(); err != nil {
			fmt.Fprintln(os.Stderr, "profile:", err)
		}
	}
	if r.errs > 0 && n > 0 {
		return r, fmt.Errorf("%s: %d errors, first: %v", name, r.errs, firstErr.Load())
	}
	if r.errs > 0 {
		fmt.Fprintf(os.Stderr, "%s: %d errors, first: %v\n", name, r.errs, firstErr.Load())
	}
	r.print(t.name, clients)
	return r, nil
}

// hotCounters are what a workload's cost is read from: the server's CPU,
// PostgreSQL's transactions and backends' CPU (-1 and nil when not
// counted), and the SQLite group commits.
type hotCounters struct {
	cpu              time.Duration
	pgTx             int64
	pgBackends       map[int]time.Duration
	written, commits float64
}

func (t *hotTarget) counters() hotCounters {
	c := hotCounters{pgTx: t.pgTransactions(), pgBackends: t.pgBackends()}
	c.written, c.commits = t.groupCommits()
	c.cpu = procCPU(t.pid)
	return c
}

// measure sets what r cost since before was read.
func (t *hotTarget) measure(r *hotResult, before hotCounters) {
	r.cpu = procCPU(t.pid) - before.cpu
	r.pgCPU = -1
	if before.pgBackends != nil {
		r.pgCPU = 0
		for pid, c := range t.pgBackends() {
			r.pgCPU += c - before.pgBackends[pid] // a backend started meanwhile: all of its CPU
		}
	}
	r.pgTx = -1
	if before.pgTx >= 0 {
		time.Sleep(11 * time.Second) // an idle backend publishes its statistics within 10 s
		r.pgTx = t.pgTransactions() - before.pgTx
	}
	if w, c := t.groupCommits(); c > before.commits {
		r.commits, r.written = c-before.commits, w-before.written
	}
}

// print writes r's line of the run's log.
func (r hotResult) print(target string, clients int) {
	fmt.Printf("%-9s %-8s %3d clients: %6d requests in %5.1fs, %7.0f/s, server CPU %5.0f µs/request, p50 %.2f ms, p99 %.2f ms, max %.2f ms",
		target, r.workload, clients, r.n, r.elapsed.Seconds(), r.rate(), r.cpuPerReq(), ms(quant(r.lat, 0.5)), ms(quant(r.lat, 0.99)), ms(r.lat[len(r.lat)-1]))
	if r.pgTx >= 0 {
		// Every statement outside a transaction is one round trip and one
		// transaction; a write transaction is one however many it holds.
		fmt.Printf(", PostgreSQL transactions %.2f/request", float64(r.pgTx)/float64(r.n))
	}
	if r.pgCPU >= 0 {
		fmt.Printf(", PostgreSQL backends CPU %.0f µs/request", r.pgCPUPerReq())
	}
	if r.commits > 0 {
		fmt.Printf(", %.0f group commits of %.1f writes on average", r.commits, r.written/r.commits)
	}
	fmt.Println()
}

// startProfiles fetches a CPU and an allocation profile of secs seconds
// from the server's debug address; the returned function waits for them
// and writes them into the profile directory.
func (c *hotConfig) startProfiles(t *hotTarget, name string, secs int) func() error {
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, kind := range []string{"profile", "allocs"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", t.debug, kind, secs))
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				errs[i] = err
				return
			}
			suffix := map[string]string{"profile": "cpu", "allocs": "allocs"}[kind]
			errs[i] = os.WriteFile(filepath.Join(c.profile, t.name+"-"+name+"."+suffix+".pprof"), raw, 0o644)
		}()
	}
	return func() error {
		wg.Wait()
		if errs[0] != nil {
			return errs[0]
		}
		return errs[1]
	}
}

func hotDo(client *http.Client, method, u string, body []byte, token string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	return resp.StatusCode, rb, err
}

// firstID reads the first "id" member of a created resource without
// decoding it all.
func firstID(resp []byte) string {
	const key = `"id":"`
	at := bytes.Index(resp, []byte(key))
	if at < 0 {
		return ""
	}
	rest := resp[at+len(key):]
	if j := bytes.IndexByte(rest, '"'); j >= 0 {
		return string(rest[:j])
	}
	return ""
}

// pgTransactions reads the database's committed and rolled back
// transactions so far, or -1.
func (t *hotTarget) pgTransactions() int64 {
	if t.pg == nil {
		return -1
	}
	var n int64
	if err := t.pg.QueryRow(`SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
		return -1
	}
	return n
}

// pgBackends returns the CPU used so far by each client backend connected
// to the database (the server's connections, not this benchmark's), from
// /proc (PostgreSQL on this machine), or nil.
func (t *hotTarget) pgBackends() map[int]time.Duration {
	if t.pg == nil {
		return nil
	}
	rows, err := t.pg.Query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return nil
		}
		out[pid] = procCPU(pid)
	}
	if rows.Err() != nil {
		return nil
	}
	return out
}

// startBaseline starts this program again as the baseline server on a free
// loopback port.
func startBaseline() (*hotTarget, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	token := "scimbridge_bench_" + randHex(16)
	cmd := exec.Command(self, "-scenario", "hot-baseline", "-baseline-addr", addr)
	cmd.Env = append(os.Environ(), "BENCH_BASELINE_TOKEN="+token)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlives the benchmark
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	b := &bench{base: "http://" + addr}
	if err := b.waitReady(); err != nil {
		stop()
		return nil, nil, err
	}
	return &hotTarget{name: "baseline", base: "http://" + addr, dir: "dir_baseline", token: token, pid: cmd.Process.Pid}, stop, nil
}

// serveBaseline is the baseline server: net/http with scimbridge's
// timeouts, checking the bearer token, reading the request body and
// answering a fixed user (or a fixed page of them) encoded once, at start.
// It does what every SCIM server must at the least: no storage, no
// validation, no logging.
func serveBaseline(addr string) error {
	token := "Bearer " + os.Getenv("BENCH_BASELINE_TOKEN")
	user := map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "id": "usr_0123456789abcdef0123456789",
		"externalId": "00u0000001", "userName": "User.0000001@Example.com",
		"name":        map[string]any{"givenName": "Given1", "familyName": "Family1", "formatted": "Given1 Family1"},
		"displayName": "Given1 Family1", "active": true,
		"emails": []any{map[string]any{"primary": true, "value": "user.0000001@example.com", "type": "work"}},
		"groups": []any{},
		"meta": map[string]any{"resourceType": "User", "created": "2026-12-05T10:00:00.000000Z", "lastModified": "2026-12-05T10:00:00.000000Z",
			"location": "http://127.0.0.1/scim/v2/dir_baseline/Users/usr_0123456789abcdef0123456789", "version": `W/"1"`},
	}
	one, _ := json.Marshal(user)
	list := func(n int) []byte {
		rs := make([]any, n)
		for i := range rs {
			rs[i] = user
		}
		b, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:ListResponse"},
			"totalResults": n, "startIndex": 1, "itemsPerPage": n, "Resources": rs})
		return b
	}
	page1, page100 := list(1), list(100)
	write := func(w http.ResponseWriter, status int, body []byte) {
		h := w.Header()
		h.Set("Content-Type", "application/scim+json")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		w.Write(body)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	auth := func(f http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != token {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			io.Copy(io.Discard, r.Body)
			f(w, r)
		}
	}
	mux.HandleFunc("POST /scim/v2/{dir}/Users", auth(func(w http.ResponseWriter, r *http.Request) { write(w, 201, one) }))
	mux.HandleFunc("GET /scim/v2/{dir}/Users/{id}", auth(func(w http.ResponseWriter, r *http.Request) { write(w, 200, one) }))
	mux.HandleFunc("PATCH /scim/v2/{dir}/Users/{id}", auth(func(w http.ResponseWriter, r *http.Request) { write(w, 200, one) }))
	mux.HandleFunc("GET /scim/v2/{dir}/Users", auth(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("filter") != "" {
			write(w, 200, page1)
			return
		}
		write(w, 200, page100)
	}))
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	return srv.ListenAndServe()
}

// groupCommits reads the server's group commit batch size histogram
// (scimbridge_db_group_commit_batch_size): the writes committed and the
// commits so far, zeros for the baseline or when /metrics cannot be read.
func (t *hotTarget) groupCommits() (writes, commits float64) {
	if t.srv == nil {
		return 0, 0
	}
	status, body, err := t.srv.do("GET", "/metrics", nil, t.srv.key)
	if err != nil || status != http.StatusOK {
		return 0, 0
	}
	for _, line := range strings.Split(string(body), "\n") {
		name, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		f, _ := strconv.ParseFloat(v, 64)
		switch name {
		case "scimbridge_db_group_commit_batch_size_sum":
			writes = f
		case "scimbridge_db_group_commit_batch_size_count":
			commits = f
		}
	}
	return writes, commits
}
