package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The "bigread" scenario measures the server's memory when one directory
// holds resources at the largest sizes the limits allow and clients read
// them in lists (docs/performance.md, "Memory under large resources"):
//
//  1. fill: users of just under 1 MiB each (15 addresses with a 64 KiB
//     streetAddress, a 60,000-byte title), created over SCIM;
//  2. SCIM lists: -clients concurrent clients page through every user with
//     GET /Users?count=1000, -rounds times each;
//  3. management API lists: -clients concurrent clients page through the
//     users with include_detail=true&page_size=100 and through the events
//     feed with limit=1000;
//  4. non-reading clients: -nonreaders connections each send
//     GET /Users?count=1000 and read nothing for -hold.
//
// While each phase runs, the server's VmRSS is sampled every 10 ms from
// /proc; the scenario reports the peak of each phase.

type bigreadConfig struct {
	users, clients, rounds, nonReaders int
	hold                               time.Duration
	bin, database                      string
	requestLog                         bool
	serverArgs                         []string
}

func runBigRead(c bigreadConfig) error {
	b, stop, err := startServer(c.bin, c.database, c.requestLog, c.serverArgs...)
	if err != nil {
		return err
	}
	defer stop()

	start := time.Now()
	if err := parallel(c.users, 4, b.createBigUser); err != nil {
		return err
	}
	fmt.Printf("fill: %d users of about 1 MiB in %.1fs; server %s\n", c.users, time.Since(start).Seconds(), b.memory())

	m := &readMeter{b: b}
	count, phase := m.count, m.phase
	err = phase(fmt.Sprintf("%d concurrent SCIM lists (GET /Users?count=1000)", c.clients), func() error {
		return parallel(c.clients, c.clients, func(int) error { return b.scimListAll(c.rounds, count) })
	})
	if err != nil {
		return err
	}

	err = phase(fmt.Sprintf("%d concurrent API lists (users with detail, events)", c.clients), func() error {
		return parallel(c.clients, c.clients, func(i int) error {
			for range c.rounds {
				var err error
				if i%2 == 0 {
					err = b.pageAPI("/api/v1/directories/"+b.dir+"/users?include_detail=true&page_size=100", "page_token", "next_page_token", count)
				} else {
					err = b.pageAPI("/api/v1/events?limit=1000", "after", "next_cursor", count)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return err
	}

	if c.nonReaders > 0 {
		var statuses map[string]int
		err = phase(fmt.Sprintf("%d clients that never read (GET /Users?count=1000)", c.nonReaders), func() error {
			var err error
			statuses, err = b.nonReaders(c.nonReaders, c.hold)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Printf("non-reading clients: status lines read after %s: %v\n", c.hold, statuses)
	}
	fmt.Printf("server at end: %s\n", b.memory())
	return nil
}

// readMeter counts what a phase of the big-read benchmark read.
type readMeter struct {
	b                         *bench
	pages, bytesRead, largest atomic.Int64
}

// count records one response of n bytes.
func (m *readMeter) count(n int) {
	m.pages.Add(1)
	m.bytesRead.Add(int64(n))
	for {
		l := m.largest.Load()
		if int64(n) <= l || m.largest.CompareAndSwap(l, int64(n)) {
			return
		}
	}
}

// phase runs one phase and reports what it read and the server's peak RSS.
func (m *readMeter) phase(name string, run func() error) error {
	m.pages.Store(0)
	m.bytesRead.Store(0)
	m.largest.Store(0)
	t := time.Now()
	peak, err := m.b.watchRSS(run)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Printf("%-58s %5.1fs, %4d responses, %6.1f MiB read, largest response %5.1f MiB; server peak RSS %4d MiB\n",
		name+":", time.Since(t).Seconds(), m.pages.Load(), float64(m.bytesRead.Load())/(1<<20), float64(m.largest.Load())/(1<<20), peak>>10)
	return nil
}

// scimListAll pages through every user over SCIM, 1,000 at a time, rounds
// times.
func (b *bench) scimListAll(rounds int, count func(int)) error {
	for range rounds {
		for startIndex := 1; ; {
			status, body, err := b.do("GET", fmt.Sprintf("/scim/v2/%s/Users?count=1000&startIndex=%d", b.dir, startIndex), nil, b.token)
			if err != nil {
				return err
			}
			if status != 200 {
				return fmt.Errorf("GET /Users: %d %.300s", status, body)
			}
			count(len(body))
			var page struct{ TotalResults, ItemsPerPage int }
			if err := json.Unmarshal(body, &page); err != nil {
				return err
			}
			startIndex += page.ItemsPerPage
			if page.ItemsPerPage == 0 || startIndex > page.TotalResults {
				break
			}
		}
	}
	return nil
}

// createBigUser creates user i at the largest size the default limits
// allow: every string at most 64 KiB, the document just under 1 MiB.
func (b *bench) createBigUser(i int) error {
	street := strings.Repeat("s", 64<<10)
	addrs := make([]any, 15)
	for j := range addrs {
		addrs[j] = map[string]any{"type": "t" + strconv.Itoa(j), "streetAddress": street}
	}
	body := mustJSON(map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": fmt.Sprintf("big.%05d@example.com", i), "active": true,
		"title":     strings.Repeat("t", 60000),
		"addresses": addrs,
	})
	status, resp, err := b.do("POST", "/scim/v2/"+b.dir+"/Users", body, b.token)
	if err != nil {
		return err
	}
	if status != 201 {
		return fmt.Errorf("POST /Users (%d bytes): %d %.300s", len(body), status, resp)
	}
	return nil
}

// pageAPI follows a management API list to its end.
func (b *bench) pageAPI(path, param, member string, count func(int)) error {
	cursor := ""
	for range 100000 {
		p := path
		if cursor != "" {
			p += "&" + param + "=" + url.QueryEscape(cursor)
		}
		status, body, err := b.do("GET", p, nil, b.key)
		if err != nil {
			return err
		}
		if status != 200 {
			return fmt.Errorf("GET %s: %d %.300s", p, status, body)
		}
		count(len(body))
		var page map[string]json.RawMessage
		if err := json.Unmarshal(body, &page); err != nil {
			return err
		}
		var data []json.RawMessage
		if err := json.Unmarshal(page["data"], &data); err != nil {
			return err
		}
		var tok *string
		if err := json.Unmarshal(page[member], &tok); err != nil {
			return err
		}
		if tok == nil || len(data) == 0 {
			return nil
		}
		cursor = *tok
	}
	return fmt.Errorf("GET %s: more than 100000 pages", path)
}

// nonReaders opens n connections that each send a list request and read
// nothing for hold (with a 4 KiB receive buffer, so that the kernel takes
// little of the response off the server), then reads each status line.
func (b *bench) nonReaders(n int, hold time.Duration) (map[string]int, error) {
	addr := strings.TrimPrefix(b.base, "http://")
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
		c.(*net.TCPConn).SetReadBuffer(4096)
		if _, err := fmt.Fprintf(c, "GET /scim/v2/%s/Users?count=1000 HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", b.dir, addr, b.token); err != nil {
			return nil, err
		}
	}
	time.Sleep(hold)
	statuses := map[string]int{}
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			statuses["no answer"]++
			continue
		}
		f := strings.Fields(line)
		if len(f) >= 2 {
			statuses[f[1]]++
		}
	}
	return statuses, nil
}

// watchRSS runs f while sampling the server's VmRSS every 10 ms, and
// returns the peak in KiB.
func (b *bench) watchRSS(f func() error) (int, error) {
	done := make(chan struct{})
	var peak atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if kb := b.rssKiB(); int64(kb) > peak.Load() {
				peak.Store(int64(kb))
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	err := f()
	close(done)
	wg.Wait()
	return int(peak.Load()), err
}

// rssKiB reads the server's VmRSS in KiB.
func (b *bench) rssKiB() int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", b.pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}
