package webhook

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// DefaultSchedule is the retry schedule: after the first attempt fails, the
// delivery is tried again after 5 s, then 30 s, 2 min, 10 min, 30 min, 1 h,
// 3 h, 6 h, 12 h and 24 h (each ±20 % jitter); if the eleventh attempt
// fails too the delivery is marked failed (about 47 hours after the first).
func DefaultSchedule() []time.Duration {
	return []time.Duration{
		5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
		time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
	}
}

// EventPruner removes old events from the feed, keeping every event not yet
// delivered (sqlstore.Store implements it).
type EventPruner interface {
	PruneEvents(ctx context.Context, before time.Time) (int, error)
}

// Worker delivers webhooks. Its exported fields are its dependencies and
// settings; zero settings take the defaults documented on each. Run does
// the work; nothing starts before it is called.
type Worker struct {
	Store   directory.WebhookStore
	Events  directory.EventLog // the feed fanned out into deliveries
	Secrets directory.SecretBox
	HTTP    *http.Client
	// IDs is the clock and randomness: delivery and notice ids, attempt
	// times, backoff and jitter all come from it.
	IDs    directory.IDs
	Logger *slog.Logger
	// Pruner, when set with Retention, prunes the feed.
	Pruner EventPruner

	Owner        string          // lease owner id; default: a new id per Run
	Schedule     []time.Duration // retry delays; default DefaultSchedule()
	Timeout      time.Duration   // per request; default 10 s
	Lease        time.Duration   // how long a claim holds; default 2 min, at least 2×Timeout
	PerEndpoint  int             // streams in flight per endpoint; default 4
	MaxStreams   int             // streams in flight in all; default 64
	RunLength    int             // deliveries claimed per stream at once; default 200
	FanOutBatch  int             // events read per endpoint per fan-out; default 1000
	DisableAfter time.Duration   // failing this long disables an endpoint; default 5 days
	Poll         time.Duration   // idle polling interval; default 200 ms
	// Provisioning comes first: while the feed grows faster than BusyRate
	// events a second (default 500: an IdP's bulk sync), the worker waits
	// BusyPause (default 1 s) between cycles instead of looping, so that
	// delivery takes a small share of the CPU the SCIM writes need. Each
	// cycle still fans out up to FanOutBatch events and sends a run per
	// stream, in order; the backlog goes out at full speed once the writes
	// slow down.
	BusyRate  int
	BusyPause time.Duration
	// Retention, when positive, is how long events (through Pruner) and
	// finished deliveries are kept; they are pruned every PruneEvery
	// (default 1 h).
	Retention  time.Duration
	PruneEvery time.Duration
	// OnAttempt, when set, hears the outcome of every recorded attempt:
	// "succeeded", "retrying" (failed, another attempt is scheduled) or
	// "failed" (given up). The app counts them (metrics).
	OnAttempt func(outcome string)

	bodies bodyCache
}

// bodyCache keeps the bodies the fan-out rendered, by feed position, until
// they are delivered, so that a claim need not read the events again. It
// is bounded: when full it starts over (a miss costs a read).
type bodyCache struct {
	mu sync.Mutex
	m  map[int64][]byte
}

const maxCachedBodies = 4096

func (c *bodyCache) put(pos int64, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedBodies {
		c.m = make(map[int64][]byte, 1024)
	}
	c.m[pos] = b
}

func (c *bodyCache) get(pos int64) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[pos]
}

func (c *bodyCache) drop(ps []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range ps {
		delete(c.m, p)
	}
}

