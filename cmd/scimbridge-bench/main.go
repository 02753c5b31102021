// Command scimbridge-bench measures a real scimbridge server: it builds and
// starts `scimbridge serve` as a child process on loopback with a fresh
// SQLite data directory, provisions users and groups over SCIM from
// concurrent clients, times the requests IdPs make most, and reads the
// server's memory from /proc. It only ever talks to the server it started.
//
//	go run ./cmd/scimbridge-bench -users 100000 -members 50000 -clients 8
//	go run ./cmd/scimbridge-bench -scenario roles
//	go run ./cmd/scimbridge-bench -scenario attrs
//	go run ./cmd/scimbridge-bench -scenario webhooks -users 20000
//	go run ./cmd/scimbridge-bench -scenario bigread
//	go run ./cmd/scimbridge-bench -scenario million -users 1000000 -clients 16
//
// The default scenario ("scim") times SCIM provisioning and reads; the
// "roles" scenario (roles.go) times management API user pages and SCIM
// reads during role mapping changes at 50,000 users; the "webhooks"
// scenario (webhooks.go) times user creation with and without a webhook
// endpoint and the worker's delivery rate to a loopback receiver; the
// "bigread" scenario (bigread.go) measures the server's memory while
// clients list users at the largest sizes the limits allow.
//
// The "million" scenario (million.go) loads one directory of a million
// users and measures what must not grow with it.
//
// The "abuse" and "reads" scenarios (abuse.go) measure the request log
// under a failed-authentication flood and under successful reads. The
// "replicas" scenario (replicas.go) runs one and then -replicas servers on
// one PostgreSQL database and compares their total create rate. The
// "dirlatency" scenario (latency.go) puts PostgreSQL behind 1 ms of
// round-trip latency and compares creates in one directory with creates
// spread over four.
//
// The "hot" scenario (hot.go) measures the server CPU per request of the
// requests IdPs send most, next to a bare net/http baseline, on one
// pinned core.
//
// docs/performance.md records its results.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
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
	"time"
)

