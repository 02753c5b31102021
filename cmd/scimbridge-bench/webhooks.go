package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The "webhooks" scenario: user creation throughput with and without an
// active webhook endpoint (each on a fresh server), and the rate at which
// the worker delivers a backlog of events to a fast receiver on loopback.
//
//	go run ./cmd/scimbridge-bench -scenario webhooks -users 20000 -clients 8

type webhooksConfig struct {
	users, backlog, clients int
	bin, database           string
	requestLog              bool
}

// receiver is a fast webhook receiver: it answers 204 at once and counts
// deliveries, checking that each directory's sequences arrive in order.
type receiver struct {
	srv      *http.Server
	url      string
	accepted atomic.Int64
	mu       sync.Mutex
	lastSeq  map[string]int64
	outOfSeq int
	ids      map[string]bool
	dups     int
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/hook", lastSeq: map[string]int64{}, ids: map[string]bool{}}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

// field returns the JSON string or number after "name": in body, without
// decoding the whole document.
func field(body []byte, name string) string {
	key := []byte(`"` + name + `":`)
	at := bytes.Index(body, key)
	if at < 0 {
		return ""
	}
	rest := bytes.TrimLeft(body[at+len(key):], `"`)
	end := bytes.IndexAny(rest, `",}`)
	if end < 0 {
		return ""
	}
	return string(rest[:end])
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	dir := field(body, "directory_id")
	seq, _ := strconv.ParseInt(field(body, "sequence"), 10, 64)
	id := req.Header.Get("webhook-id")
	r.mu.Lock()
	if r.ids[id] {
		r.dups++
	} else {
		r.ids[id] = true
		if seq != r.lastSeq[dir]+1 && r.lastSeq[dir] != 0 {
			r.outOfSeq++
		}
		r.lastSeq[dir] = seq
		r.accepted.Add(1)
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// createUsersFrom creates users [from, from+n) from concurrent clients and
// returns the throughput and the server's CPU time per user.
func (b *bench) createUsersFrom(from, n, clients int) (float64, time.Duration, error) {
	cpu0 := b.cpu()
	start := time.Now()
	if err := parallel(n, clients, func(i int) error {
		_, err := b.createUser(from + i)
		return err
	}); err != nil {
		return 0, 0, err
	}
	return float64(n) / time.Since(start).Seconds(), (b.cpu() - cpu0) / time.Duration(n), nil
}

func (b *bench) mgmtStatus(method, path, body string, want int, out any) error {
	status, resp, err := b.do(method, path, []byte(body), b.key)
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("%s %s: %d %s", method, path, status, resp)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(resp, out)
}

func runWebhooks(cfg webhooksConfig) error {
	// 1. Without an endpoint.
	b, stop, err := startServer(cfg.bin, cfg.database, cfg.requestLog)
	if err != nil {
		return err
	}
	without, cpuWithout, err := b.createUsersFrom(0, cfg.users, cfg.clients)
	stop()
	if err != nil {
		return err
	}
	fmt.Printf("create users without a webhook endpoint: %d users, %d clients, %.0f users/s; server CPU %.0f µs per user\n",
		cfg.users, cfg.clients, without, float64(cpuWithout.Microseconds()))

	// 2. With one active endpoint, on a fresh server.
	rcv, err := startReceiver()
	if err != nil {
		return err
	}
	defer rcv.srv.Close()
	b, stop, err = startServer(cfg.bin, cfg.database, cfg.requestLog)
	if err != nil {
		return err
	}
	defer stop()
	var ep struct{ ID string }
	if err := b.mgmtStatus("POST", "/api/v1/webhook_endpoints", `{"url":"`+rcv.url+`"}`, 201, &ep); err != nil {
		return err
	}
	with, cpuWith, err := b.createUsersFrom(0, cfg.users, cfg.clients)
	if err != nil {
		return err
	}
	fmt.Printf("create users with one active webhook endpoint: %d users, %d clients, %.0f users/s (%+.1f%% vs without); server CPU %.0f µs per user, delivery included\n",
		cfg.users, cfg.clients, with, (with/without-1)*100, float64(cpuWith.Microseconds()))
	start := time.Now()
	if err := rcv.wait(int64(cfg.users), 5*time.Minute); err != nil {
		return err
	}
	fmt.Printf("  all %d user_created events delivered %.2fs after the last user was created\n", cfg.users, time.Since(start).Seconds())

	// 3. Delivery rate: a backlog made while the endpoint is disabled,
	// delivered once it is enabled (fan-out included).
	if err := b.mgmtStatus("PATCH", "/api/v1/webhook_endpoints/"+ep.ID, `{"enabled":false}`, 200, nil); err != nil {
		return err
	}
	if _, _, err := b.createUsersFrom(cfg.users, cfg.backlog, cfg.clients); err != nil {
		return err
	}
	cpu0 := b.cpu()
	start = time.Now()
	if err := b.mgmtStatus("PATCH", "/api/v1/webhook_endpoints/"+ep.ID, `{"enabled":true}`, 200, nil); err != nil {
		return err
	}
	if err := rcv.wait(int64(cfg.users+cfg.backlog), 5*time.Minute); err != nil {
		return err
	}
	el := time.Since(start)
	cpu := b.cpu() - cpu0
	fmt.Printf("deliver a backlog: %d events in %.2fs, %.0f events/s to one endpoint; server CPU %.0f µs per event\n",
		cfg.backlog, el.Seconds(), float64(cfg.backlog)/el.Seconds(), cpu.Seconds()*1e6/float64(cfg.backlog))
	rcv.mu.Lock()
	fmt.Printf("receiver: %d distinct deliveries, %d duplicates, %d out of sequence order\n", len(rcv.ids), rcv.dups, rcv.outOfSeq)
	rcv.mu.Unlock()
	fmt.Printf("server memory at end: %s\n", b.memory())
	return nil
}

func (r *receiver) wait(n int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for r.accepted.Load() < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("receiver got %d of %d deliveries within %s", r.accepted.Load(), n, timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return nil
}
