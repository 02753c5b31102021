package scimapi

import (
	"strconv"
	"testing"
	"time"
)

// TestFailureLimiterBounded: the limiter holds at most its maximum number
// of buckets however many addresses it sees, and limits per key.
func TestFailureLimiterBounded(t *testing.T) {
	f := newFailureLimiter(1, 2)
	f.max = 100
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	for i := 0; i < 1000; i++ {
		f.take(now, "addr 10.0.0."+strconv.Itoa(i), "dir dir_x"+strconv.Itoa(i))
		if n := f.len(); n > f.max {
			t.Fatalf("after %d keys the limiter holds %d buckets, max %d", 2*(i+1), n, f.max)
		}
	}
	for i := 0; i < 2; i++ {
		if ok, _ := f.take(now, "addr a", "dir d"); !ok {
			t.Fatalf("take %d within the burst refused", i)
		}
	}
	ok, wait := f.take(now, "addr a", "dir other")
	if ok || wait != time.Second {
		t.Errorf("beyond the burst: take = %v, %v; want false, 1s", ok, wait)
	}
	if ok, _ := f.take(now, "addr b", "dir other"); !ok {
		t.Error("another address to another directory was refused")
	}
	if ok, _ := f.take(now.Add(time.Second), "addr a", "dir other"); !ok {
		t.Error("a second later the bucket has refilled one token, yet take refused")
	}
	if newFailureLimiter(-1, 0) != nil {
		t.Error("a negative rate must mean no limiter")
	}
}
