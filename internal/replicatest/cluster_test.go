package replicatest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/apitest"
	"github.com/scimbridge/scimbridge/internal/testpg"
)

// replica is one `scimbridge serve` child process.
type replica struct {
	n    int
	base string   // http://127.0.0.1:port
	args []string // the command line
	cmd  *exec.Cmd
	log  *lockedWriter // its stderr
	done chan struct{} // closed when it has exited
	// killing: SIGKILL is on its way, requests to it may fail; dead: it
	// has exited, the load balancer no longer picks it.
	killing, dead atomic.Bool
}

// cluster is the replicas, the management API key and an HTTP client.
type cluster struct {
	t        *testing.T
	replicas []*replica
	key      string
	dsn      string // the PostgreSQL URL every replica gets
	http     *http.Client
	next     atomic.Uint64 // round-robin position
}

// buildBinary builds cmd/scimbridge into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "scimbridge")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	// No symbol table or DWARF: the link is the slow part of the build.
	cmd := exec.Command(gobin, "build", "-ldflags=-s -w", "-o", bin, "github.com/scimbridge/scimbridge/cmd/scimbridge")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building scimbridge: %v\n%s", err, out)
	}
	return bin
}

// startCluster builds the binary and starts n replicas on a fresh
// PostgreSQL schema, all at once (they race to migrate it), with one
// shared secret key file, and waits until each answers /readyz.
func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	dsn := testpg.Schema(t) // dropped last: registered before the replicas' cleanup
	tmp := t.TempDir()
	built := time.Now()
	bin := buildBinary(t, tmp)
	t.Logf("built scimbridge in %v", time.Since(built).Round(time.Millisecond))
	keyFile := filepath.Join(tmp, "secret.key")
	if err := os.WriteFile(keyFile, []byte(randHex(32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, key: "replicatest-" + randHex(24), dsn: dsn,
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32, Proxy: nil},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	for i := range n {
		port := strconv.Itoa(freePort(t))
		r := &replica{n: i, base: "http://127.0.0.1:" + port,
			args: []string{bin, "serve", "--addr", "127.0.0.1:" + port,
				"--data-dir", filepath.Join(tmp, fmt.Sprintf("data%d", i)), "--secret-key-file", keyFile,
				"--public-url", "http://scim.replicatest.example", "--log-level", "warn", "--database-max-conns", "8"}}
		c.launch(r)
		c.replicas = append(c.replicas, r)
	}
	t.Cleanup(func() {
		for _, r := range c.replicas {
			r.cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, r := range c.replicas {
			select {
			case <-r.done:
			case <-time.After(20 * time.Second):
				r.cmd.Process.Kill()
				<-r.done
			}
			if t.Failed() {
				t.Logf("replica %d log:\n%s", r.n, r.log.String())
			}
		}
	})
	for _, r := range c.replicas {
		c.waitReady(r)
	}
	return c
}

// launch starts r's process (again, after it exited).
func (c *cluster) launch(r *replica) {
	r.log, r.done = &lockedWriter{}, make(chan struct{})
	r.cmd = exec.Command(r.args[0], r.args[1:]...)
	r.cmd.Env = append(os.Environ(), "SCIMBRIDGE_DATABASE="+c.dsn, "SCIMBRIDGE_API_KEY="+c.key)
	r.cmd.Stdout, r.cmd.Stderr = io.Discard, r.log
	dieWithParent(r.cmd)
	if err := r.cmd.Start(); err != nil {
		c.t.Fatalf("starting replica %d: %v", r.n, err)
	}
	cmd, done := r.cmd, r.done
	go func() { cmd.Wait(); close(done) }()
}

// restart starts replica i again after it was killed, and waits until it
// is ready and back in the load balancer's rotation.
func (c *cluster) restart(i int) {
	r := c.replicas[i]
	<-r.done
	c.launch(r)
	c.waitReady(r)
	r.killing.Store(false)
	r.dead.Store(false)
}

// waitReady waits (up to 60 s) until r answers /readyz with 200.
func (c *cluster) waitReady(r *replica) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := c.http.Get(r.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-r.done:
			c.t.Fatalf("replica %d exited before it was ready:\n%s", r.n, r.log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("replica %d not ready after 60 s:\n%s", r.n, r.log.String())
		}
	}
}

// lockedWriter is a buffer a child process writes while the test reads.
type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// kill ends replica i with SIGKILL and waits for it to be gone.
func (c *cluster) kill(i int) { c.stop(i, syscall.SIGKILL) }

// stop sends sig to replica i and waits for it to be gone (at most 40 s:
// a SIGTERM drains for up to 30).
func (c *cluster) stop(i int, sig syscall.Signal) {
	r := c.replicas[i]
	r.killing.Store(true)
	if err := r.cmd.Process.Signal(sig); err != nil {
		c.t.Fatalf("signalling replica %d: %v", i, err)
	}
	select {
	case <-r.done:
	case <-time.After(40 * time.Second):
		c.t.Fatalf("replica %d still running 40 s after %v", i, sig)
	}
	r.dead.Store(true)
}

// pick returns the next live replica, round-robin, as a load balancer
// that health-checks its backends would.
func (c *cluster) pick() *replica {
	for {
		r := c.replicas[int(c.next.Add(1)-1)%len(c.replicas)]
		if !r.dead.Load() {
			return r
		}
	}
}

// response is one HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %d %s: %v", r.status, r.body, err)
	}
}

