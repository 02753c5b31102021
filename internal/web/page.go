package web

// PageBudget bounds the bytes of one list page. A surface reads the items
// of a page a chunk at a time (NextChunk says how many to read), asks Fits
// (or Reached, when it streams) before adding each item, and ends the page
// early when an item does not fit. The first item always fits, so paging always advances.
// What one list request holds in memory is then one chunk plus the page,
// whatever the page size asked for and however large the items are.
type PageBudget struct {
	Limit int  // bytes
	Items int  // items added
	Bytes int  // bytes added, counted against Limit
	Extra int  // bytes written but not counted against Limit (AddExtra)
	Full  bool // an item did not fit: the page ends
}

// Chunk sizes: the first read takes FirstChunk items; later reads take
// about ChunkBytes of items at the average size seen so far (and no more
// than the page's bytes left hold), growing at most eightfold from one read
// to the next. A request that is blocked writing to a client that does not
// read holds one chunk: at the largest resource size the default limits
// allow (1 MiB), two resources.
const (
	FirstChunk  = 2
	ChunkBytes  = 2 << 20
	chunkGrowth = 8
)

// Fits reports whether an item of n bytes fits in the page; when it does
// not, Full is set.
func (b *PageBudget) Fits(n int) bool {
	if b.Items > 0 && b.Bytes+n > b.Limit {
		b.Full = true
	}
	return !b.Full
}

// Reached reports whether the items added so far have reached the budget,
// and sets Full if so. A surface that streams items, learning each one's
// size only as it writes it, asks before each item; its pages exceed the
// budget by less than one item.
func (b *PageBudget) Reached() bool {
	if b.Items > 0 && b.Bytes >= b.Limit {
		b.Full = true
	}
	return b.Full
}

// Add counts an item of n bytes.
func (b *PageBudget) Add(n int) {
	b.Items++
	b.Bytes += n
}

// AddExtra records n bytes of the items that do not count against the
// budget but do count when sizing reads (NextChunk): what a read holds in
// memory is all of it.
func (b *PageBudget) AddExtra(n int) { b.Extra += n }

// NextChunk is how many items the next read takes: at most want, given
// that the previous read took prev (0 for the first read).
func (b *PageBudget) NextChunk(prev, want int) int {
	n := FirstChunk
	if prev > 0 {
		n = prev * chunkGrowth
		if b.Items > 0 {
			avg := max((b.Bytes+b.Extra)/b.Items, 1)
			n = min(n, max(ChunkBytes/avg, 1), max((b.Limit-b.Bytes)/avg+1, 1))
		}
	}
	return max(min(n, want), 1)
}