func (w *Worker) defaults() error {
	if w.Store == nil || w.Secrets == nil || w.HTTP == nil || w.IDs.Now == nil || w.IDs.Rand == nil || w.Logger == nil {
		return errors.New("webhook worker: Store, Secrets, HTTP, IDs and Logger are required")
	}
	if w.Owner == "" {
		id, err := w.IDs.New("worker")
		if err != nil {
			return err
		}
		w.Owner = id
	}
	if len(w.Schedule) == 0 {
		w.Schedule = DefaultSchedule()
	}
	setDefault(&w.Timeout, 10*time.Second)
	setDefault(&w.Lease, 2*time.Minute)
	// A run stops sending when less than a request's timeout is left of
	// three quarters of its lease, so the lease must outlast one request.
	w.Lease = max(w.Lease, 2*w.Timeout)
	setDefault(&w.DisableAfter, 5*24*time.Hour)
	setDefault(&w.Poll, 200*time.Millisecond)
	setDefault(&w.BusyRate, 500)
	setDefault(&w.BusyPause, time.Second)
	setDefault(&w.PruneEvery, time.Hour)
	setDefault(&w.PerEndpoint, 4)
	setDefault(&w.MaxStreams, 64)
	setDefault(&w.RunLength, 200)
	setDefault(&w.FanOutBatch, 1000)
	return nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

func (w *Worker) now() time.Time { return w.IDs.Now().UTC().Truncate(time.Microsecond) }

// Run fans out, claims and delivers until ctx is cancelled, then waits for
// the runs in flight: their requests are cancelled and what they achieved
// is recorded; what they did not send is released to be sent again.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.defaults(); err != nil {
		return err
	}
	var runs errgroup.Group
	defer runs.Wait() // the runs log what fails; none returns an error
	l := &loop{busy: map[string]int{}, finished: make(chan struct{}, 1)}
	for ctx.Err() == nil {
		// again: loop at once, without waiting, because more work is
		// known to be ready (a full fan-out batch, or as many runs as
		// were asked for). Otherwise wait for the poll interval or for a
		// run that stopped at its length limit.
		again, writersBusy := w.fanOutStep(ctx, l)
		if w.claimStep(ctx, l, &runs, writersBusy) {
			again = true
		}
		if w.Retention > 0 && w.now().Sub(l.lastPrune) >= w.PruneEvery {
			l.lastPrune = w.now()
			w.prune(ctx)
		}
		if !again {
			w.pause(ctx, l, writersBusy)
		}
	}
	return nil
}

// loop is the state Run keeps between its iterations.
type loop struct {
	mu       sync.Mutex
	busy     map[string]int // runs in flight per endpoint
	inflight int
	// finished wakes Run when a run stopped at its length limit.
	finished chan struct{}

	lastFanOut, lastPrune, lastHeadAt time.Time
	lastHead                          int64
	fanOutFull                        bool
}

// fanOutStep fans out when due (at once after a full batch). It reports
// whether to loop again at once, and whether writers are busy: the feed
// grows faster than BusyRate, so the worker yields to them.
func (w *Worker) fanOutStep(ctx context.Context, l *loop) (again, writersBusy bool) {
	if w.Events == nil || !(l.fanOutFull || w.now().Sub(l.lastFanOut) >= w.Poll) {
		return false, false
	}
	l.lastFanOut = w.now()
	// How fast is the feed growing? (Not how much the fan-out reads:
	// catching up on a backlog is not write load.)
	if head, err := w.Events.LastEventPosition(ctx); err == nil {
		if el := l.lastFanOut.Sub(l.lastHeadAt); !l.lastHeadAt.IsZero() && el > 0 {
			writersBusy = float64(head-l.lastHead) >= float64(w.BusyRate)*el.Seconds()
		}
		l.lastHead, l.lastHeadAt = head, l.lastFanOut
	}
	_, full, err := w.fanOut(ctx)
	if err != nil && ctx.Err() == nil {
		w.Logger.ErrorContext(ctx, "webhook fan-out", "error", err)
	}
	l.fanOutFull = full && !writersBusy
	return l.fanOutFull, writersBusy
}

// claimStep claims as many runs as there are free streams and starts them
// in runs. It reports whether it got as many as it asked for (more may be
// ready).
func (w *Worker) claimStep(ctx context.Context, l *loop, runs *errgroup.Group, writersBusy bool) bool {
	l.mu.Lock()
	free := w.MaxStreams - l.inflight
	snapshot := make(map[string]int, len(l.busy))
	for k, v := range l.busy {
		snapshot[k] = v
	}
	l.mu.Unlock()
	if free <= 0 {
		return false
	}
	now := w.now()
	claimed, err := w.Store.ClaimDeliveries(ctx, directory.ClaimRequest{Owner: w.Owner, Now: now, LeaseUntil: now.Add(w.Lease),
		MaxRuns: free, RunLength: w.RunLength, PerEndpoint: w.PerEndpoint, Busy: snapshot, Body: w.bodies.get})
	if err != nil && ctx.Err() == nil {
		w.Logger.ErrorContext(ctx, "claiming webhook deliveries", "error", err)
	}
	for _, run := range claimed {
		id := run.Endpoint.ID
		l.mu.Lock()
		l.inflight++
		l.busy[id]++
		l.mu.Unlock()
		runs.Go(func() error {
			more := w.deliverRun(ctx, run)
			l.mu.Lock()
			l.inflight--
			if l.busy[id]--; l.busy[id] == 0 {
				delete(l.busy, id)
			}
			l.mu.Unlock()
			if more {
				select {
				case l.finished <- struct{}{}:
				default:
				}
			}
			return nil
		})
	}
	return len(claimed) > 0 && len(claimed) == free && !writersBusy
}