func main() {
	users := flag.Int("users", 100000, "users to create")
	members := flag.Int("members", 50000, "members of the large group")
	clients := flag.Int("clients", 8, "concurrent clients while creating users")
	samples := flag.Int("samples", 2000, "requests per latency measurement")
	bin := flag.String("bin", "", "scimbridge binary (default: go build ./cmd/scimbridge)")
	from := flag.String("from", "", "million scenario: start from this SQLite database (a snapshot of a million-scenario run loaded over SCIM) instead of loading: copied into the PostgreSQL schema with -database, else used as the server's SQLite database")
	restartBin := flag.String("restart-bin", "", "million scenario: the binary to restart with on the loaded database (its migrations are timed); default -bin")
	database := flag.String("database", "", "PostgreSQL URL to run against instead of SQLite")
	noRequestLog := flag.Bool("no-request-log", false, "run the server with --request-log=false, to measure the request log's cost")
	scenario := flag.String("scenario", "scim", `what to measure: "scim" (provisioning and SCIM reads), "roles" (management API user pages and SCIM reads during role mapping changes; uses -clients, -bin, -database), "attrs" (SCIM reads and writes while custom attribute mapping changes re-map 50,000 users; uses -clients, -bin, -database), "webhooks" (user creation with and without a webhook endpoint, delivery rate; uses -users, -backlog, -clients, -bin, -database), "abuse" (a failed-authentication flood from -clients clients with 30 KB paths and User-Agents while a legitimate client creates users; DB growth, RSS, create latency; uses -duration), "reads" (-clients clients doing successful GETs against -users users for -duration; DB growth), "hot" (server CPU per request of create, GET, filter, list and PATCH next to a bare net/http baseline, one pinned core; uses -hot-*, -clients, -bin, -database), "replicas" (total create rate of -clients clients over -dirs directories through one server, then through -replicas servers on one PostgreSQL; needs -database), "dirlatency" (PostgreSQL behind a proxy adding -db-rtt per round trip: -clients clients creating -users users in one directory or spread over four, taking turns; needs -database), "bigread" (server memory under lists of users at the largest sizes the limits allow; uses -big-users, -clients, -rounds, -nonreaders, -hold) or "million" (one directory of -users users and -users/100 groups, one of -users/5 members, loaded over SCIM from -clients clients, or -from a snapshot; reads, deep pages, membership changes, API, portal and feed pages, memory, database size, restart time; uses -samples, -bin, -database, -from, -restart-bin)`)
	replicas := flag.Int("replicas", 2, "replicas scenario: server processes on one PostgreSQL database (compared with one)")
	dirs := flag.Int("dirs", 4, "replicas scenario: directories the clients spread over")
	splitCores := flag.Bool("split-cores", true, "replicas scenario: give each of the N servers GOMAXPROCS = cores/N, as CPU limits of N containers would")
	backlog := flag.Int("backlog", 20000, "webhooks scenario: events delivered as a backlog to measure the delivery rate")
	var serveFlags []string
	flag.Func("serve-flag", "an extra flag for `scimbridge serve`, e.g. -serve-flag=--request-log-reads-per-minute=0 (repeatable)", func(v string) error {
		serveFlags = append(serveFlags, v)
		return nil
	})
	serverArgs := flag.String("server-args", "", "extra flags for scimbridge serve, space-separated (as -serve-flag, several at once)")
	duration := flag.Duration("duration", time.Minute, "abuse and reads scenarios: how long the load runs")
	bigUsers := flag.Int("big-users", 64, "bigread scenario: users of about 1 MiB to create")
	rounds := flag.Int("rounds", 3, "bigread scenario: times each client reads every list")
	nonReaders := flag.Int("nonreaders", 300, "bigread scenario: clients that send a list request and never read")
	hold := flag.Duration("hold", 15*time.Second, "bigread scenario: how long the non-reading clients hold their connections")
	dbRTT := flag.Duration("db-rtt", time.Millisecond, "dirlatency scenario: round-trip latency the proxy adds between the server and PostgreSQL")
	hot := hotFlags()
	baselineAddr := flag.String("baseline-addr", "", "hot-baseline scenario (started by the hot scenario): where the baseline server listens")
	flag.Parse()
	serveFlags = append(serveFlags, strings.Fields(*serverArgs)...)
	var err error
	switch *scenario {
	case "scim":
		err = run(*users, *members, *clients, *samples, *bin, *database, !*noRequestLog)
	case "roles":
		err = runRoles(rolesConfig{users: 50000, groups: 200, clients: *clients, bin: *bin, database: *database, requestLog: !*noRequestLog})
	case "attrs":
		n := 50000 // the acceptance's size, unless -users is given
		flag.Visit(func(f *flag.Flag) {
			if f.Name == "users" {
				n = *users
			}
		})
		err = runAttrs(attrsConfig{users: n, clients: *clients, bin: *bin, database: *database, requestLog: !*noRequestLog})
	case "bigread":
		err = runBigRead(bigreadConfig{users: *bigUsers, clients: *clients, rounds: *rounds, nonReaders: *nonReaders, hold: *hold,
			bin: *bin, database: *database, requestLog: !*noRequestLog, serverArgs: serveFlags})
	case "webhooks":
		err = runWebhooks(webhooksConfig{users: *users, backlog: *backlog, clients: *clients, bin: *bin, database: *database, requestLog: !*noRequestLog})
	case "abuse":
		err = runAbuse(abuseConfig{attackers: *clients, duration: *duration, bin: *bin, database: *database, serverArgs: serveFlags})
	case "million":
		err = runMillion(millionConfig{users: *users, clients: *clients, samples: *samples, bin: *bin, restartBin: *restartBin, from: *from, database: *database, requestLog: !*noRequestLog, serverArgs: serveFlags})
	case "hot":
		err = runHot(hot, *clients, *bin, *database, serveFlags)
	case "hot-baseline":
		err = serveBaseline(*baselineAddr)
	case "replicas":
		err = runReplicas(replicasConfig{replicas: *replicas, dirs: *dirs, clients: *clients, users: *users, bin: *bin, database: *database, requestLog: !*noRequestLog, splitCores: *splitCores})
	case "dirlatency":
		err = runDirLatency(latencyConfig{users: *users, clients: *clients, rtt: *dbRTT, bin: *bin, database: *database, requestLog: !*noRequestLog, serverArgs: serveFlags})
	case "reads":
		err = runReads(abuseConfig{users: *users, readers: *clients, duration: *duration, bin: *bin, database: *database, serverArgs: serveFlags})
	default:
		err = fmt.Errorf("unknown -scenario %q (want scim, roles, attrs, webhooks, abuse, reads, hot, replicas, dirlatency, bigread or million)", *scenario)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scimbridge-bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	base, dir, token string
	org              string // the organization's id
	dataDir          string // the SQLite data directory ("" on PostgreSQL)
	database         string // the PostgreSQL URL, if any
	key              string // management API key
	client           *http.Client
	pid              int
}

func run(nUsers, nMembers, clients, samples int, bin, database string, requestLog bool) error {
	b, stop, err := startServer(bin, database, requestLog)
	if err != nil {
		return err
	}
	defer stop()

	// 1. Create users from concurrent clients.
	ids, err := b.createUsersMeasured(nUsers, clients)
	if err != nil {
		return err
	}
	rssAfterCreate := b.memory()

	// 2. Filter by userName, the query every IdP makes before creating.
	lat, err := b.sample(samples, func(i int) (string, string, []byte, int) {
		n := (i * 7919) % nUsers
		q := url.QueryEscape(fmt.Sprintf(`userName eq "User.%07d@Example.com"`, n))
		return "GET", "/Users?filter=" + q, nil, 200
	})
	if err != nil {
		return err
	}
	report("GET /Users?filter=userName eq", lat)

	// 3. GET by id.
	lat, err = b.sample(samples, func(i int) (string, string, []byte, int) {
		return "GET", "/Users/" + ids[(i*104729)%nUsers], nil, 200
	})
	if err != nil {
		return err
	}
	report("GET /Users/{id}", lat)

	if err := b.membership(ids, nMembers, samples); err != nil {
		return err
	}
	rss := b.memory()
	fmt.Printf("server memory: after creating users %s; at end %s\n", rssAfterCreate, rss)
	return nil
}

// createUsersMeasured creates n users from concurrent clients and reports
// the rate and the server's CPU per user.
func (b *bench) createUsersMeasured(nUsers, clients int) ([]string, error) {
	ids := make([]string, nUsers)
	cpu0 := b.cpu()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= nUsers {
					return
				}
				id, err := b.createUser(i)
				if err != nil {
					errc <- err
					return
				}
				ids[i] = id
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return nil, err
	}
	el := time.Since(start)
	serverCPU := b.cpu() - cpu0
	fmt.Printf("create users: %d users, %d clients, %.1fs, %.0f users/s; server CPU %.0f µs per user (%.0f users/s per core)\n",
		nUsers, clients, el.Seconds(), float64(nUsers)/el.Seconds(), serverCPU.Seconds()*1e6/float64(nUsers), float64(nUsers)/serverCPU.Seconds())
	return ids, nil
}