// do sends one request to replica r. auth is the full Authorization
// header value ("" for none); body is JSON-encoded unless it is []byte or
// nil.
func (c *cluster) do(r *replica, method, path, auth string, body any, header ...string) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, r.base+path, rd)
	if err != nil {
		return response{}, err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if rd != nil {
		ct := "application/json"
		if strings.HasPrefix(path, "/scim/") {
			ct = "application/scim+json"
		}
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, header: resp.Header, body: b}
	if err == nil && strings.HasPrefix(path, "/api/v1/") {
		c.checkAPI(method, path, out)
	}
	return out, err
}

// checkAPI reports a management API answer that docs/openapi.yaml does not
// describe (apitest.Validate, replaying the answer the replica gave).
func (c *cluster) checkAPI(method, path string, resp response) {
	answer := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, vs := range resp.header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.status)
		w.Write(resp.body)
	})
	req := httptest.NewRequest(method, path, nil)
	apitest.Validate(c.t, answer).ServeHTTP(httptest.NewRecorder(), req)
}

// must sends a request and fails the test unless the status is want.
func (c *cluster) must(r *replica, method, path, auth string, body any, want int) response {
	c.t.Helper()
	resp, err := c.do(r, method, path, auth, body)
	if err != nil {
		c.t.Fatalf("replica %d: %s %s: %v", r.n, method, path, err)
	}
	if resp.status != want {
		c.t.Fatalf("replica %d: %s %s: %d, want %d: %s", r.n, method, path, resp.status, want, resp.body)
	}
	return resp
}

// api calls the management API on the next replica.
func (c *cluster) api(method, path string, body any, want int, out any) {
	c.t.Helper()
	resp := c.must(c.pick(), method, path, "Bearer "+c.key, body, want)
	if out != nil {
		resp.decode(c.t, out)
	}
}

// directory is one organization's directory with a SCIM token.
type directory struct {
	org, id, token, tokenID string
}

// newDirectory creates an organization (or uses org) and a directory with
// a token, each call through another replica.
func (c *cluster) newDirectory(org, provider, name string) directory {
	c.t.Helper()
	if org == "" {
		var o struct{ ID string }
		c.api("POST", "/api/v1/organizations", map[string]string{"name": name + " Corp"}, 201, &o)
		org = o.ID
	}
	var d struct{ ID string }
	c.api("POST", "/api/v1/organizations/"+org+"/directories", map[string]string{"provider": provider, "name": name}, 201, &d)
	var tok struct{ ID, Token string }
	c.api("POST", "/api/v1/directories/"+d.ID+"/tokens", map[string]any{}, 201, &tok)
	return directory{org: org, id: d.ID, token: tok.Token, tokenID: tok.ID}
}

// roundRobin is an http.RoundTripper that sends each request to the next
// live replica, whatever host the URL names: the load balancer in front
// of the cluster.
type roundRobin struct {
	c    *cluster
	base http.RoundTripper
}

func (rr roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	r := rr.c.pick()
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = "http", strings.TrimPrefix(r.base, "http://")
	req.Host = ""
	return rr.base.RoundTrip(req)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
