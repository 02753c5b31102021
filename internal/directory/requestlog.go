package directory

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// PrefixRequest is the id prefix of a request log entry.
const PrefixRequest = "req"

// RequestLog is one request to a directory's SCIM endpoint as recorded in
// the request log: what the IdP sent and what scimbridge answered. Bodies
// are stored redacted (see Redact) and capped; the Authorization header is
// never stored.
type RequestLog struct {
	ID                string // req_…; set by the RequestLogger
	DirectoryID       string
	OccurredAt        time.Time
	Method            string
	Path              string // path and query, as the client sent them (secrets redacted)
	Status            int
	Duration          time.Duration // stored with microsecond precision
	RequestBody       string
	ResponseBody      string
	RequestTruncated  bool // the body was longer than the cap and was cut
	ResponseTruncated bool
	RequestID         string
	UserAgent         string
	RemoteAddr        string
}

// RequestQuery selects a page of a directory's request log, newest first.
type RequestQuery struct {
	// Before, when set, is the id of an entry: only older entries (lower
	// in the newest-first order) are returned. An id that names no entry
	// of the directory selects nothing.
	Before string
	Limit  int // entries to return; <= 0 means 50
	// MinStatus and MaxStatus, when non-zero, bound the status (inclusive).
	MinStatus, MaxStatus int
	Method               string // when set, only this method
}

// Request log defaults, used for the RequestLogger's zero fields.
const (
	DefaultRequestRetention   = 30 * 24 * time.Hour
	DefaultRequestQueue       = 4096
	DefaultRequestQueueBytes  = 16 << 20
	DefaultRequestFlushEvery  = 200 * time.Millisecond
	DefaultRequestBatch       = 500
	DefaultRequestPruneEvery  = time.Hour
	requestDropWarnInterval   = time.Minute
	requestFinalFlushDeadline = 10 * time.Second
)

// RequestLogger records SCIM requests off the request path. Record puts an
// entry on a bounded in-memory queue and never blocks: when the queue is
// full the entry is dropped and counted. Run, started by the app, writes
// queued entries in batches (one Store.AppendRequests transaction each),
// redacting them first, and prunes entries older than Retention.
//
// Build it as a struct literal; zero fields take the Default* values. It
// starts no goroutines: the app runs Run.
type RequestLogger struct {
	Store     Store
	Logger    *slog.Logger
	IDs       IDs
	Retention time.Duration
	// QueueSize bounds the entries waiting to be written, QueueBytes
	// their body bytes.
	QueueSize  int
	QueueBytes int64
	FlushEvery time.Duration
	BatchSize  int
	PruneEvery time.Duration

	once     sync.Once
	queue    chan RequestLog
	queued   atomic.Int64 // body bytes on the queue
	dropped  atomic.Int64 // entries dropped since the start
	lastWarn atomic.Int64 // unix nanoseconds of the last drop warning
}

func (l *RequestLogger) setup() {
	l.once.Do(func() {
		if l.Logger == nil {
			l.Logger = slog.New(slog.DiscardHandler)
		}
		if l.Retention <= 0 {
			l.Retention = DefaultRequestRetention
		}
		if l.QueueSize <= 0 {
			l.QueueSize = DefaultRequestQueue
		}
		if l.QueueBytes <= 0 {
			l.QueueBytes = DefaultRequestQueueBytes
		}
		if l.FlushEvery <= 0 {
			l.FlushEvery = DefaultRequestFlushEvery
		}
		if l.BatchSize <= 0 {
			l.BatchSize = DefaultRequestBatch
		}
		if l.PruneEvery <= 0 {
			l.PruneEvery = DefaultRequestPruneEvery
		}
		l.queue = make(chan RequestLog, l.QueueSize)
	})
}

// Record queues e to be written. It never blocks: when the queue is full
// (in entries or bytes) e is dropped, counted, and a warning is logged at
// most once a minute. e's bodies must not be modified afterwards. A nil
// *RequestLogger records nothing.
func (l *RequestLogger) Record(e RequestLog) {
	if l == nil {
		return
	}
	l.setup()
	size := int64(len(e.RequestBody) + len(e.ResponseBody))
	if l.queued.Add(size) > l.QueueBytes {
		l.queued.Add(-size)
		l.drop()
		return
	}
	select {
	case l.queue <- e:
	default:
		l.queued.Add(-size)
		l.drop()
	}
}

