package web

// PageBudget bounds the bytes of one list page. A surface reads the items
// of a page a chunk at a time (NextChunk says how many to read), asks Fits
// before adding each encoded item, and ends the page early when an item
// does not fit. The first item always fits, so paging always advances.
// What one list request holds in memory is then one chunk plus the page,
// whatever the page size asked for and however large the items are.
type PageBudget struct {
	Limit int  // bytes
	Items int  // items added
	Bytes int  // bytes added
	Full  bool // an item did not fit: the page ends
}

// Chunk sizes: the first read takes FirstChunk items (at the largest
// resource size the default limits allow, eight of them fill the default
// budget); later reads take about as many as the bytes left hold at the
// average size seen so far, growing at most fourfold from one read to the
// next.
const (
	FirstChunk  = 8
	chunkGrowth = 4
)

// Fits reports whether an item of n bytes fits in the page; when it does
// not, Full is set.
func (b *PageBudget) Fits(n int) bool {
	if b.Items > 0 && b.Bytes+n > b.Limit {
		b.Full = true
	}
	return !b.Full
}

// Add counts an item of n bytes.
func (b *PageBudget) Add(n int) {
	b.Items++
	b.Bytes += n
}

// NextChunk is how many items the next read takes: at most want, given
// that the previous read took prev (0 for the first read).
func (b *PageBudget) NextChunk(prev, want int) int {
	n := FirstChunk
	if prev > 0 {
		n = prev * chunkGrowth
		if b.Items > 0 {
			avg := max(b.Bytes/b.Items, 1)
			n = min(n, max((b.Limit-b.Bytes)/avg+1, 1))
		}
	}
	return max(min(n, want), 1)
}
