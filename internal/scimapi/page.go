package scimapi

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/web"
)

// A list page is written while it is read: resources are fetched from the
// store a few at a time, rendered one by one and written to the client, so
// that what one list request holds in memory is one chunk of resources,
// not the whole page. The page ends early when the next resource would
// take the resources written past the page byte budget (RFC 7644 §3.4.2.4:
// a service provider may return fewer results than count; itemsPerPage
// says how many it returned, and clients ask for the next page by
// startIndex). A page always holds at least one resource when any remain,
// so paging always advances.

// DefaultPageBytes is the default byte budget of one list page.
const DefaultPageBytes = 8 << 20

// listWriter writes a ListResponse (RFC 7644 §3.4.2) one resource at a
// time, encoding each straight into the response. Its members are in the
// order schemas, totalResults, startIndex, Resources, itemsPerPage:
// itemsPerPage is known only at the end (JSON members are unordered,
// RFC 8259 §4). A resource is written while the resources before it are
// under the budget, so a page exceeds the budget by less than one
// resource. The budget counts a resource's own attributes, not a group's
// members nor a user's groups (rendered from membership rows, RFC 7643
// §4.1.2, §4.2): Okta pages by adding count to startIndex rather than
// itemsPerPage (idp-behaviour §10), so a page of ordinary groups must not
// end early because the groups are large; memory stays bounded because
// resources are read a few at a time and streamed.
type listWriter struct {
	w       http.ResponseWriter
	cw      countingWriter
	bw      *bufio.Writer
	res     bytes.Buffer // the resource being written (renderJSON)
	enc     *encoder     // into res
	budget  web.PageBudget
	started bool
	err     error // the client stopped reading; nothing more can be sent
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

func newListWriter(w http.ResponseWriter, budget int) *listWriter {
	lw := &listWriter{w: w, budget: web.PageBudget{Limit: budget}}
	lw.cw.w = w
	lw.bw = bufio.NewWriterSize(&lw.cw, 32<<10)
	lw.enc = newEncoder(&lw.res)
	return lw
}

// written is the number of bytes written so far.
func (lw *listWriter) written() int { return lw.cw.n + lw.bw.Buffered() }

// begin writes the status, the headers and the members before Resources.
func (lw *listWriter) begin(total, startIndex int) {
	if lw.started {
		return
	}
	lw.started = true
	h := lw.w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	lw.w.WriteHeader(http.StatusOK)
	_, lw.err = lw.bw.WriteString(`{"schemas":["` + schema.ListResponseURN + `"],"totalResults":` + strconv.Itoa(total) +
		`,"startIndex":` + strconv.Itoa(startIndex) + `,"Resources":[`)
}

// add writes one resource, projected by p, and reports whether the page
// takes more.
func (lw *listWriter) add(c *call, res resource, p *projection) bool {
	if !lw.more() || lw.budget.Reached() {
		return false
	}
	lw.res.Reset()
	derived, err := c.listedJSON(lw.enc, res, p)
	if err != nil {
		lw.err = err
		return false
	}
	return lw.addJSON(lw.res.Bytes(), derived)
}

// renderJSON encodes a rendered resource as JSON into e, which writes to a
// bytes.Buffer, and returns how many of the bytes are the value of its
// derived attribute (a user's groups, a group's members). Every resource
// of a list page is encoded here and written by addJSON.
func renderJSON(e *encoder, res object) (derived int, err error) {
	e.buf.WriteByte('{')
	for i, f := range res {
		if i > 0 {
			e.buf.WriteByte(',')
		}
		if err := e.str(f.key); err != nil {
			return 0, err
		}
		e.buf.WriteByte(':')
		at := e.buf.Len()
		if err := e.encode(f.value); err != nil {
			return 0, err
		}
		if f.key == "members" || f.key == "groups" {
			derived += e.buf.Len() - at
		}
	}
	e.buf.WriteByte('}')
	return derived, nil
}

// addJSON writes one resource given as its JSON representation, derived
// bytes of which are its derived attribute's value (not counted in the
// budget, see listWriter), and reports whether the page takes more. A
// representation kept from an earlier request joins a page here.
func (lw *listWriter) addJSON(body []byte, derived int) bool {
	if !lw.more() || lw.budget.Reached() {
		return false
	}
	before := lw.written()
	if lw.budget.Items > 0 {
		lw.bw.WriteByte(',')
	}
	if _, lw.err = lw.bw.Write(body); lw.err != nil {
		return false
	}
	lw.budget.Add(lw.written() - before - derived)
	lw.budget.AddExtra(derived)
	return true
}

// more reports whether the page takes more resources.
func (lw *listWriter) more() bool { return !lw.budget.Full && lw.err == nil }

// end closes the document.
func (lw *listWriter) end() error {
	if lw.err != nil {
		return lw.err
	}
	if _, lw.err = lw.bw.WriteString(`],"itemsPerPage":` + strconv.Itoa(lw.budget.Items) + "}\n"); lw.err != nil {
		return lw.err
	}
	lw.err = lw.bw.Flush()
	return lw.err
}

// chunk reads and renders one read of a page.
type chunk func(ctx context.Context, c *call, q directory.Query, p *projection) (chunkRead, error)

// chunkRead is what one read of a page returns.
type chunkRead struct {
	items []listItem
	total int // matches, unless the query had SkipTotal
}

// listItem is one resource of a page: its id, and what it is rendered
// from.
type listItem struct {
	id  string
	res resource
}

// filled is what fill wrote: n resources, the last with id last.
type filled struct {
	n    int
	last string
}

// fill writes the resources q selects (from q.Offset, at most q.Limit)
// into lw, reading them chunk by chunk. In creation order (no sortBy) a
// read after the first continues after the last resource read (keyset,
// Query.After), so that the page is not shifted by concurrent writes and
// no read walks the offset again; sorted lists read by offset. begin runs
// before the first resource is written, with the total the first read
// counted (unless q.SkipTotal). fill returns what it wrote; an error
// after the first read ends the page early (logged), so that the page sent
// stays a valid ListResponse. q may start after a cursor (Query.After,
// then q.Offset counts from it: listMemo).
func (h *Handler) fill(ctx context.Context, c *call, read chunk, q directory.Query, p *projection, lw *listWriter, begin func(total int)) (filled, error) {
	var f filled
	written, prev, after := 0, 0, ""
	want := q.Limit
	for first := true; want > 0 && lw.more(); first = false {
		cq := q
		cq.Offset = q.Offset + written
		if after != "" {
			cq.Offset, cq.After = 0, after
		}
		cq.Limit = lw.budget.NextChunk(prev, want)
		cq.SkipTotal = q.SkipTotal || !first
		cr, err := read(ctx, c, cq, p)
		if err != nil {
			if first {
				return f, err
			}
			h.logger.WarnContext(ctx, "SCIM list page ended early: reading the next resources failed",
				"directory_id", c.dir, "error", err)
			return f, nil
		}
		if first {
			begin(cr.total)
		}
		for i := range cr.items {
			if !lw.add(c, cr.items[i].res, p) {
				return f, nil
			}
			f.last = cr.items[i].id
			cr.items[i].res = resource{} // let the collector take what is written
			written++
			f.n = written
		}
		if len(cr.items) < cq.Limit {
			return f, nil // no more matches
		}
		if q.SortBy == nil {
			after = cr.items[len(cr.items)-1].id
		}
		prev = cq.Limit
		want -= len(cr.items)
	}
	if q.Limit <= 0 {
		// count=0: totalResults only (RFC 7644 §3.4.2.4).
		cq := q
		cq.Limit = 0
		cr, err := read(ctx, c, cq, p)
		if err != nil {
			return f, err
		}
		begin(cr.total)
	}
	return f, nil
}
