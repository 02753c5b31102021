package netdelay

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards the connections accepted by Serve to Target, each byte
// Delay late in each direction. The zero Delay forwards at once (a counting
// proxy). A Proxy must not be copied after first use.
type Proxy struct {
	Target string        // host:port to dial for each accepted connection
	Delay  time.Duration // one-way delay added to each direction

	trips atomic.Int64
	mu    sync.Mutex
	conns map[net.Conn]bool
}

// RoundTrips returns how many round trips the clients made so far.
func (p *Proxy) RoundTrips() int64 { return p.trips.Load() }

// Serve accepts connections on ln until it is closed, then closes the
// connections it is forwarding and returns. It returns nil when ln was
// closed.
func (p *Proxy) Serve(ln net.Listener) error {
	var wg sync.WaitGroup
	defer func() {
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		wg.Wait()
	}()
	for {
		client, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		server, err := net.Dial("tcp", p.Target)
		if err != nil {
			client.Close()
			continue
		}
		p.track(client, server)
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.forward(client, server)
		}()
	}
}

func (p *Proxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		p.conns = map[net.Conn]bool{}
	}
	for _, c := range cs {
		p.conns[c] = true
	}
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
		c.Close()
	}
}

// forward pipes both directions until either side closes.
func (p *Proxy) forward(client, server net.Conn) {
	defer p.untrack(client, server)
	// sending is true while the client is sending: a chunk from the
	// client when it is false starts a round trip.
	var sending atomic.Bool
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		p.pipe(server, client, func() {
			if !sending.Swap(true) {
				p.trips.Add(1)
			}
		})
		server.Close()
		client.Close()
	}()
	go func() {
		defer wg.Done()
		p.pipe(client, server, func() { sending.Store(false) })
		server.Close()
		client.Close()
	}()
	wg.Wait()
}

// chunk is bytes read at one time, due to be written at due.
type chunk struct {
	b   []byte
	due time.Time
}

// pipe copies src to dst, each chunk Delay after it was read; seen runs
// for each chunk read.
func (p *Proxy) pipe(dst io.Writer, src io.Reader, seen func()) {
	q := make(chan chunk, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var timer *time.Timer
		for c := range q {
			if wait := time.Until(c.due); wait > 0 {
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				<-timer.C
			}
			if _, err := dst.Write(c.b); err != nil {
				for range q { // drain until the reader stops
				}
				return
			}
		}
	}()
	for {
		buf := make([]byte, 32<<10)
		n, err := src.Read(buf)
		if n > 0 {
			seen()
			q <- chunk{b: buf[:n], due: time.Now().Add(p.Delay)}
		}
		if err != nil {
			break
		}
	}
	close(q)
	<-done
}
