package app_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"strings"
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

// waitReadAtLeast waits until the server has read n bytes since the last
// reset.
func (w *watchedListener) waitReadAtLeast(t *testing.T, n int) {
	t.Helper()
	w.wait(t, fmt.Sprintf("the server to read %d bytes", n), func() bool { return w.read >= n })
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

// startInFlight sends a request whose body is still arriving, on a
// connection of its own, and returns once the request is in its handler:
// once the server has read the headers, and then the first part of the
// body. The server reads a body only inside the handler, so that second
// read proves the request got past http.Server's check for a shutdown
// under way, which drops a request whose headers it finishes reading after
// Shutdown began (waiting for any byte read was not enough: the headers
// alone would do, and the request was dropped about once in 30 runs).
// finish sends the rest of the body and reads the response.
func startInFlight(t *testing.T, ln *watchedListener, method, url string, header http.Header, first, rest string) (finish func() (*http.Response, error)) {
	t.Helper()
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n", method, u.RequestURI(), u.Host, len(first)+len(rest))
	header.Write(&head)
	head.WriteString("\r\n")
	ln.reset()
	if _, err := io.WriteString(conn, head.String()); err != nil {
		t.Fatal(err)
	}
	ln.waitReadAtLeast(t, head.Len())
	if _, err := io.WriteString(conn, first); err != nil {
		t.Fatal(err)
	}
	ln.waitReadAtLeast(t, head.Len()+len(first))
	return func() (*http.Response, error) {
		if _, err := io.WriteString(conn, rest); err != nil {
			return nil, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp, err
	}
}
