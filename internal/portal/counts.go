package portal

import (
	"context"
	"sync"
	"time"
)

// Counting a directory's users reads an index entry per user: about 0.1 s
// for a million users on SQLite, more on PostgreSQL. The directory page's
// live status asks every 2 s for as long as it is open, and the SCIM and
// Roles tabs count too, so the counts of a directory larger than
// Handler.CountShown are reused for countTTL. Smaller directories are
// counted on every view: their counts move live while an IdP provisions
// them.
const (
	countTTL = 30 * time.Second
	// maxCountsKept bounds the remembered counts (one per large
	// directory viewed); past it the oldest half is forgotten.
	maxCountsKept = 1024
)

// dirCounts remembers large directories' user and group counts.
type dirCounts struct {
	mu sync.Mutex
	m  map[string]dirCount
}

type dirCount struct {
	users, groups int
	at            time.Time
}

// countDirectory returns the directory's user and group counts, at most
// countTTL old for a directory of more than CountShown users.
func (h *Handler) countDirectory(ctx context.Context, id string) (users, groups int, err error) {
	now := h.Service.IDs.Now()
	c := h.counts
	c.mu.Lock()
	got, ok := c.m[id]
	c.mu.Unlock()
	if ok && now.Sub(got.at) < countTTL && !now.Before(got.at) {
		return got.users, got.groups, nil
	}
	users, groups, err = h.Service.Read().CountDirectory(ctx, id)
	if err != nil {
		return 0, 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if users <= h.CountShown {
		delete(c.m, id)
		return users, groups, nil
	}
	if len(c.m) >= maxCountsKept {
		c.forgetOldest(len(c.m) / 2)
	}
	c.m[id] = dirCount{users: users, groups: groups, at: now}
	return users, groups, nil
}

// forgetOldest drops the n oldest counts; c.mu is held.
func (c *dirCounts) forgetOldest(n int) {
	for ; n > 0; n-- {
		var oldest string
		var at time.Time
		for id, dc := range c.m {
			if oldest == "" || dc.at.Before(at) {
				oldest, at = id, dc.at
			}
		}
		delete(c.m, oldest)
	}
}