// Dropped returns how many entries were dropped because the queue was full.
func (l *RequestLogger) Dropped() int64 { return l.dropped.Load() }

func (l *RequestLogger) drop() {
	n := l.dropped.Add(1)
	now := l.IDs.Now().UnixNano()
	last := l.lastWarn.Load()
	if now-last < int64(requestDropWarnInterval) || !l.lastWarn.CompareAndSwap(last, now) {
		return
	}
	l.Logger.Warn("request log queue full: entries dropped", "dropped_total", n)
}

// Run writes queued entries every FlushEvery or as soon as BatchSize are
// waiting, and prunes entries older than Retention at start and every
// PruneEvery. When ctx is cancelled it writes what is queued (with a
// deadline of its own) and returns nil. Write errors are logged, and the
// batch is dropped: the log is a diagnostic aid, not a record of truth.
func (l *RequestLogger) Run(ctx context.Context) error {
	l.setup()
	flush := time.NewTicker(l.FlushEvery)
	defer flush.Stop()
	prune := time.NewTicker(l.PruneEvery)
	defer prune.Stop()
	l.prune(ctx)
	// Writes must not be cut short by the shutdown that cancels ctx: a
	// batch being written when it comes would be lost.
	wctx := context.WithoutCancel(ctx)
	batch := make([]RequestLog, 0, l.BatchSize)
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestFinalFlushDeadline)
			defer cancel()
			for {
				select {
				case e := <-l.queue:
					batch = append(batch, e)
					if len(batch) >= l.BatchSize {
						batch = l.write(fctx, batch)
					}
					continue
				default:
				}
				break
			}
			l.write(fctx, batch)
			return nil
		case e := <-l.queue:
			batch = append(batch, e)
			if len(batch) >= l.BatchSize {
				batch = l.write(wctx, batch)
			}
		case <-flush.C:
			batch = l.write(wctx, batch)
		case <-prune.C:
			l.prune(ctx)
		}
	}
}

// write redacts, stores and empties batch, and returns it for reuse.
func (l *RequestLogger) write(ctx context.Context, batch []RequestLog) []RequestLog {
	if len(batch) == 0 {
		return batch
	}
	var size int64
	for i := range batch {
		e := &batch[i]
		size += int64(len(e.RequestBody) + len(e.ResponseBody))
		// HTTP allows bytes in the request target and headers that are
		// not UTF-8; PostgreSQL text does not, and one such entry would
		// lose the whole batch.
		e.Path = storableText(RedactSecrets(e.Path))
		e.UserAgent = storableText(RedactSecrets(e.UserAgent))
		e.Method, e.RemoteAddr = storableText(e.Method), storableText(e.RemoteAddr)
		e.RequestBody = Redact(e.RequestBody)
		e.ResponseBody = Redact(e.ResponseBody)
	}
	l.queued.Add(-size)
	for i := range batch {
		if batch[i].ID != "" {
			continue
		}
		id, err := l.IDs.New(PrefixRequest)
		if err != nil {
			l.Logger.Warn("request log: making ids failed; entries are dropped", "entries", len(batch), "error", err)
			clear(batch)
			return batch[:0]
		}
		batch[i].ID = id
	}
	if err := l.Store.AppendRequests(ctx, batch); err != nil {
		l.Logger.Warn("request log: writing entries failed; they are dropped", "entries", len(batch), "error", err)
	}
	clear(batch)
	return batch[:0]
}

func (l *RequestLogger) prune(ctx context.Context) {
	before := l.IDs.Now().Add(-l.Retention)
	n, err := l.Store.PruneRequests(ctx, before)
	if err != nil {
		if ctx.Err() == nil {
			l.Logger.Warn("request log: pruning failed", "error", err)
		}
		return
	}
	if n > 0 {
		l.Logger.Info("request log pruned", "deleted", n, "before", before)
	}
}
