package scimapi

import (
	"slices"
	"sync"
)

// A client that walks a list page by page (an IdP's import, an app's
// sync: startIndex 1, 101, 201, …) makes the store count every match for
// totalResults (RFC 7644 §3.4.2 requires it on every page) and skip
// startIndex-1 resources to find each page. listMemo remembers both, per
// directory generation (directory.Reader.Generation): the total of a
// filter, and where earlier pages of it ended (the id of the last resource
// of a page is the keyset cursor, Query.After, of the next), so that the
// next page neither counts nor walks the offset. Nothing is remembered
// when the store has no generations (PostgreSQL: other replicas write).
//
// An entry is valid only at the generation it was made at: a write to the
// directory moves the generation, and the next page counts and walks
// again. Answers are therefore exactly those of the count and of the
// OFFSET query while no write intervenes (listmemo_test.go checks this
// with interleaved writes); a write concurrent with a page may reach it
// either way, as it may without the memo.

// memoEntries bounds the number of (directory, resource type, filter)
// entries; memoMarks bounds the page ends kept per entry and direction;
// memoFilterBytes is the longest filter remembered.
const (
	memoEntries     = 1024
	memoMarks       = 64
	memoFilterBytes = 1024
)

// listKey names what a total and page ends belong to. filter is the
// request's filter as sent: the same text resolves to the same query
// against the handler's schemas.
type listKey struct {
	dir, typ, filter string
}

// pageMark is a page end: the resource at position pos-1 (0-based, in
// creation order, ascending or descending) has this id, so the page that
// starts at pos starts after it.
type pageMark struct {
	pos int
	id  string
	seq uint64 // when it was remembered (the oldest goes first)
}

type listEntry struct {
	gen   uint64
	seq   uint64        // marks remembered so far
	total int           // -1: not known
	marks [2][]pageMark // by pos, ascending; [0] ascending, [1] descending creation order
}

// listMemo is safe for concurrent use.
type listMemo struct {
	mu      sync.Mutex
	entries map[listKey]*listEntry
}

// memoHit is what the memo knows of a page: the total (-1: not known)
// and the nearest page end at or before the page's offset (pos 0: none).
type memoHit struct {
	total int
	mark  pageMark
}

// lookup returns what is known at generation gen of the query k, for a
// page starting at offset in creation order (desc: descending); marks
// says whether page ends are wanted (creation order only).
func (m *listMemo) lookup(k listKey, gen uint64, offset int, marks, desc bool) memoHit {
	hit := memoHit{total: -1}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[k]
	if e == nil || e.gen != gen {
		return hit
	}
	hit.total = e.total
	if !marks {
		return hit
	}
	ms := e.marks[dirIndex(desc)]
	// The last mark at or before offset.
	i, found := slices.BinarySearchFunc(ms, offset, func(p pageMark, o int) int { return p.pos - o })
	if found {
		hit.mark = ms[i]
	} else if i > 0 {
		hit.mark = ms[i-1]
	}
	return hit
}

// remember records, at generation gen, the total of k (-1: not known)
// and a page end (pos 0: none). What was remembered at an older
// generation is dropped; a generation older than the entry's is ignored
// (its reader raced a write).
func (m *listMemo) remember(k listKey, gen uint64, total int, desc bool, mark pageMark) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = map[listKey]*listEntry{}
	}
	e := m.entries[k]
	switch {
	case e == nil:
		if len(m.entries) >= memoEntries {
			for old := range m.entries { // any one: map order is random
				delete(m.entries, old)
				break
			}
		}
		e = &listEntry{gen: gen, total: -1}
		m.entries[k] = e
	case e.gen > gen:
		return
	case e.gen < gen:
		*e = listEntry{gen: gen, total: -1}
	}
	if total >= 0 {
		e.total = total
	}
	if mark.pos <= 0 {
		return
	}
	e.seq++
	mark.seq = e.seq
	ms := e.marks[dirIndex(desc)]
	at := func(p pageMark, o int) int { return p.pos - o }
	if i, found := slices.BinarySearchFunc(ms, mark.pos, at); found {
		ms[i] = mark
		return
	}
	if len(ms) >= memoMarks {
		// The mark remembered first goes: walkers move on (and a walk
		// that starts again from the first page needs new marks).
		oldest := 0
		for i := range ms {
			if ms[i].seq < ms[oldest].seq {
				oldest = i
			}
		}
		ms = slices.Delete(ms, oldest, oldest+1)
	}
	i, _ := slices.BinarySearchFunc(ms, mark.pos, at)
	e.marks[dirIndex(desc)] = slices.Insert(ms, i, mark)
}

func dirIndex(desc bool) int {
	if desc {
		return 1
	}
	return 0
}
