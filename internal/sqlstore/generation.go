package sqlstore

import (
	"sync"
	"sync/atomic"
)

// generations counts, per directory, the commits that may have changed
// its users or groups, for callers that keep what they read of a
// directory in memory (internal/scimapi's rendered-resource cache): a
// value read while the directory's generation was g is current as long as
// the generation is still g.
//
// Only SQLite has them: its single writer (the group commit, batch.go) is
// this process, so every commit that can change a directory passes
// through here. On PostgreSQL other replicas write too, and no process
// sees every commit.
//
// A directory's generation moves when a write that opened its event log
// (openEvents: every change to users, groups or memberships writes
// events) ends, after its transaction committed or rolled back; never
// before the commit, so a reader that sees the new generation also sees
// the commit's rows.
type generations struct {
	m sync.Map // directory id → *atomic.Uint64
}

func (g *generations) counter(dirID string) *atomic.Uint64 {
	if c, ok := g.m.Load(dirID); ok {
		return c.(*atomic.Uint64)
	}
	c, _ := g.m.LoadOrStore(dirID, new(atomic.Uint64))
	return c.(*atomic.Uint64)
}

// get returns a directory's generation.
func (g *generations) get(dirID string) uint64 { return g.counter(dirID).Load() }

// bump moves a directory's generation on.
func (g *generations) bump(dirID string) { g.counter(dirID).Add(1) }

// Generation returns the directory's generation (see generations) and
// true on SQLite; on PostgreSQL, false: what a process reads there may be
// changed by another replica at any time, so it must not be kept.
func (s *Store) Generation(dirID string) (uint64, bool) {
	if s.gens == nil {
		return 0, false
	}
	return s.gens.get(dirID), true
}
