package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL sizes
)

// The "abuse" scenario: the flood that once filled disk and memory. For
// -duration, -clients attackers send SCIM requests with a wrong token and
// a 30 KB query string and User-Agent to an existing directory, while one
// legitimate client creates users in the same directory with its valid
// token, 20 a second (legitRate). -clients 0 measures that client alone,
// for comparison. It reports the database's growth, the server's memory, the
// attackers' answers and the legitimate client's create latency.
//
//	go run ./cmd/scimbridge-bench -scenario abuse -clients 32 -duration 60s
//
// The "reads" scenario: -users users, then -clients clients doing
// successful GETs (by id and by userName filter) for -duration; it
// reports the database's growth.
//
//	go run ./cmd/scimbridge-bench -scenario reads -users 20000 -clients 8 -duration 60s

// legitRate is how many users a second the abuse scenario's legitimate
// client creates.
const legitRate = 20

type abuseConfig struct {
	attackers, readers, users int
	duration                  time.Duration
	bin, database             string
	serverArgs                []string // extra flags for scimbridge serve
}

func runAbuse(cfg abuseConfig) error {
	b, stop, err := startServer(cfg.bin, cfg.database, true, cfg.serverArgs...)
	if err != nil {
		return err
	}
	defer stop()
	size0, err := b.dbSize()
	if err != nil {
		return err
	}
	fmt.Printf("abuse: %d attackers (wrong token, 30 KB query string and User-Agent) and 1 legitimate client creating %d users a second, for %s; database %s at start, %s\n",
		cfg.attackers, legitRate, cfg.duration, mb(size0), b.memory())
	huge := strings.Repeat("A", 30<<10)
	target := b.base + "/scim/v2/" + b.dir + "/Users?filter=" + huge
	attack := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.attackers}}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.duration)
	defer cancel()
	fl := &flood{}
	fl.attack(ctx, cfg.attackers, attack, target, huge)
	lc := &legitClient{}
	done := lc.run(ctx, b)
	statuses, sent, wg := fl.statuses, &fl.sent, &fl.wg
	start := time.Now()
	<-ctx.Done()
	wg.Wait()
	if err := <-done; err != nil {
		return err
	}
	el := time.Since(start)
	lat, peakRSS := lc.lat, max(lc.peakRSS, b.rssKB())
	time.Sleep(2 * time.Second) // the request log's last flush and summaries
	size1, err := b.dbSize()
	if err != nil {
		return err
	}
	var codes []string
	for k, v := range statuses {
		codes = append(codes, fmt.Sprintf("%d×%d", v, k))
	}
	sort.Strings(codes)
	fmt.Printf("attackers: %d requests in %.0fs (%.0f/s), answers %s\n", sent.Load(), el.Seconds(), float64(sent.Load())/el.Seconds(), strings.Join(codes, ", "))
	report("legitimate POST /Users during the flood", lat)
	growth := size1 - size0
	fmt.Printf("database growth: %s in %.0fs = %s per minute; server memory during the flood: peak RSS sampled %.0f MB; now %s\n",
		mb(growth), el.Seconds(), mb(int64(float64(growth)*60/el.Seconds())), float64(peakRSS)/1024, b.memory())
	return b.printLogState()
}

// flood is the attackers: wrong tokens, a 30 KB query string and
// User-Agent, as fast as the server answers.
type flood struct {
	mu       sync.Mutex
	statuses map[int]int // answers by status; -1: transport errors
	sent     atomic.Int64
	wg       sync.WaitGroup
}

// attack starts the attackers; they stop when ctx is done (wait on f.wg).
func (f *flood) attack(ctx context.Context, attackers int, attack *http.Client, target, huge string) {
	f.statuses = map[int]int{}
	for c := 0; c < attackers; c++ {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			local := map[int]int{}
			defer func() {
				f.mu.Lock()
				for k, v := range local {
					f.statuses[k] += v
				}
				f.mu.Unlock()
			}()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "GET", target, nil)
				req.Header.Set("Authorization", "Bearer scimb_dt_"+strconv.Itoa(c)+"wrongwrongwrongwrongwrongwrongwrong")
				req.Header.Set("User-Agent", "flood/"+huge)
				resp, err := attack.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						local[-1]++
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				local[resp.StatusCode]++
				f.sent.Add(1)
			}
		}()
	}
}

// legitClient is the legitimate client, and a sampler of the server's
// memory.
type legitClient struct {
	lat     []time.Duration
	peakRSS int64
}

