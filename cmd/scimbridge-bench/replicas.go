package main

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The "replicas" scenario: N `scimbridge serve` processes on one
// PostgreSQL database, clients spread over them and over several
// directories, total create rate compared with one process on the same
// database server (docs/performance.md, "Several replicas").
//
//	go run ./cmd/scimbridge-bench -scenario replicas -replicas 2 -dirs 4 -clients 8 -users 20000 \
//	  -database 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//
// Each run (one process, then N) gets a fresh schema in the -database
// database, dropped afterwards. Client i creates users in directory
// i mod dirs through server i mod N, as a load balancer pinning
// connections would.
type replicasConfig struct {
	replicas, dirs, clients, users int
	bin, database                  string
	requestLog                     bool
	// splitCores gives each of N servers GOMAXPROCS = cores/N (at least
	// 1), as CPU limits of N containers on one machine would (Go reads
	// cgroup limits); without it N Go schedulers fight over the cores.
	splitCores bool
}

func runReplicas(cfg replicasConfig) error {
	if cfg.database == "" {
		return fmt.Errorf("the replicas scenario needs -database (a PostgreSQL URL; each run makes its own schema there)")
	}
	if cfg.replicas < 1 || cfg.dirs < 1 || cfg.clients < 1 || cfg.users < cfg.clients {
		return fmt.Errorf("replicas scenario: want -replicas ≥ 1, -dirs ≥ 1, -clients ≥ 1 and -users ≥ -clients")
	}
	tmp, err := os.MkdirTemp("", "scimbridge-bench-replicas-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if cfg.bin == "" {
		cfg.bin = filepath.Join(tmp, "scimbridge")
		build := exec.Command("go", "build", "-o", cfg.bin, "./cmd/scimbridge")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building scimbridge: %w", err)
		}
	}
	keyFile := filepath.Join(tmp, "secret.key")
	if err := os.WriteFile(keyFile, []byte(randHex(32)+"\n"), 0o600); err != nil {
		return err
	}
	counts := []int{1}
	if cfg.replicas > 1 {
		counts = append(counts, cfg.replicas)
	}
	rates := map[int]float64{}
	for _, n := range counts {
		r, err := replicasRun(cfg, n, keyFile)
		if err != nil {
			return err
		}
		rates[n] = r
	}
	if cfg.replicas > 1 {
		fmt.Printf("replicas: %d processes create %.0f users/s, one process %.0f users/s (%.2f×)\n",
			cfg.replicas, rates[cfg.replicas], rates[1], rates[cfg.replicas]/rates[1])
	}
	return nil
}

// replicasRun starts n servers on a fresh schema and measures the create
// rate of cfg.clients clients; it returns users per second.
func replicasRun(cfg replicasConfig, n int, keyFile string) (float64, error) {
	dsn, drop, pg, err := freshSchema(cfg.database)
	if err != nil {
		return 0, err
	}
	defer drop()
	procs := "default (" + strconv.Itoa(runtime.NumCPU()) + ")"
	if cfg.splitCores && n > 1 {
		p := strconv.Itoa(max(1, runtime.NumCPU()/n))
		procs = p
		old, had := os.LookupEnv("GOMAXPROCS")
		os.Setenv("GOMAXPROCS", p) // the servers' environment: startServer passes os.Environ()
		defer func() {
			if had {
				os.Setenv("GOMAXPROCS", old)
			} else {
				os.Unsetenv("GOMAXPROCS")
			}
		}()
	}
	servers := make([]*bench, n)
	for i := range n {
		b, stop, err := startServer(cfg.bin, dsn, cfg.requestLog, "--secret-key-file", keyFile)
		if err != nil {
			return 0, err
		}
		defer stop()
		servers[i] = b
	}
	// The directories, made through the first server (its own setup made
	// one already).
	type dir struct{ id, token string }
	dirs := []dir{{servers[0].dir, servers[0].token}}
	for len(dirs) < cfg.dirs {
		if err := servers[0].setup(servers[0].key); err != nil {
			return 0, err
		}
		dirs = append(dirs, dir{servers[0].dir, servers[0].token})
	}
	cpu0 := make([]time.Duration, n)
	for i, s := range servers {
		cpu0[i] = s.cpu()
	}
	load0 := loadAverage()
	pg0 := pg()
	var next atomic.Int64
	lat := make([][]time.Duration, cfg.clients)
	errc := make(chan error, cfg.clients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range cfg.clients {
		s, d := servers[c%n], dirs[c%len(dirs)]
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= cfg.users {
					return
				}
				body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"User.%07d@Example.com","externalId":"00u%07d","name":{"givenName":"Given%d","familyName":"Family%d"},"emails":[{"primary":true,"value":"user.%07d@example.com","type":"work"}],"active":true}`, i, i, i, i, i)
				t := time.Now()
				status, resp, err := s.do("POST", "/scim/v2/"+d.id+"/Users", []byte(body), d.token)
				if err == nil && status != 201 {
					err = fmt.Errorf("POST /Users via %s: %d %s", s.base, status, resp)
				}
				if err != nil {
					errc <- err
					return
				}
				lat[c] = append(lat[c], time.Since(t))
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	close(errc)
	if err := <-errc; err != nil {
		return 0, err
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	q := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000 }
	var cpu []string
	var total time.Duration
	for i, s := range servers {
		d := s.cpu() - cpu0[i]
		total += d
		cpu = append(cpu, fmt.Sprintf("%.1fs", d.Seconds()))
	}
	pgUsed := pg() - pg0
	rate := float64(cfg.users) / el.Seconds()
	fmt.Printf("replicas=%d (GOMAXPROCS %s each): %d users over %d directories from %d clients in %.1fs: %.0f users/s; create median %.2f ms, p99 %.2f ms; server CPU %s (%.0f µs per user); PostgreSQL backends %.1fs (%.0f µs per user); load average %s → %s\n",
		n, procs, cfg.users, len(dirs), cfg.clients, el.Seconds(), rate, q(0.5), q(0.99), strings.Join(cpu, " + "),
		total.Seconds()*1e6/float64(cfg.users), pgUsed.Seconds(), pgUsed.Seconds()*1e6/float64(cfg.users), load0, loadAverage())
	return rate, nil
}

// freshSchema makes a new schema in the database at base and returns a
// URL whose search_path is it (and whose application_name marks the
// servers' connections), a function that drops it, and one that sums the
// CPU time of the PostgreSQL backends serving those connections (read
// from /proc: the database must run on this machine, else it reads 0).
func freshSchema(base string) (string, func(), func() time.Duration, error) {
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, nil, err
	}
	name := "scimbench_" + randHex(6)
	if _, err := db.Exec(`CREATE SCHEMA ` + name); err != nil {
		db.Close()
		return "", nil, nil, fmt.Errorf("creating schema %s: %w", name, err)
	}
	drop := func() {
		db.Exec(`DROP SCHEMA ` + name + ` CASCADE`)
		db.Close()
	}
	u, err := url.Parse(base)
	if err != nil {
		drop()
		return "", nil, nil, err
	}
	q := u.Query()
	q.Set("search_path", name)
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	cpu := func() time.Duration {
		rows, err := db.Query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, name)
		if err != nil {
			return 0
		}
		defer rows.Close()
		var total time.Duration
		for rows.Next() {
			var pid int
			if rows.Scan(&pid) == nil {
				total += procCPU(pid)
			}
		}
		return total
	}
	return u.String(), drop, cpu, nil
}

// procCPU reads a process's user+system CPU time from /proc/PID/stat.
func procCPU(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// loadAverage is the first field of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}
