package scimapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// Defaults of the failed-authentication limit (Handler.AuthFailureRate,
// AuthFailureBurst): per source address and per directory, refused
// requests (401, 403) are allowed at this rate with this burst; beyond it
// they are answered 429 with Retry-After, without being looked at
// further. Authenticated requests never count and are never limited.
const (
	DefaultAuthFailureRate  = 10.0 // per second
	DefaultAuthFailureBurst = 20
	// DefaultAuthFailureDelay is how long a 429 of the limit is held
	// before it is sent, so that a client that
	// ignores Retry-After and asks again at once is slowed down to one
	// request per delay per connection instead of costing a request's
	// parsing and checking as fast as it can send; at most
	// maxDelayedRefusals answers are held at a time, the others go at
	// once.
	DefaultAuthFailureDelay = time.Second
	maxDelayedRefusals      = 64
	// maxLimiterKeys bounds the limiter's memory: beyond it, buckets that
	// have refilled are forgotten first, then arbitrary ones.
	maxLimiterKeys = 10000
)

// failureLimiter is a set of token buckets, one per key (a source address
// or a directory), for requests whose authentication failed. It lives in
// one process: with N processes behind a load balancer the limits are N
// times as large.
type failureLimiter struct {
	rate  float64 // tokens per second
	burst float64
	max   int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newFailureLimiter(rate float64, burst int) *failureLimiter {
	if rate == 0 {
		rate = DefaultAuthFailureRate
	}
	if rate < 0 {
		return nil // no limit
	}
	if burst <= 0 {
		burst = DefaultAuthFailureBurst
	}
	return &failureLimiter{rate: rate, burst: float64(burst), max: maxLimiterKeys, buckets: map[string]*bucket{}}
}

// take takes one token from the bucket of every key, at now. When one of
// them is empty it takes none and returns how long until that bucket
// holds a token again. A nil limiter allows everything.
func (f *failureLimiter) take(now time.Time, keys ...string) (bool, time.Duration) {
	if f == nil {
		return true, 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var wait time.Duration
	bs := make([]*bucket, len(keys))
	for i, k := range keys {
		b := f.buckets[k]
		if b == nil {
			f.evict(now)
			b = &bucket{tokens: f.burst, at: now}
			f.buckets[k] = b
		}
		f.refill(b, now)
		if b.tokens < 1 {
			wait = max(wait, time.Duration(math.Ceil((1-b.tokens)/f.rate*float64(time.Second))))
		}
		bs[i] = b
	}
	if wait > 0 {
		return false, wait
	}
	for _, b := range bs {
		b.tokens--
	}
	return true, 0
}

func (f *failureLimiter) refill(b *bucket, now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(f.burst, b.tokens+d.Seconds()*f.rate)
	}
	b.at = now
}

// evict makes room for one more bucket: a full bucket is the same as
// none, so those go first; if that is not enough, arbitrary ones (at
// worst an abuser's bucket restarts full, and the cost of eviction stays
// amortised over the insertions that follow it).
func (f *failureLimiter) evict(now time.Time) {
	if len(f.buckets) < f.max {
		return
	}
	for k, b := range f.buckets {
		f.refill(b, now)
		if b.tokens >= f.burst {
			delete(f.buckets, k)
		}
	}
	for k := range f.buckets {
		if len(f.buckets) <= f.max/2 {
			break
		}
		delete(f.buckets, k)
	}
}

// len is how many buckets the limiter holds.
func (f *failureLimiter) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.buckets)
}

// refuse handles a request to directory dir whose authentication failed
// with err: beyond the failed-authentication limit of its source address
// or of dir it becomes a 429 with Retry-After; a 401, 403 or 429 to an
// existing directory is tagged for the request log. It returns the error
// to answer with.
func (h *Handler) refuse(r *http.Request, dir string, err error) error {
	switch directory.KindOf(err) {
	case directory.KindUnauthorized, directory.KindForbidden:
	default:
		return err
	}
	if ok, wait := h.failures.take(h.Service.IDs.Now(), "addr "+remoteHost(r.RemoteAddr), "dir "+dir); !ok {
		h.holdRefusal(r)
		secs := int(math.Ceil(wait.Seconds()))
		err = &httpError{status: http.StatusTooManyRequests, retryAfter: strconv.Itoa(secs),
			detail: "too many requests with a missing or wrong token from this address or to this directory: retry after " +
				strconv.Itoa(secs) + " seconds, with the directory's bearer token"}
	}
	h.tagAuthFailure(r, dir, err)
	return err
}

// holdRefusal holds a 429 for the failed-authentication delay, unless
// maxDelayedRefusals are held already or the client goes away.
func (h *Handler) holdRefusal(r *http.Request) {
	d := h.lim.failureDelay
	if d <= 0 {
		return
	}
	select {
	case h.held <- struct{}{}:
	default:
		return
	}
	defer func() { <-h.held }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}
