package directory

import (
	"sync"
	"time"
)

// AuthCache remembers, for a short time, which directory a token
// authenticates, so that a burst of SCIM requests does not read the token
// on every request. It is only correct when every write to tokens and
// directories goes through this process's Service (which invalidates it):
// app enables it on SQLite, where one process owns the database, and never
// on PostgreSQL, where other processes may revoke a token.
type AuthCache struct {
	ttl time.Duration

	mu sync.Mutex
	m  map[string]authEntry
}

type authEntry struct {
	tok     Token
	dir     Directory
	fetched time.Time
}

// maxAuthEntries bounds the cache; when full it starts over.
const maxAuthEntries = 10000

// NewAuthCache returns a cache whose entries live for ttl.
func NewAuthCache(ttl time.Duration) *AuthCache {
	return &AuthCache{ttl: ttl, m: map[string]authEntry{}}
}

func (c *AuthCache) get(hash []byte, now time.Time) (Token, Directory, bool) {
	if c == nil {
		return Token{}, Directory{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[string(hash)]
	if !ok || now.Sub(e.fetched) > c.ttl || now.Before(e.fetched) {
		return Token{}, Directory{}, false
	}
	return e.tok, e.dir, true
}

func (c *AuthCache) put(tok Token, dir Directory, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxAuthEntries {
		c.m = map[string]authEntry{}
	}
	c.m[string(tok.Hash)] = authEntry{tok: tok, dir: dir, fetched: now}
}

// Invalidate forgets everything; called after any change to a token or a
// directory.
func (c *AuthCache) Invalidate() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = map[string]authEntry{}
}

// touchThrottle lets one request per key and interval write a "last used"
// time: without it, every request that read the stale time before the
// first write committed wrote it too (on PostgreSQL each of them an UPDATE
// of the directory row, waiting on the row lock that writers of the
// directory hold). It only ever skips a write another request of this
// process made (or is making) in the last interval; other processes
// write on their own.
type touchThrottle struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// claim reports whether the caller is to write key's time now.
func (t *touchThrottle) claim(key string, now time.Time, every time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l, ok := t.last[key]; ok && now.Sub(l) < every && !now.Before(l) {
		return false
	}
	if t.last == nil || len(t.last) >= maxAuthEntries {
		t.last = map[string]time.Time{}
	}
	t.last[key] = now
	return true
}