// membership measures adding one member to a group of nMembers members
// and to a small one.
func (b *bench) membership(ids []string, nMembers, samples int) error {
	nUsers := len(ids)
	// 4. Group membership: one group with nMembers members, one empty.
	big, err := b.createGroup("Everyone")
	if err != nil {
		return err
	}
	if nMembers > nUsers-samples {
		nMembers = nUsers - samples
	}
	fill := time.Now()
	for i := 0; i < nMembers; i += 1000 {
		j := min(i+1000, nMembers)
		if err := b.addMembers(big, ids[i:j]); err != nil {
			return err
		}
	}
	fmt.Printf("fill group: %d members in batches of 1000, %.1fs\n", nMembers, time.Since(fill).Seconds())
	small, err := b.createGroup("Small")
	if err != nil {
		return err
	}
	sampleAdd := func(group string, from int) ([]time.Duration, error) {
		n := min(samples, 500)
		return b.sample(n, func(i int) (string, string, []byte, int) {
			body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":%q}]}]}`, ids[from+i])
			return "PATCH", "/Groups/" + group, []byte(body), 204
		})
	}
	lat, err := sampleAdd(big, nMembers)
	if err != nil {
		return err
	}
	report(fmt.Sprintf("PATCH add 1 member to a %d-member group", nMembers), lat)
	lat, err = sampleAdd(small, nMembers+min(samples, 500))
	if err != nil {
		return err
	}
	report("PATCH add 1 member to a small group", lat)
	return nil
}

