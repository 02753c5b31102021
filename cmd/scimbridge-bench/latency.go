package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimbridge/scimbridge/internal/netdelay"
)

// The "dirlatency" scenario: PostgreSQL behind a delaying proxy
// (internal/netdelay), as when the database is on another host, and
// -clients clients creating users all in ONE directory or spread over
// four, the two taking turns. Writers of one directory used to queue on its lock
// for the whole transaction, so one directory was several times slower
// than four; now they commit in parallel (docs/architecture.md).
//
//	go run ./cmd/scimbridge-bench -scenario dirlatency -database 'postgres://…/bench?sslmode=disable' -db-rtt 1ms -users 2000

type latencyConfig struct {
	users, clients int
	rtt            time.Duration
	bin, database  string
	requestLog     bool
	serverArgs     []string
}

func runDirLatency(c latencyConfig) error {
	if c.database == "" {
		return errors.New("the dirlatency scenario needs -database (a PostgreSQL URL)")
	}
	u, err := url.Parse(c.database)
	if err != nil {
		return fmt.Errorf("-database: %w", err)
	}
	proxy := &netdelay.Proxy{Target: u.Host, Delay: c.rtt / 2}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- proxy.Serve(ln) }()
	defer func() {
		ln.Close()
		<-served
	}()
	u.Host = ln.Addr().String()
	b, stop, err := startServer(c.bin, u.String(), c.requestLog, c.serverArgs...)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Printf("dirlatency: PostgreSQL behind a proxy adding %v per round trip; %d clients, %d users per run\n", c.rtt, c.clients, c.users)

	// Warm up (connections, statement caches) in a directory of its own.
	warm, err := b.addDirectory("warm-up")
	if err != nil {
		return err
	}
	if _, err := b.createSpread([]dirToken{warm}, 200, c.clients, "warm"); err != nil {
		return err
	}

	one := []dirToken{{dir: b.dir, token: b.token}}
	var four []dirToken
	for i := 0; i < 4; i++ {
		d, err := b.addDirectory(fmt.Sprintf("spread-%d", i))
		if err != nil {
			return err
		}
		four = append(four, d)
	}
	// The two layouts take turns, a quarter of the users at a time, so
	// that a burst of other work on the machine weighs on both alike.
	var r1, r4 spreadResult
	var trips1, trips4 int64
	var cpu1, cpu4 time.Duration
	for round := 0; round < latencyRounds; round++ {
		n := c.users / latencyRounds
		for _, run := range []struct {
			dirs  []dirToken
			into  *spreadResult
			trips *int64
			cpu   *time.Duration
		}{{one, &r1, &trips1, &cpu1}, {four, &r4, &trips4, &cpu4}} {
			t0, c0 := proxy.RoundTrips(), b.cpu()
			r, err := b.createSpread(run.dirs, n, c.clients, fmt.Sprintf("r%d-%d", round, len(run.dirs)))
			if err != nil {
				return err
			}
			*run.trips += proxy.RoundTrips() - t0
			*run.cpu += b.cpu() - c0
			run.into.add(r)
		}
	}
	r1.report("one directory", float64(trips1)/float64(r1.n), cpu1/time.Duration(r1.n))
	r4.report("four directories", float64(trips4)/float64(r4.n), cpu4/time.Duration(r4.n))
	fmt.Printf("one directory / four directories: %.2f× the rate\n", r1.rate()/r4.rate())
	return nil
}

type dirToken struct{ dir, token string }

// addDirectory makes a directory (in an organization of its own) and a
// token for it.
func (b *bench) addDirectory(name string) (dirToken, error) {
	var org, dir, tok map[string]any
	if err := b.mgmt("POST", "/api/v1/organizations", `{"name":"`+name+`"}`, b.key, &org); err != nil {
		return dirToken{}, err
	}
	if err := b.mgmt("POST", "/api/v1/organizations/"+org["id"].(string)+"/directories", `{"provider":"okta","name":"`+name+`"}`, b.key, &dir); err != nil {
		return dirToken{}, err
	}
	id := dir["id"].(string)
	if err := b.mgmt("POST", "/api/v1/directories/"+id+"/tokens", `{}`, b.key, &tok); err != nil {
		return dirToken{}, err
	}
	return dirToken{dir: id, token: tok["token"].(string)}, nil
}

// latencyRounds is how many turns each layout takes.
const latencyRounds = 4

type spreadResult struct {
	n       int
	elapsed time.Duration
	lat     []time.Duration
}

func (r spreadResult) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// add adds another run's creates to r.
func (r *spreadResult) add(o spreadResult) {
	r.n += o.n
	r.elapsed += o.elapsed
	r.lat = append(r.lat, o.lat...)
}

func (r spreadResult) report(name string, tripsPerCreate float64, cpuPerCreate time.Duration) {
	lat := r.lat
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	fmt.Printf("%-17s %.0f creates/s, median %.2f ms, p90 %.2f ms, p99 %.2f ms, %.1f database round trips and %d µs server CPU per create\n",
		name+":", r.rate(), q(0.5), q(0.9), q(0.99), tripsPerCreate, cpuPerCreate.Microseconds())
}

// createSpread creates n users from clients clients, client i in dirs[i %
// len(dirs)], and returns the rate and each create's latency.
func (b *bench) createSpread(dirs []dirToken, n, clients int, prefix string) (spreadResult, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, clients)
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := dirs[c%len(dirs)]
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"%s.%07d@example.com","name":{"givenName":"G%d","familyName":"F%d"},"emails":[{"primary":true,"value":"%s.%07d@example.com"}],"active":true}`,
					prefix, i, i, i, prefix, i)
				t := time.Now()
				status, resp, err := b.do("POST", "/scim/v2/"+d.dir+"/Users", []byte(body), d.token)
				lat[i] = time.Since(t)
				if err == nil && status != 201 {
					err = fmt.Errorf("POST /Users: %d %s", status, resp)
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return spreadResult{}, err
	}
	return spreadResult{n: n, elapsed: time.Since(start), lat: lat}, nil
}
