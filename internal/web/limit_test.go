package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestLimit(t *testing.T) {
	lim := NewLimiter(1, 0)
	var got error
	h := Limit(lim, func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		w.WriteHeader(http.StatusServiceUnavailable)
	})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("free slot: %d", rec.Code)
	}
	release, ok := lim.Acquire(context.Background())
	if !ok {
		t.Fatal("the slot was not given back")
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	var oe *OverloadedError
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" || !errors.As(got, &oe) || oe.Limit != 1 {
		t.Fatalf("saturated: %d, Retry-After %q, error %v", rec.Code, rec.Header().Get("Retry-After"), got)
	}
	release()

	// A waiting request gives up when its context ends.
	lim = NewLimiter(1, time.Hour)
	release, _ = lim.Acquire(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := lim.Acquire(ctx); ok {
		t.Fatal("acquired a taken slot")
	}
	release()
	if lim.RetryAfter() != 3600 {
		t.Fatalf("RetryAfter %d, want the wait in seconds", lim.RetryAfter())
	}
	next := &recorderHandler{}
	if Limit(nil, nil)(next) != http.Handler(next) {
		t.Fatal("a nil limiter must not wrap")
	}
}

func TestPageBudget(t *testing.T) {
	b := PageBudget{Limit: 100}
	if !b.Fits(1000) {
		t.Fatal("the first item always fits")
	}
	b.Add(1000)
	if b.Fits(1) || !b.Full || !b.Reached() {
		t.Fatal("a page over its budget takes no more")
	}

	b = PageBudget{Limit: 8 << 20}
	if n := b.NextChunk(0, 100); n != FirstChunk {
		t.Fatalf("first read %d", n)
	}
	b.Add(2 << 20) // two items of 1 MiB
	b.Items = 2
	if n := b.NextChunk(2, 100); n != 2 {
		t.Fatalf("after 1 MiB items: %d, want 2 (ChunkBytes)", n)
	}
	b = PageBudget{Limit: 8 << 20, Items: 2, Bytes: 2000}
	if n := b.NextChunk(2, 1000); n != 16 {
		t.Fatalf("after 1 KB items: %d, want 16 (eightfold growth)", n)
	}
	if n := b.NextChunk(16, 50); n != 50 {
		t.Fatalf("want at most what is wanted, got %d", n)
	}
	b = PageBudget{Limit: 8 << 20, Items: 2, Bytes: 2000, Extra: 4 << 20}
	if n := b.NextChunk(2, 1000); n != 1 {
		t.Fatalf("membership counts when sizing reads: %d, want 1", n)
	}
}

type recorderHandler struct{}

func (*recorderHandler) ServeHTTP(http.ResponseWriter, *http.Request) {}
