package netdelay

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// echo serves a line-echo server on a loopback port until the test ends.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadBytes('\n')
					if err != nil {
						return
					}
					if _, err := c.Write(line); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// start runs a proxy to target until the test ends and returns its address.
func start(t *testing.T, p *Proxy) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Serve(ln) }()
	t.Cleanup(func() {
		ln.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// TestDelayAndRoundTrips: each request/response costs at least 2×Delay,
// bytes arrive intact and in order, and the proxy counts one round trip per
// request, however many lines a request carries.
func TestDelayAndRoundTrips(t *testing.T) {
	p := &Proxy{Target: echo(t), Delay: 5 * time.Millisecond}
	c, err := net.Dial("tcp", start(t, p))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for i, req := range []string{"one\n", "two\nthree\n", "four\n"} {
		began := time.Now()
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		got := ""
		for len(got) < len(req) {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			got += line
		}
		if got != req {
			t.Errorf("request %d: echoed %q, want %q", i, got, req)
		}
		if took := time.Since(began); took < 2*p.Delay {
			t.Errorf("request %d took %v, under the round trip of %v", i, took, 2*p.Delay)
		}
	}
	if n := p.RoundTrips(); n != 3 {
		t.Errorf("RoundTrips = %d, want 3", n)
	}
}
