package directory

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// PrefixRequest is the id prefix of a request log entry.
const PrefixRequest = "req"

// RequestLog is one request to a directory's SCIM endpoint as recorded in
// the request log: what the IdP sent and what scimbridge answered. Bodies
// are stored redacted (see Redactor) and capped; the Authorization header
// is never stored.
type RequestLog struct {
	ID                string // req_…; set by the RequestLogger
	DirectoryID       string
	OccurredAt        time.Time
	Method            string
	Path              string // path and query, as the client sent them (secrets redacted, capped)
	Status            int
	Duration          time.Duration // stored with microsecond precision
	RequestBody       string
	ResponseBody      string
	RequestTruncated  bool // the body was longer than the cap and was cut
	ResponseTruncated bool
	RequestID         string
	UserAgent         string
	RemoteAddr        string
	// MetadataOnly: the request body (and, unless this is a refused
	// request, the response body) was not kept, by the directory's
	// RequestBodies policy or because the request was refused.
	MetadataOnly bool
	// Repeats, when positive, makes this a summary entry: it stands for
	// that many further requests that were counted, not logged one by one
	// (Path describes them).
	Repeats int
}

// RequestOverhead approximates what an entry costs beyond its text: the
// fixed columns and the index entries.
const RequestOverhead = 160

// Size is what the entry counts against the queue's byte bound and the
// directory's request log budget: every byte of its text plus a fixed
// overhead.
func (e *RequestLog) Size() int64 {
	return int64(RequestOverhead + len(e.ID) + len(e.DirectoryID) + len(e.Method) + len(e.Path) + len(e.RequestBody) +
		len(e.ResponseBody) + len(e.RequestID) + len(e.UserAgent) + len(e.RemoteAddr))
}

// RequestLogStats describes one directory's request log.
type RequestLogStats struct {
	Bytes   int64 // sum of the entries' Size
	Entries int64
	// Dropped counts the entries that could not be recorded (the queue
	// was full, or the database refused a batch) since DroppedSince.
	Dropped      int64
	DroppedSince time.Time
}

// RequestBodies is a directory's setting for which request log entries
// keep their bodies.
type RequestBodies string

// The RequestBodies policies. The zero value is
// RequestBodiesWritesAndFailures.
const (
	// RequestBodiesWritesAndFailures keeps the bodies of writes and of
	// failed requests; successful reads (GET, POST …/.search) are stored
	// as metadata only.
	RequestBodiesWritesAndFailures RequestBodies = "writes_and_failures"
	RequestBodiesAll               RequestBodies = "all"  // every entry keeps its bodies
	RequestBodiesNone              RequestBodies = "none" // no entry keeps bodies
)

// OrDefault returns b, or RequestBodiesWritesAndFailures for the zero
// value.
func (b RequestBodies) OrDefault() RequestBodies {
	if b == "" {
		return RequestBodiesWritesAndFailures
	}
	return b
}

// Valid reports whether b is one of the policies (or the zero value).
func (b RequestBodies) Valid() bool {
	switch b {
	case "", RequestBodiesWritesAndFailures, RequestBodiesAll, RequestBodiesNone:
		return true
	}
	return false
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
	DefaultRequestBudget      = 64 << 20 // bytes per directory
	DefaultRequestBudgetEvery = 10 * time.Second
	// DefaultRefusedPerMinute is how many refused requests (401, 403,
	// 429) per directory and minute are logged one by one; the rest are
	// counted into one summary entry per minute.
	DefaultRefusedPerMinute = 10
	// DefaultReadsPerMinute is the same for successful reads.
	DefaultReadsPerMinute = 1200
	// MaxRefusedText caps the path and User-Agent of a refused request,
	// MaxLoggedText those of the others.
	MaxRefusedText            = 256
	MaxLoggedText             = 4096
	maxRefusedResponse        = 1024
	requestSummaryWindow      = time.Minute
	requestDropWarnInterval   = time.Minute
	requestFinalFlushDeadline = 10 * time.Second
	maxSummaryAddrs           = 8
)

// RequestLogger records SCIM requests off the request path. Record decides
// what to keep of a request (see Record), puts the entry on a bounded
// in-memory queue and never blocks: when the queue is full the entry is
// dropped and counted, per directory, and the count is stored (see
// Store.NoteRequestsDropped). Run, started by the app, writes queued
// entries in batches (one Store.AppendRequests transaction each),
// redacting their bodies first, prunes entries older than Retention and
// keeps each directory's log within Budget bytes.
//
// Build it as a struct literal; zero fields take the Default* values. It
// starts no goroutines: the app runs Run.
type RequestLogger struct {
	Store     Store
	Logger    *slog.Logger
	IDs       IDs
	Redactor  Redactor
	Retention time.Duration
	// Budget bounds each directory's log, in bytes (RequestLog.Size);
	// the oldest entries are pruned beyond it, every BudgetEvery.
	Budget      int64
	BudgetEvery time.Duration
	// RefusedPerMinute and ReadsPerMinute are how many refused requests
	// and successful reads per directory and minute are logged one by
	// one; beyond them requests are counted into one summary entry per
	// minute. Negative: no limit.
	RefusedPerMinute int
	ReadsPerMinute   int
	// QueueSize bounds the entries waiting to be written, QueueBytes
	// their size (every byte of each entry, RequestLog.Size).
	QueueSize  int
	QueueBytes int64
	FlushEvery time.Duration
	BatchSize  int
	PruneEvery time.Duration

	once     sync.Once
	queue    chan RequestLog
	queued   atomic.Int64 // bytes on the queue
	dropped  atomic.Int64 // entries dropped since the start
	lastWarn atomic.Int64 // unix nanoseconds of the last drop warning

	mu        sync.Mutex
	windows   map[windowKey]*window // current minute of sampled classes
	drops     map[string]int64      // dropped entries per directory, not yet stored
	dropsFrom time.Time             // when the first of drops was dropped
}

func (l *RequestLogger) setup() {
	l.once.Do(func() {
		if l.Logger == nil {
			l.Logger = slog.New(slog.DiscardHandler)
		}
		if l.Retention <= 0 {
			l.Retention = DefaultRequestRetention
		}
		if l.Budget <= 0 {
			l.Budget = DefaultRequestBudget
		}
		if l.BudgetEvery <= 0 {
			l.BudgetEvery = DefaultRequestBudgetEvery
		}
		if l.RefusedPerMinute == 0 {
			l.RefusedPerMinute = DefaultRefusedPerMinute
		}
		if l.ReadsPerMinute == 0 {
			l.ReadsPerMinute = DefaultReadsPerMinute
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
		l.windows = map[windowKey]*window{}
		l.drops = map[string]int64{}
	})
}

// requestClass is how Record treats a request.
type requestClass int

const (
	classOther   requestClass = iota // writes and failures: kept in full
	classRefused                     // 401, 403, 429: compact, sampled
	classRead                        // successful reads: sampled
)

// classifyRequest sorts e by its status (401, 403, 429: refused) and its
// method (GET, HEAD, POST …/.search: a read). The package does not import
// net/http, hence the literals.
func classifyRequest(e *RequestLog) requestClass {
	switch e.Status {
	case 401, 403, 429:
		return classRefused
	}
	if e.Status >= 400 {
		return classOther
	}
	path, _, _ := strings.Cut(e.Path, "?")
	if e.Method == "GET" || e.Method == "HEAD" || (e.Method == "POST" && strings.HasSuffix(path, "/.search")) {
		return classRead
	}
	return classOther
}

// Record queues e to be written. It never blocks.
//
//   - A refused request (401, 403, 429: anyone who knows a directory id
//     can send them) keeps no request body, at most 1 KiB of response
//     body, and at most MaxRefusedText bytes of path and User-Agent.
//   - A successful read keeps its bodies only with RequestBodiesAll; any
//     other request keeps them unless bodies is RequestBodiesNone.
//   - Beyond RefusedPerMinute refused requests, or ReadsPerMinute
//     successful reads, of a directory in a minute, requests are counted,
//     not queued, and one summary entry (RequestLog.Repeats) stands for
//     them.
//   - Paths and User-Agents are redacted (Redactor.Text) and capped at
//     MaxLoggedText bytes.
//
// When the queue is full (in entries or in bytes, RequestLog.Size) e is
// dropped, counted, and a warning is logged at most once a minute. e's
// bodies must not be modified afterwards. A nil *RequestLogger records
// nothing.
func (l *RequestLogger) Record(e RequestLog, bodies RequestBodies) {
	if l == nil {
		return
	}
	l.setup()
	class := classifyRequest(&e)
	if class != classOther && !l.sample(&e, class) {
		return
	}
	l.compact(&e, class, bodies.OrDefault())
	l.enqueue(e)
}

// compact applies Record's rules for what to keep of e.
func (l *RequestLogger) compact(e *RequestLog, class requestClass, bodies RequestBodies) {
	text := MaxLoggedText
	switch class {
	case classRefused:
		text = MaxRefusedText
		e.RequestBody, e.RequestTruncated = "", false
		if len(e.ResponseBody) > maxRefusedResponse {
			e.ResponseBody, e.ResponseTruncated = capText(e.ResponseBody, maxRefusedResponse), true
		}
		e.MetadataOnly = true
	case classRead:
		if bodies != RequestBodiesAll {
			e.RequestBody, e.ResponseBody, e.RequestTruncated, e.ResponseTruncated = "", "", false, false
			e.MetadataOnly = true
		}
	default:
		if bodies == RequestBodiesNone {
			e.RequestBody, e.ResponseBody, e.RequestTruncated, e.ResponseTruncated = "", "", false, false
			e.MetadataOnly = true
		}
	}
	// Redact before capping, so that no part of a secret survives a cut.
	e.Path = capMarked(l.Redactor.Text(e.Path), text)
	e.UserAgent = capMarked(l.Redactor.Text(e.UserAgent), min(text, MaxRefusedText*2))
	e.Method = capText(e.Method, 16)
}

// truncatedMark ends a path or User-Agent cut at its cap.
const truncatedMark = "…[truncated]"

func capMarked(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return capText(s, n-len(truncatedMark)) + truncatedMark
}

// capText cuts s to at most n bytes, on a character boundary.
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (l *RequestLogger) enqueue(e RequestLog) {
	size := e.Size()
	if l.queued.Add(size) > l.QueueBytes {
		l.queued.Add(-size)
		l.drop(e.DirectoryID, 1)
		return
	}
	select {
	case l.queue <- e:
	default:
		l.queued.Add(-size)
		l.drop(e.DirectoryID, 1)
	}
}

// Dropped returns how many entries were dropped since the start because
// the queue was full or the database refused them.
func (l *RequestLogger) Dropped() int64 { return l.dropped.Load() }

func (l *RequestLogger) drop(dir string, n int64) {
	total := l.dropped.Add(n)
	now := l.IDs.Now()
	l.mu.Lock()
	if len(l.drops) == 0 {
		l.dropsFrom = now
	}
	l.drops[dir] += n
	l.mu.Unlock()
	last := l.lastWarn.Load()
	if now.UnixNano()-last < int64(requestDropWarnInterval) || !l.lastWarn.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	l.Logger.Warn("request log queue full: entries dropped", "dropped_total", total)
}

// Run writes queued entries every FlushEvery or as soon as BatchSize are
// waiting, and prunes entries older than Retention at start and every
// PruneEvery, and entries beyond each directory's Budget every
// BudgetEvery. When ctx is cancelled it writes what is queued (with a
// deadline of its own) and returns nil. Write errors are logged, and the
// batch is dropped and counted: the log is a diagnostic aid, not a record
// of truth.
func (l *RequestLogger) Run(ctx context.Context) error {
	l.setup()
	flush := time.NewTicker(l.FlushEvery)
	defer flush.Stop()
	prune := time.NewTicker(l.PruneEvery)
	defer prune.Stop()
	budget := time.NewTicker(l.BudgetEvery)
	defer budget.Stop()
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
			batch = l.drain(fctx, batch)
			// The summaries of the last minute go after what is queued,
			// once the queue has room for them.
			l.closeWindows(time.Time{})
			batch = l.drain(fctx, batch)
			l.write(fctx, batch)
			l.storeDrops(fctx)
			return nil
		case e := <-l.queue:
			batch = append(batch, e)
			if len(batch) >= l.BatchSize {
				batch = l.write(wctx, batch)
			}
		case <-flush.C:
			l.closeWindows(l.IDs.Now())
			batch = l.write(wctx, batch)
			l.storeDrops(wctx)
		case <-budget.C:
			l.pruneBudget(ctx)
		case <-prune.C:
			l.prune(ctx)
		}
	}
}

// drain writes everything queued, in batches, and returns the last,
// partial batch.
func (l *RequestLogger) drain(ctx context.Context, batch []RequestLog) []RequestLog {
	for {
		select {
		case e := <-l.queue:
			batch = append(batch, e)
			if len(batch) >= l.BatchSize {
				batch = l.write(ctx, batch)
			}
		default:
			return batch
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
		size += e.Size()
		// HTTP allows bytes in the request target and headers that are
		// not UTF-8; PostgreSQL text does not, and one such entry would
		// lose the whole batch (the path and User-Agent are cleaned by
		// the Redactor).
		e.Method, e.RemoteAddr = clean(e.Method), clean(e.RemoteAddr)
		e.RequestBody = l.Redactor.Body(e.RequestBody)
		e.ResponseBody = l.Redactor.Body(e.ResponseBody)
	}
	l.queued.Add(-size)
	for i := range batch {
		if batch[i].ID != "" {
			continue
		}
		id, err := l.IDs.New(PrefixRequest)
		if err != nil {
			l.Logger.Warn("request log: making ids failed; entries are dropped", "entries", len(batch), "error", err)
			l.dropBatch(batch)
			clear(batch)
			return batch[:0]
		}
		batch[i].ID = id
	}
	if err := l.Store.AppendRequests(ctx, batch); err != nil {
		l.Logger.Warn("request log: writing entries failed; they are dropped", "entries", len(batch), "error", err)
		l.dropBatch(batch)
	}
	clear(batch)
	return batch[:0]
}

func (l *RequestLogger) dropBatch(batch []RequestLog) {
	per := map[string]int64{}
	for _, e := range batch {
		per[e.DirectoryID] += int64(max(e.Repeats, 1))
	}
	for dir, n := range per {
		l.drop(dir, n)
	}
}

// storeDrops writes the drop counts gathered since the last call.
func (l *RequestLogger) storeDrops(ctx context.Context) {
	l.mu.Lock()
	if len(l.drops) == 0 {
		l.mu.Unlock()
		return
	}
	drops, from := l.drops, l.dropsFrom
	l.drops = map[string]int64{}
	l.mu.Unlock()
	if err := l.Store.NoteRequestsDropped(ctx, drops, from); err != nil {
		l.Logger.Warn("request log: recording dropped entries failed", "error", err)
		l.mu.Lock()
		if len(l.drops) == 0 || from.Before(l.dropsFrom) {
			l.dropsFrom = from
		}
		for dir, n := range drops {
			l.drops[dir] += n
		}
		l.mu.Unlock()
	}
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

func (l *RequestLogger) pruneBudget(ctx context.Context) {
	n, err := l.Store.PruneRequestsOverBudget(ctx, l.Budget)
	if err != nil {
		if ctx.Err() == nil {
			l.Logger.Warn("request log: pruning to the budget failed", "error", err)
		}
		return
	}
	if n > 0 {
		l.Logger.Debug("request log pruned to its budget", "deleted", n, "budget_bytes", l.Budget)
	}
}