// run starts the client; it stops when ctx is done and then sends its
// error (nil if none) on the channel returned; read lat and peakRSS only
// after that.
func (l *legitClient) run(ctx context.Context, b *bench) <-chan error {
	done := make(chan error, 1)
	go func() {
		// An IdP pushing users at a steady pace: legitRate creates a
		// second, each timed.
		tick := time.NewTicker(time.Second / legitRate)
		defer tick.Stop()
		for i := 0; ctx.Err() == nil; i++ {
			select {
			case <-tick.C:
			case <-ctx.Done():
				continue
			}
			t := time.Now()
			if _, err := b.createUser(i); err != nil {
				if ctx.Err() != nil {
					break
				}
				done <- err
				return
			}
			l.lat = append(l.lat, time.Since(t))
			if i%20 == 0 {
				l.peakRSS = max(l.peakRSS, b.rssKB())
			}
		}
		done <- nil
	}()
	return done
}

func runReads(cfg abuseConfig) error {
	b, stop, err := startServer(cfg.bin, cfg.database, true, cfg.serverArgs...)
	if err != nil {
		return err
	}
	defer stop()
	ids, err := b.createUsersMeasured(cfg.users, cfg.readers)
	var wg sync.WaitGroup
	if err != nil {
		return err
	}
	time.Sleep(2 * time.Second) // the creates' log entries are written
	size0, err := b.dbSize()
	if err != nil {
		return err
	}
	fmt.Printf("reads: %d users; database %s; %d clients doing successful GETs for %s\n", cfg.users, mb(size0), cfg.readers, cfg.duration)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.duration)
	defer cancel()
	var reads, failed atomic.Int64
	start := time.Now()
	for c := 0; c < cfg.readers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; ctx.Err() == nil; i += cfg.readers {
				n := (i * 7919) % cfg.users
				path := "/scim/v2/" + b.dir + "/Users/" + ids[n]
				if i%2 == 1 {
					path = "/scim/v2/" + b.dir + "/Users?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq "User.%07d@Example.com"`, n))
				}
				status, _, err := b.do("GET", path, nil, b.token)
				if ctx.Err() != nil {
					return
				}
				if err != nil || status != 200 {
					failed.Add(1)
					continue
				}
				reads.Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	time.Sleep(2 * time.Second)
	size1, err := b.dbSize()
	if err != nil {
		return err
	}
	growth := size1 - size0
	fmt.Printf("reads: %d successful GETs in %.0fs (%.0f/s), %d failed; database growth %s (%.0f bytes per read); %s\n",
		reads.Load(), el.Seconds(), float64(reads.Load())/el.Seconds(), failed.Load(), mb(growth), float64(growth)/float64(max(reads.Load(), 1)), b.memory())
	return b.printLogState()
}

// printLogState prints what the directory's request log holds: the
// newest entries' kinds and the count of entries not recorded.
func (b *bench) printLogState() error {
	status, raw, err := b.do("GET", "/api/v1/directories/"+b.dir+"/requests?page_size=100", nil, b.key)
	if err != nil {
		return err
	}
	if status != 200 {
		return fmt.Errorf("GET requests: %d %s", status, raw)
	}
	var page struct {
		Data []struct {
			Status       int  `json:"status"`
			MetadataOnly bool `json:"metadata_only"`
			Repeats      int  `json:"repeats"`
		} `json:"data"`
		NotRecorded struct {
			Count int64 `json:"count"`
		} `json:"not_recorded"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return err
	}
	var summaries, repeats, metadata int
	for _, e := range page.Data {
		if e.Repeats > 0 {
			summaries++
			repeats += e.Repeats
		}
		if e.MetadataOnly {
			metadata++
		}
	}
	fmt.Printf("request log (newest 100 entries): %d summary entries standing for %d requests, %d metadata-only; entries not recorded: %d\n",
		summaries, repeats, metadata, page.NotRecorded.Count)
	return nil
}

// dbSize is the size of the SQLite database with its WAL, or on
// PostgreSQL that of the request log's tables.
func (b *bench) dbSize() (int64, error) {
	if b.database != "" {
		db, err := sql.Open("pgx", b.database)
		if err != nil {
			return 0, err
		}
		defer db.Close()
		var n int64
		err = db.QueryRow(`SELECT pg_total_relation_size('scim_requests') + pg_total_relation_size('scim_request_usage')`).Scan(&n)
		return n, err
	}
	var total int64
	matches, err := filepath.Glob(filepath.Join(b.dataDir, "scimbridge.db*"))
	if err != nil {
		return 0, err
	}
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil {
			total += fi.Size()
		}
	}
	return total, nil
}

// rssKB reads the server's resident memory in KiB.
func (b *bench) rssKB() int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", b.pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