// startServer builds (unless bin is set) and starts `scimbridge serve` on a
// free loopback port with a fresh data directory, waits until it is ready,
// and creates an organization, a directory and a SCIM token through the
// management API. stop shuts the server down and removes the data.
func startServer(bin, database string, requestLog bool, serverArgs ...string) (b *bench, stop func(), err error) {
	tmp, err := os.MkdirTemp("", "scimbridge-bench-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := []func(){func() { os.RemoveAll(tmp) }}
	stop = func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	if bin == "" {
		bin = filepath.Join(tmp, "scimbridge")
		build := exec.Command("go", "build", "-o", bin, "./cmd/scimbridge")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, nil, fmt.Errorf("building scimbridge: %w", err)
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	key := "bench-" + randHex(16) + randHex(16)
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", filepath.Join(tmp, "data"), "--log-level", "warn",
		"--request-log="+strconv.FormatBool(requestLog))
	cmd.Args = append(cmd.Args, serverArgs...)
	cmd.Env = append(os.Environ(), "SCIMBRIDGE_API_KEY="+key)
	if database != "" {
		cmd.Env = append(cmd.Env, "SCIMBRIDGE_DATABASE="+database)
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	cleanup = append(cleanup, func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	b = &bench{base: "http://" + addr, pid: cmd.Process.Pid, key: key, dataDir: filepath.Join(tmp, "data"), database: database,
		client: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	if err := b.waitReady(); err != nil {
		return nil, nil, err
	}
	if err := b.setup(key); err != nil {
		return nil, nil, err
	}
	fmt.Printf("scimbridge-bench: server pid %d on %s, database %s, request log %v, extra flags %q\n", b.pid, addr, map[bool]string{true: "postgres", false: "sqlite (synchronous=FULL)"}[database != ""], requestLog, serverArgs)
	return b, stop, nil
}

func report(name string, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	fmt.Printf("%-45s n=%d median %.2f ms  p90 %.2f ms  p99 %.2f ms (client round trip over loopback)\n", name+":", len(lat), q(0.5), q(0.9), q(0.99))
}

func (b *bench) sample(n int, req func(i int) (method, path string, body []byte, want int)) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		m, p, body, want := req(i)
		t := time.Now()
		status, resp, err := b.do(m, "/scim/v2/"+b.dir+p, body, b.token)
		d := time.Since(t)
		if err != nil {
			return nil, err
		}
		if status != want {
			return nil, fmt.Errorf("%s %s: status %d: %s", m, p, status, resp)
		}
		if m == "GET" && strings.Contains(p, "filter=") && !bytes.Contains(resp, []byte(`"totalResults":1`)) {
			return nil, fmt.Errorf("%s %s: expected one result: %s", m, p, resp)
		}
		out = append(out, d)
	}
	return out, nil
}

func (b *bench) do(method, path string, body []byte, bearer string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(context.Background(), method, b.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	return resp.StatusCode, rb, err
}

func (b *bench) waitReady() error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(b.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("server did not become ready")
}

func (b *bench) setup(key string) error {
	var org, dir, tok map[string]any
	if err := b.mgmt("POST", "/api/v1/organizations", `{"name":"Bench Corp"}`, key, &org); err != nil {
		return err
	}
	if err := b.mgmt("POST", "/api/v1/organizations/"+org["id"].(string)+"/directories", `{"provider":"okta","name":"Okta"}`, key, &dir); err != nil {
		return err
	}
	b.dir = dir["id"].(string)
	b.org = org["id"].(string)
	if err := b.mgmt("POST", "/api/v1/directories/"+b.dir+"/tokens", `{}`, key, &tok); err != nil {
		return err
	}
	b.token = tok["token"].(string)
	return nil
}

func (b *bench) mgmt(method, path, body, key string, out any) error {
	status, resp, err := b.do(method, path, []byte(body), key)
	if err != nil {
		return err
	}
	if status != 201 {
		return fmt.Errorf("%s %s: %d %s", method, path, status, resp)
	}
	return json.Unmarshal(resp, out)
}

func (b *bench) createUser(i int) (string, error) {
	body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"User.%07d@Example.com","externalId":"00u%07d","name":{"givenName":"Given%d","familyName":"Family%d"},"displayName":"Given%d Family%d","emails":[{"primary":true,"value":"user.%07d@example.com","type":"work"}],"active":true,"password":"not-stored-%d","groups":[]}`, i, i, i, i, i, i, i, i)
	status, resp, err := b.do("POST", "/scim/v2/"+b.dir+"/Users", []byte(body), b.token)
	if err != nil {
		return "", err
	}
	if status != 201 {
		return "", fmt.Errorf("POST /Users: %d %s", status, resp)
	}
	// The id is the first "id" member of the response: read it without
	// decoding the whole document, to keep the client's CPU for the server.
	const key = `"id":"`
	at := bytes.Index(resp, []byte(key))
	if at < 0 {
		return "", fmt.Errorf("POST /Users: no id in %s", resp)
	}
	rest := resp[at+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return "", fmt.Errorf("POST /Users: bad id in %s", resp)
	}
	return string(rest[:j]), nil
}

func (b *bench) createGroup(name string) (string, error) {
	status, resp, err := b.do("POST", "/scim/v2/"+b.dir+"/Groups", []byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"`+name+`","members":[]}`), b.token)
	if err != nil {
		return "", err
	}
	if status != 201 {
		return "", fmt.Errorf("POST /Groups: %d %s", status, resp)
	}
	var g struct{ ID string }
	return g.ID, json.Unmarshal(resp, &g)
}

func (b *bench) addMembers(group string, ids []string) error {
	vals := make([]map[string]string, len(ids))
	for i, id := range ids {
		vals[i] = map[string]string{"value": id}
	}
	body, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "add", "path": "members", "value": vals}}})
	status, resp, err := b.do("PATCH", "/scim/v2/"+b.dir+"/Groups/"+group, body, b.token)
	if err != nil {
		return err
	}
	if status != 204 && status != 200 {
		return fmt.Errorf("PATCH /Groups: %d %s", status, resp)
	}
	return nil
}

// memory reads the server's resident memory and its peak from /proc.
func (b *bench) memory() string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", b.pid))
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	var rss, hwm string
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm = strings.TrimSpace(v)
		}
	}
	return "RSS " + rss + " (peak " + hwm + ")"
}

// cpu reads the server's user+system CPU time from /proc/PID/stat.
func (b *bench) cpu() time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", b.pid))
	if err != nil {
		return 0
	}
	// Fields after the ")" that ends the command name: utime is the 12th
	// and stime the 13th of those, in clock ticks (100 per second).
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