// pause waits before the next iteration: the poll interval (cut short by
// a run that stopped at its length limit), or BusyPause while writers are
// busy (yielding to them: no early wake-up then).
func (w *Worker) pause(ctx context.Context, l *loop, writersBusy bool) {
	d, wake := w.Poll, l.finished
	if writersBusy {
		d, wake = w.BusyPause, nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-wake:
	case <-t.C:
	}
}

// fanOut turns events after each enabled endpoint's fan-out position into
// deliveries. It reports how many events it read, and whether some
// endpoint's batch was full (more may be waiting).
func (w *Worker) fanOut(ctx context.Context) (int, bool, error) {
	eps, err := w.Store.ListWebhookEndpoints(ctx, "", 0, true)
	if err != nil {
		return 0, false, err
	}
	total, full := 0, false
	for _, e := range eps {
		evs, err := w.Events.ListEvents(ctx, directory.EventQuery{After: e.FanoutPosition, Limit: w.FanOutBatch})
		if err != nil {
			return total, full, fmt.Errorf("reading the feed: %w", err)
		}
		if len(evs) == 0 {
			continue
		}
		now := w.now()
		ds := make([]directory.WebhookDelivery, 0, len(evs))
		for _, ev := range evs {
			if !e.Wants(ev) {
				continue
			}
			d, err := directory.NewDelivery(w.IDs, e.ID, ev, now)
			if err != nil {
				return total, full, err
			}
			ds = append(ds, d)
			if w.bodies.get(ev.Position) == nil {
				body, err := directory.WebhookPayload(ev)
				if err != nil {
					return total, full, fmt.Errorf("rendering event %s: %w", ev.ID, err)
				}
				w.bodies.put(ev.Position, body)
			}
		}
		err = w.Store.FanOut(ctx, e.ID, e.FanoutPosition, evs[len(evs)-1].Position, ds)
		if directory.KindOf(err) == directory.KindPrecondition || directory.IsNotFound(err) {
			continue // another worker got there first, or the endpoint was deleted
		}
		if err != nil {
			return total, full, err
		}
		total += len(evs)
		full = full || len(evs) == w.FanOutBatch
	}
	return total, full, nil
}

func (w *Worker) prune(ctx context.Context) {
	before := w.now().Add(-w.Retention)
	if n, err := w.Store.PruneWebhookDeliveries(ctx, before); err != nil {
		w.Logger.ErrorContext(ctx, "pruning webhook deliveries", "error", err)
	} else if n > 0 {
		w.Logger.InfoContext(ctx, "pruned webhook deliveries", "deleted", n)
	}
	if w.Pruner == nil {
		return
	}
	if n, err := w.Pruner.PruneEvents(ctx, before); err != nil {
		w.Logger.ErrorContext(ctx, "pruning events", "error", err)
	} else if n > 0 {
		w.Logger.InfoContext(ctx, "pruned events", "deleted", n)
	}
}

// backoff returns the delay before attempt number attempts+1 after
// attempts failed ones, with ±20 % jitter, and false when the schedule is
// exhausted.
func (w *Worker) backoff(attempts int) (time.Duration, bool) {
	if attempts > len(w.Schedule) {
		return 0, false
	}
	d := w.Schedule[attempts-1]
	var b [8]byte
	if _, err := w.IDs.Rand.Read(b[:]); err != nil {
		return d, true
	}
	f := float64(binary.BigEndian.Uint64(b[:])>>11) / (1 << 53) // [0, 1)
	return time.Duration(float64(d) * (0.8 + 0.4*f)), true
}
