package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Limiter caps how many requests are in flight at once. A request beyond
// the cap waits a short while for a slot and is then refused, so that a
// burst (or a client that never reads its responses) sheds load with 503
// instead of growing the process without bound. Build it with NewLimiter;
// one Limiter may be shared by several surfaces.
type Limiter struct {
	slots chan struct{}
	wait  time.Duration
}

// NewLimiter returns a limiter of n slots whose requests wait at most wait
// for one.
func NewLimiter(n int, wait time.Duration) *Limiter {
	return &Limiter{slots: make(chan struct{}, max(n, 1)), wait: max(wait, 0)}
}

// Cap is the number of slots.
func (l *Limiter) Cap() int { return cap(l.slots) }

// Acquire takes a slot, waiting at most the limiter's wait (less if ctx
// ends). It returns the function that gives the slot back, or ok false
// when no slot freed in time.
func (l *Limiter) Acquire(ctx context.Context) (release func(), ok bool) {
	release = func() { <-l.slots }
	select {
	case l.slots <- struct{}{}:
		return release, true
	default:
	}
	if l.wait == 0 {
		return nil, false
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return release, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

// RetryAfter is the Retry-After of a refused request, in whole seconds.
func (l *Limiter) RetryAfter() int { return max(int((l.wait+time.Second-1)/time.Second), 1) }

// OverloadedError is what a request refused by a Limiter fails with; each
// surface renders it as 503 Service Unavailable in its own error format.
type OverloadedError struct {
	Limit      int // the limiter's slots
	RetryAfter int // seconds, as in the Retry-After header
}

func (e *OverloadedError) Error() string {
	return fmt.Sprintf("the server is at its limit of %d requests in flight; retry in %d s", e.Limit, e.RetryAfter)
}

// Limit runs each request in a slot of l; a request that gets none is
// answered by ew with an *OverloadedError, after its Retry-After header is
// set (RFC 9110 §10.2.3). A nil l limits nothing.
func Limit(l *Limiter, ew ErrorWriter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if l == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			release, ok := l.Acquire(r.Context())
			if !ok {
				secs := l.RetryAfter()
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				ew(w, r, &OverloadedError{Limit: l.Cap(), RetryAfter: secs})
				return
			}
			defer release()
			next.ServeHTTP(w, r)
		})
	}
}
