package directory_test

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// syncClock is a clock that is safe to read from the logger's goroutine.
type syncClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *syncClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *syncClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestRequestLoggerQueueCountsEveryByte: the queue's byte bound counts the
// path and the User-Agent of an entry, not only its bodies.
func TestRequestLoggerQueueCountsEveryByte(t *testing.T) {
	ids := directory.IDs{Now: time.Now, Rand: rand.Reader}
	for _, tc := range []struct {
		name string
		e    directory.RequestLog
	}{
		{"user agent", directory.RequestLog{DirectoryID: "dir_x", Method: "POST", Status: 201, UserAgent: strings.Repeat("u", 300)}},
		{"path", directory.RequestLog{DirectoryID: "dir_x", Method: "POST", Status: 201, Path: "/scim/v2/dir_x/Users?" + strings.Repeat("p", 3000)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &directory.RequestLogger{IDs: ids, QueueBytes: 2*tc.e.Size() - 1}
			l.Record(tc.e, "")
			l.Record(tc.e, "")
			if got := l.Dropped(); got != 1 {
				t.Errorf("two entries of %d bytes each, queue bound %d bytes: Dropped() = %d, want 1", tc.e.Size(), 2*tc.e.Size()-1, got)
			}
		})
	}
}

// TestRequestLoggerSummariesAndDrops: beyond the per-minute numbers,
// refused requests and successful reads are counted into one summary
// entry each; entries dropped because the queue is full are counted per
// directory and stored, for the portal and the API to show.
func TestRequestLoggerSummariesAndDrops(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	org, err := svc.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, org.ID, "okta", "Okta")
	if err != nil {
		t.Fatal(err)
	}
	clk := &syncClock{t: time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)}
	l := &directory.RequestLogger{Store: svc.Store, IDs: directory.IDs{Now: clk.Now, Rand: rand.Reader},
		RefusedPerMinute: 2, ReadsPerMinute: 3, QueueSize: 5}
	path := "/scim/v2/" + d.ID + "/Users"
	for i := 0; i < 10; i++ {
		l.Record(directory.RequestLog{DirectoryID: d.ID, OccurredAt: clk.Now(), Method: "GET", Path: path, Status: 401, RemoteAddr: "192.0.2.7"}, "")
	}
	for i := 0; i < 4; i++ {
		l.Record(directory.RequestLog{DirectoryID: d.ID, OccurredAt: clk.Now(), Method: "GET", Path: path, Status: 200, RemoteAddr: "192.0.2.8"}, "")
	}
	// The queue (5 entries) is full now: writes are dropped and counted.
	for i := 0; i < 2; i++ {
		l.Record(directory.RequestLog{DirectoryID: d.ID, OccurredAt: clk.Now(), Method: "POST", Path: path, Status: 201}, "")
	}
	if got := l.Dropped(); got != 2 {
		t.Errorf("Dropped() = %d, want 2", got)
	}
	clk.advance(time.Minute)
	stopped, cancel := context.WithCancel(ctx)
	cancel() // Run writes what is queued, with the summaries, and returns
	if err := l.Run(stopped); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Store.ListRequests(ctx, d.ID, directory.RequestQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var singles, refused, reads int
	for _, e := range got {
		switch {
		case e.Repeats == 0:
			singles++
		case e.Status == 401:
			refused = e.Repeats
			if !strings.Contains(e.Path, "8 more refused requests") || !strings.Contains(e.Path, "192.0.2.7") || e.RemoteAddr != "192.0.2.7" {
				t.Errorf("refused summary: %+v", e)
			}
		default:
			reads = e.Repeats
		}
	}
	if singles != 5 || refused != 8 || reads != 1 {
		t.Errorf("stored %d single entries, summaries of %d refused and %d reads; want 5, 8, 1", singles, refused, reads)
	}
	st, err := svc.Store.RequestLogStats(ctx, d.ID)
	if err != nil || st.Dropped != 2 || st.DroppedSince.IsZero() {
		t.Errorf("RequestLogStats = %+v, %v; want 2 dropped", st, err)
	}
}
