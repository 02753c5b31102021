package scimapi

import (
	"fmt"
	"testing"
)

func TestListMemo(t *testing.T) {
	var m listMemo
	k := listKey{dir: "d", typ: "User"}
	if h := m.lookup(k, 1, 0, true, false); h.total != -1 || h.mark.pos != 0 {
		t.Fatalf("empty memo: %+v", h)
	}
	m.remember(k, 1, 42, false, pageMark{pos: 100, id: "u100"})
	m.remember(k, 1, -1, false, pageMark{pos: 200, id: "u200"})
	m.remember(k, 1, -1, true, pageMark{pos: 100, id: "d100"})
	tests := []struct {
		offset  int
		desc    bool
		wantPos int
		wantID  string
	}{
		{0, false, 0, ""},
		{99, false, 0, ""},
		{100, false, 100, "u100"},
		{150, false, 100, "u100"},
		{250, false, 200, "u200"},
		{150, true, 100, "d100"},
	}
	for _, tt := range tests {
		h := m.lookup(k, 1, tt.offset, true, tt.desc)
		if h.total != 42 || h.mark.pos != tt.wantPos || h.mark.id != tt.wantID {
			t.Errorf("lookup(offset %d, desc %v) = %+v, want total 42, mark %d %q", tt.offset, tt.desc, h, tt.wantPos, tt.wantID)
		}
	}
	if h := m.lookup(k, 1, 250, false, false); h.mark.pos != 0 || h.total != 42 {
		t.Errorf("marks not wanted (sorted): %+v", h)
	}
	// Another generation knows nothing; an older one changes nothing.
	if h := m.lookup(k, 2, 250, true, false); h.total != -1 || h.mark.pos != 0 {
		t.Errorf("generation 2: %+v", h)
	}
	m.remember(k, 2, 7, false, pageMark{})
	m.remember(k, 1, 42, false, pageMark{pos: 300, id: "old"})
	if h := m.lookup(k, 2, 350, true, false); h.total != 7 || h.mark.pos != 0 {
		t.Errorf("after generation 2: %+v", h)
	}

	// Marks are bounded; the first remembered goes first.
	for i := range memoMarks + 10 {
		m.remember(k, 2, -1, false, pageMark{pos: (memoMarks + 10 - i) * 10, id: fmt.Sprint(i)})
	}
	if n := len(m.entries[k].marks[0]); n != memoMarks {
		t.Errorf("%d marks, want %d", n, memoMarks)
	}
	if h := m.lookup(k, 2, (memoMarks+10)*10, true, false); h.mark.pos == (memoMarks+10)*10 {
		t.Errorf("the oldest mark was kept: %+v", h)
	}
	if h := m.lookup(k, 2, 10, true, false); h.mark.pos != 10 {
		t.Errorf("the newest mark was dropped: %+v", h)
	}

	// Entries are bounded.
	for i := range memoEntries + 5 {
		m.remember(listKey{dir: fmt.Sprint(i)}, 1, i, false, pageMark{})
	}
	if n := len(m.entries); n != memoEntries {
		t.Errorf("%d entries, want %d", n, memoEntries)
	}
}
