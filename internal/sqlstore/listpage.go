package sqlstore

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// What ListUsers and ListGroups select for each directory.Fields: the SCIM
// list path renders from the id, version, times and document only, and a
// caller that keeps rendered resources reads the keys alone.
const (
	userRenderColumns  = `u.id, u.doc, u.version, u.created_at, u.updated_at`
	groupRenderColumns = `g.id, g.doc, g.version, g.created_at, g.updated_at`
	userKeyColumns     = `u.id, u.version`
	groupKeyColumns    = `g.id, g.version`
)

func userPageColumns(f directory.Fields) string {
	switch f {
	case directory.RenderFields:
		return userRenderColumns
	case directory.KeyFields:
		return userKeyColumns
	}
	return userColumns
}

func groupPageColumns(f directory.Fields) string {
	switch f {
	case directory.RenderFields:
		return groupRenderColumns
	case directory.KeyFields:
		return groupKeyColumns
	}
	return groupColumns
}

// maxPresize caps what a page's slices are sized for before its rows are
// read.
const maxPresize = 1000

// renderRow is a row of userRenderColumns or groupRenderColumns; doc is
// valid until the next row (its bytes are copied to a docBatch).
type renderRow struct {
	id               string
	doc              sql.RawBytes
	version          int64
	created, updated int64
}

func (r *renderRow) dest() []any {
	return []any{&r.id, &r.doc, &r.version, &r.created, &r.updated}
}

// docBatch decodes the stored documents of a page with one json.Decoder
// reading all of them, instead of one decoder and its buffer per
// document. Each document decodes exactly as decodeDoc decodes it alone:
// when the value read does not end inside its document's bytes (or is
// not valid), that document is decoded alone by decodeDoc and the stream
// starts again after it.
type docBatch struct {
	buf  []byte
	ends []int // where each document's bytes end in buf, before its '\n'
	n    int   // documents expected (the page's limit)
}

func (b *docBatch) add(doc []byte) {
	if b.buf == nil {
		// Sized from the first document: one allocation for a page of
		// similar ones.
		b.buf = make([]byte, 0, (len(doc)+1)*b.n*5/4)
		b.ends = make([]int, 0, b.n)
	}
	b.buf = append(b.buf, doc...)
	b.ends = append(b.ends, len(b.buf))
	b.buf = append(b.buf, '\n') // separates top-level numbers, were a document one
}

// decode calls each with every document in order. It stops at the first
// document that does not decode, and returns its index and the error.
func (b *docBatch) decode(each func(i int, r schema.Resource)) (int, error) {
	var d *json.Decoder
	start, base := 0, 0 // where document i begins; where d began reading
	for i, end := range b.ends {
		if d == nil {
			d = json.NewDecoder(bytes.NewReader(b.buf[start:]))
			d.UseNumber()
			base = start
		}
		var r schema.Resource
		err := d.Decode(&r)
		if at := base + int(d.InputOffset()); err != nil || at > end || len(bytes.TrimLeft(b.buf[at:end], " \t\r\n")) > 0 {
			d = nil
			if r, err = decodeDoc(b.buf[start:end]); err != nil {
				return i, err
			}
		} else if r == nil {
			r = schema.Resource{}
		}
		each(i, r)
		start = end + 1
	}
	return 0, nil
}

// scanUserPage reads the rows of a ListUsers page selected with the
// columns of userPageColumns(f).
func scanUserPage(rows interface {
	Next() bool
	Scan(...any) error
}, directoryID string, f directory.Fields, limit int) ([]directory.User, error) {
	out := make([]directory.User, 0, min(limit, maxPresize))
	docs := docBatch{n: min(limit, maxPresize)}
	var row renderRow
	for rows.Next() {
		var u directory.User
		var err error
		switch f {
		case directory.RenderFields:
			if err = rows.Scan(row.dest()...); err == nil {
				u.ID, u.Version, u.CreatedAt, u.UpdatedAt = row.id, row.version, fromMicros(row.created), fromMicros(row.updated)
				docs.add(row.doc)
			}
		case directory.KeyFields:
			err = rows.Scan(&u.ID, &u.Version)
		default:
			u, err = scanUser(rows)
		}
		if err != nil {
			return nil, err
		}
		u.DirectoryID = directoryID
		out = append(out, u)
	}
	if f != directory.RenderFields {
		return out, nil
	}
	if i, err := docs.decode(func(i int, r schema.Resource) { out[i].Doc = r }); err != nil {
		return nil, fmt.Errorf("user %s: %w", out[i].ID, err)
	}
	return out, nil
}

// scanGroupPage is scanUserPage for ListGroups.
func scanGroupPage(rows interface {
	Next() bool
	Scan(...any) error
}, directoryID string, f directory.Fields, limit int) ([]directory.Group, error) {
	out := make([]directory.Group, 0, min(limit, maxPresize))
	docs := docBatch{n: min(limit, maxPresize)}
	var row renderRow
	for rows.Next() {
		var g directory.Group
		var err error
		switch f {
		case directory.RenderFields:
			if err = rows.Scan(row.dest()...); err == nil {
				g.ID, g.Version, g.CreatedAt, g.UpdatedAt = row.id, row.version, fromMicros(row.created), fromMicros(row.updated)
				docs.add(row.doc)
			}
		case directory.KeyFields:
			err = rows.Scan(&g.ID, &g.Version)
		default:
			g, err = scanGroup(rows)
		}
		if err != nil {
			return nil, err
		}
		g.DirectoryID = directoryID
		out = append(out, g)
	}
	if f != directory.RenderFields {
		return out, nil
	}
	if i, err := docs.decode(func(i int, r schema.Resource) { out[i].Doc = r }); err != nil {
		return nil, fmt.Errorf("group %s: %w", out[i].ID, err)
	}
	return out, nil
}
