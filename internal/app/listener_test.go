package app_test

import (
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// watchedListener is a listener that reports, instead of tests sleeping
// and hoping: how many bytes the server has read from the connections it
// accepted, and whether the server has closed it (http.Server.Shutdown
// closes its listeners first).
type watchedListener struct {
	net.Listener
	mu     sync.Mutex
	cond   *sync.Cond
	read   int
	closed bool
}

func watch(ln net.Listener) *watchedListener {
	w := &watchedListener{Listener: ln}
	w.cond = sync.NewCond(&w.mu)
	return w
}

func (w *watchedListener) Accept() (net.Conn, error) {
	c, err := w.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &watchedConn{Conn: c, w: w}, nil
}

func (w *watchedListener) Close() error {
	w.mu.Lock()
	w.closed = true
	w.cond.Broadcast()
	w.mu.Unlock()
	return w.Listener.Close()
}

// reset forgets the bytes read so far.
func (w *watchedListener) reset() {
	w.mu.Lock()
	w.read = 0
	w.mu.Unlock()
}

// waitRead waits until the server has read part of a request since the
// last reset. On a new connection (see freshClient) the request is then in
// flight and Shutdown waits for it: a connection that is not yet active is
// closed as idle only after 5 s. (A reused keep-alive connection would
// not do: it counts as idle until the server has parsed the headers.)
func (w *watchedListener) waitRead(t *testing.T) {
	t.Helper()
	w.wait(t, "the server to read the request", func() bool { return w.read > 0 })
}

// waitClosed waits until the server has closed the listener.
func (w *watchedListener) waitClosed(t *testing.T) {
	t.Helper()
	w.wait(t, "shutdown to close the listener", func() bool { return w.closed })
}

func (w *watchedListener) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	timer := time.AfterFunc(30*time.Second, func() {
		w.mu.Lock()
		w.cond.Broadcast()
		w.mu.Unlock()
	})
	defer timer.Stop()
	deadline := time.Now().Add(30 * time.Second)
	w.mu.Lock()
	defer w.mu.Unlock()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		w.cond.Wait()
	}
}

type watchedConn struct {
	net.Conn
	w *watchedListener
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.w.mu.Lock()
		c.w.read += n
		c.w.cond.Broadcast()
		c.w.mu.Unlock()
	}
	return n, err
}

// freshClient is a client whose requests go out on a connection of their
// own, never on one kept alive by an earlier request.
func freshClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}
