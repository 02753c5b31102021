package scimapi

import (
	"net/http"
)

// DefaultReadConcurrency is how many SCIM reads do their database work
// at once when the Handler's ReadConcurrency is zero: the SQLite read
// pool's size.
const DefaultReadConcurrency = 8

// readGate lets at most n reads (GET, HEAD, POST …/.search) run until
// they start their response; the others wait their turn in arrival order.
// Without it, more readers than database connections (64 clients on 8
// SQLite read connections) waited inside database/sql, which hands a
// freed connection to a random waiter: the median stayed low while
// unlucky requests waited many turns (p99 ≫ p50). A Go channel queues
// blocked senders first in, first out, so a request waits only for the
// reads ahead of it.
//
// A read leaves the gate when it writes its status line: a client that
// does not read its response (or reads it slowly) never holds a turn
// while its bytes are sent, and the later chunks of a long list page go
// to the pool directly. Writes are not gated: SQLite commits concurrent
// writes together (group commit), and fewer of them at once would mean
// more fsyncs.
func readGate(n int, next http.Handler) http.Handler {
	slots := make(chan struct{}, max(n, 1))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isRead(r) {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case slots <- struct{}{}:
		case <-r.Context().Done():
			// The client is gone; the handler sees the cancelled
			// context and answers as it does for any such request.
			next.ServeHTTP(w, r)
			return
		}
		gw := &gatedWriter{ResponseWriter: w, slots: slots}
		defer gw.leave()
		next.ServeHTTP(gw, r)
	})
}

// gatedWriter gives the gate's turn back when the response starts.
type gatedWriter struct {
	http.ResponseWriter
	slots chan struct{}
	left  bool
}

func (g *gatedWriter) leave() {
	if !g.left {
		g.left = true
		<-g.slots
	}
}

func (g *gatedWriter) WriteHeader(code int) {
	g.leave()
	g.ResponseWriter.WriteHeader(code)
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	g.leave()
	return g.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (g *gatedWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }
