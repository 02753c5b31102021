package directory

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sampling: per directory and minute, the first RefusedPerMinute refused
// requests and the first ReadsPerMinute successful reads are logged one
// by one; the others are counted in a window, and when the window's
// minute is over one summary entry (RequestLog.Repeats) is queued for
// them. Windows exist only for directories that had such requests in the
// last minute (the surface tags requests of existing directories only),
// and are removed when closed, so the map stays small.

type windowKey struct {
	dir   string
	class requestClass
}

type window struct {
	start      time.Time
	logged     int
	suppressed int
	first      time.Time // of the first suppressed request
	statuses   map[int]int
	methods    map[string]int
	addrs      map[string]int // at most maxSummaryAddrs
	otherAddrs bool           // some addresses were not kept in addrs
	userAgent  string         // of a recent suppressed request (redacted, capped)
}

// sample reports whether e is to be logged one by one; if not, it is
// counted in its window. A summary of the previous window, when one is
// due, is queued.
func (l *RequestLogger) sample(e *RequestLog, class requestClass) bool {
	limit := l.ReadsPerMinute
	if class == classRefused {
		limit = l.RefusedPerMinute
	}
	if limit < 0 {
		return true
	}
	now := l.IDs.Now()
	k := windowKey{dir: e.DirectoryID, class: class}
	var due *RequestLog
	l.mu.Lock()
	w := l.windows[k]
	if w == nil || now.Sub(w.start) >= requestSummaryWindow || now.Before(w.start) {
		if w != nil && w.suppressed > 0 {
			s := l.summary(k, w)
			due = &s
		}
		w = &window{start: now}
		l.windows[k] = w
	}
	keep := w.logged < limit
	if keep {
		w.logged++
	} else {
		w.count(e, now, l.Redactor)
	}
	l.mu.Unlock()
	if due != nil {
		l.enqueue(*due)
	}
	return keep
}

func (w *window) count(e *RequestLog, now time.Time, r Redactor) {
	if w.suppressed == 0 {
		w.first = now
		w.statuses, w.methods, w.addrs = map[int]int{}, map[string]int{}, map[string]int{}
	}
	w.suppressed++
	w.statuses[e.Status]++
	if len(w.methods) < 8 {
		w.methods[capText(e.Method, 16)]++
	}
	if _, ok := w.addrs[e.RemoteAddr]; ok || len(w.addrs) < maxSummaryAddrs {
		w.addrs[e.RemoteAddr]++
	} else {
		w.otherAddrs = true
	}
	if len(w.userAgent) == 0 || w.suppressed%64 == 0 {
		// Redacted before it is cut, so that no part of a secret
		// survives the cut.
		w.userAgent = capMarked(r.Text(e.UserAgent), MaxRefusedText)
	}
}

// closeWindows queues the summaries of the windows whose minute is over
// at now (of every window when now is zero) and removes them.
func (l *RequestLogger) closeWindows(now time.Time) {
	var due []RequestLog
	l.mu.Lock()
	for k, w := range l.windows {
		if !now.IsZero() && now.Sub(w.start) < requestSummaryWindow && !now.Before(w.start) {
			continue
		}
		if w.suppressed > 0 {
			due = append(due, l.summary(k, w))
		}
		delete(l.windows, k)
	}
	l.mu.Unlock()
	for _, e := range due {
		l.enqueue(e)
	}
}

// summary is the entry that stands for the requests counted in w.
func (l *RequestLogger) summary(k windowKey, w *window) RequestLog {
	addr := top(w.addrs)
	e := RequestLog{
		DirectoryID:  k.dir,
		OccurredAt:   w.first,
		Method:       top(w.methods),
		Status:       topInt(w.statuses),
		RemoteAddr:   addr,
		UserAgent:    w.userAgent,
		MetadataOnly: true,
		Repeats:      w.suppressed,
	}
	from := addr
	if n := len(w.addrs) - 1; n > 0 || w.otherAddrs {
		more := strconv.Itoa(n)
		if w.otherAddrs {
			more = "more than " + more
		}
		from += " and " + more + " other addresses"
	}
	var statuses []string
	for s := range w.statuses {
		statuses = append(statuses, strconv.Itoa(s))
	}
	sort.Strings(statuses)
	if k.class == classRefused {
		e.Path = fmt.Sprintf("%d more refused requests (status %s) from %s in the minute after %s, not logged one by one",
			w.suppressed, strings.Join(statuses, ", "), from, w.start.UTC().Format(time.RFC3339))
	} else {
		e.Path = fmt.Sprintf("%d more successful reads from %s in the minute after %s, not logged one by one",
			w.suppressed, from, w.start.UTC().Format(time.RFC3339))
	}
	return e
}

// top returns the key with the highest count (the smallest such key on a
// tie, so that the result does not depend on map order).
func top(m map[string]int) string {
	best, n := "", -1
	for k, c := range m {
		if c > n || c == n && k < best {
			best, n = k, c
		}
	}
	return best
}

func topInt(m map[int]int) int {
	best, n := 0, -1
	for k, c := range m {
		if c > n || c == n && k < best {
			best, n = k, c
		}
	}
	return best
}
