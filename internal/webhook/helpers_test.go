package webhook

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/client"
	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/sqlstore"
	"github.com/scimbridge/scimbridge/internal/testenv"
)

// receiver is a real HTTP endpoint on loopback that verifies every request
// with client.VerifyWebhook and records what it accepted.
type receiver struct {
	t       *testing.T
	srv     *httptest.Server
	secrets []string // each must verify every request on its own
	// status, when set, decides the answer to a verified request (0: 204).
	status func(n int64) int
	delay  time.Duration

	requests atomic.Int64
	mu       sync.Mutex
	got      map[string][]int64 // directory → sequences accepted (2xx), in arrival order
	ids      map[string]int     // webhook-id → times accepted
	sigs     []string
	bad      []string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, got: map[string][]int64{}, ids: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	n := r.requests.Add(1)
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	secrets := r.secrets
	r.mu.Unlock()
	for _, s := range secrets {
		if err := client.VerifyWebhook(s, req.Header, body, 0); err != nil {
			r.mu.Lock()
			r.bad = append(r.bad, err.Error())
			r.mu.Unlock()
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
	}
	if r.delay > 0 {
		select {
		case <-time.After(r.delay):
		case <-req.Context().Done():
			return
		}
	}
	status := http.StatusNoContent
	if r.status != nil {
		status = r.status(n)
	}
	if status >= 200 && status <= 299 {
		var p struct {
			DirectoryID string `json:"directory_id"`
			Sequence    int64  `json:"sequence"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			r.mu.Lock()
			r.bad = append(r.bad, "body: "+err.Error())
			r.mu.Unlock()
		}
		r.mu.Lock()
		r.got[p.DirectoryID] = append(r.got[p.DirectoryID], p.Sequence)
		r.ids[req.Header.Get(HeaderID)]++
		r.sigs = append(r.sigs, req.Header.Get(HeaderSignature))
		r.mu.Unlock()
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "answer %d", status)
}

// accepted returns how many distinct webhook-ids were accepted.
func (r *receiver) accepted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ids)
}

func (r *receiver) checkNoBad() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		r.t.Errorf("receiver rejected %d requests, first: %s", len(r.bad), r.bad[0])
	}
}

// checkOrder checks that each directory's accepted sequences, with
// duplicates of an already accepted one allowed, are 1..n in order.
func (r *receiver) checkOrder(dirs map[string]int, allowDuplicates bool) {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for dir, n := range dirs {
		next := int64(1)
		for _, seq := range r.got[dir] {
			switch {
			case seq == next:
				next++
			case seq < next && allowDuplicates:
			default:
				r.t.Errorf("directory %s: got sequence %d, expected %d (order %v)", dir, seq, next, r.got[dir])
				return
			}
		}
		if next != int64(n)+1 {
			r.t.Errorf("directory %s: received up to %d of %d", dir, next-1, n)
		}
	}
}

// env is a store, a secret box, a webhook service and an endpoint pointing
// at a receiver.
type env struct {
	t      *testing.T
	st     *sqlstore.Store
	box    *Box
	svc    *directory.WebhookService
	ep     directory.WebhookEndpoint
	secret string
	rcv    *receiver
	org    directory.Organization
	dsvc   *directory.Service
}

// directories creates n directories in the env's organization.
func (e *env) directories(n int) []directory.Directory {
	e.t.Helper()
	var out []directory.Directory
	for i := 0; i < n; i++ {
		d, err := e.dsvc.CreateDirectory(context.Background(), e.org.ID, "okta", "")
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// provision creates n users in each directory, the directories in
// parallel, and returns how many events each directory got (n each).
func (e *env) provision(dirs []directory.Directory, n int) map[string]int {
	e.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(dirs))
	want := map[string]int{}
	for _, d := range dirs {
		want[d.ID] = n
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				if _, err := e.dsvc.CreateUser(context.Background(), d, map[string]any{"userName": fmt.Sprintf("u%d@%s.example", i, d.ID)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		e.t.Fatal(err)
	}
	return want
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func openStore(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func sqliteDSN(t *testing.T) string { return filepath.Join(t.TempDir(), "db.sqlite") }

// postgresDSN returns a DSN of a migrated schema of its own, or skips.
func postgresDSN(t *testing.T) string { return testenv.PostgresURL(t) }

func newEnv(t *testing.T, dsn string) *env {
	t.Helper()
	st := openStore(t, dsn)
	t.Cleanup(func() { st.Close() })
	key := make([]byte, 32)
	rand.Read(key)
	box, err := NewBox(key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ids := directory.IDs{Now: time.Now, Rand: rand.Reader}
	e := &env{t: t, st: st, box: box, rcv: newReceiver(t),
		svc: &directory.WebhookService{Store: st, Events: st, Secrets: box, IDs: ids, Logger: discard}}
	e.dsvc = &directory.Service{Store: st, Schemas: schema.New(), IDs: ids, Logger: discard}
	e.org, err = e.dsvc.CreateOrganization(context.Background(), "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	e.ep, e.secret, err = e.svc.CreateWebhookEndpoint(context.Background(), directory.WebhookEndpointInput{URL: e.rcv.srv.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	e.rcv.secrets = []string{e.secret}
	return e
}

// worker returns a worker over store st with fast test settings.
func (e *env) worker(st *sqlstore.Store) *Worker {
	return &Worker{
		Store: st, Events: st, Secrets: e.box, HTTP: NewHTTPClient(), Logger: testLogger(e.t),
		IDs:      directory.IDs{Now: time.Now, Rand: rand.Reader},
		Schedule: []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 60 * time.Millisecond, 80 * time.Millisecond, 100 * time.Millisecond},
		Poll:     10 * time.Millisecond, Timeout: 2 * time.Second, Lease: 3 * time.Second,
	}
}

// enqueue puts n deliveries for each directory of dirs (sequences 1..n) on
// the endpoint, interleaved across directories.
func (e *env) enqueue(dirs []string, n int) map[string]int {
	e.t.Helper()
	var ds []directory.WebhookDelivery
	want := map[string]int{}
	pos := int64(0)
	for seq := 1; seq <= n; seq++ {
		for _, dir := range dirs {
			pos++
			ev := directory.Event{ID: fmt.Sprintf("evt_%s_%d", dir, seq), Type: directory.EventUserCreated, OccurredAt: time.Now(),
				OrganizationID: e.org.ID, DirectoryID: dir, Sequence: int64(seq), Position: pos, Data: json.RawMessage(`{"id":"diruser_x"}`)}
			d, err := directory.NewDelivery(e.svc.IDs, e.ep.ID, ev, time.Now())
			if err != nil {
				e.t.Fatal(err)
			}
			// Not a real feed event: store its body.
			if d.Payload, err = directory.WebhookPayload(ev); err != nil {
				e.t.Fatal(err)
			}
			ds = append(ds, d)
		}
	}
	for _, dir := range dirs {
		want[dir] = n
	}
	if err := e.st.EnqueueDeliveries(context.Background(), ds); err != nil {
		e.t.Fatal(err)
	}
	return want
}

// run starts w and returns a function that stops it and waits.
func run(t *testing.T, w *Worker) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// pending counts the endpoint's deliveries still pending.
func (e *env) pending(st *sqlstore.Store) int {
	e.t.Helper()
	ds, err := st.ListWebhookDeliveries(context.Background(), e.ep.ID, "", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, d := range ds {
		if d.Status == directory.DeliveryPending {
			n++
		}
	}
	return n
}

// testLogger logs to t when -v is given.
func testLogger(t *testing.T) *slog.Logger {
	if !testing.Verbose() {
		return discard
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, nil))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
