package scimapi

import (
	"hash/maphash"
	"sync"
)

// The rendered-resource cache keeps, in memory, the response bodies of
// single resources as GET /Users/{id} and GET /Groups/{id} answer them
// in their default projection (no attributes or excludedAttributes,
// RFC 7644 §3.4.2.5), with their ETags (RFC 7644 §3.14), and what the
// `userName eq "…"` filter found (cachedreads.go).
//
// An entry is tagged with the generation of its directory
// (directory.Reader.Generation) read BEFORE the store was read for it,
// and is served only while the directory's generation is still that one:
// every commit that may change a directory's users, groups or memberships
// moves its generation after it committed, so an entry is never older
// than the last change a reader could have seen answered. A commit that
// lands between the generation read and the store read makes the entry
// newer than its tag, never older; it then simply misses. Only a store
// whose generations cover every write has them (SQLite, one process);
// on PostgreSQL Generation reports false and nothing is cached.
//
// The cache is bounded by bytes (bodies, ETags, keys and a fixed overhead
// per entry) and evicts by CLOCK (second chance): a hit only sets a bit.
// It is split into shards, each with its own mutex, so that concurrent
// readers rarely wait for each other. A nil *resourceCache is a disabled
// cache: get misses and put does nothing.

// cacheKey names a cached response: the directory, the base URL its
// locations were rendered with (RFC 7643 §3.1 meta.location), the
// resource type ("User", "Group", or a lookup such as userNameLookup) and
// the resource's id (or the lookup's key).
type cacheKey struct{ dir, base, typ, id string }

// cachedResource is a cached response: the resource's ETag and its body
// as sent (JSON followed by a newline), or for a lookup the id it found
// ("" for none). body is shared by every reader and must never be
// modified.
type cachedResource struct {
	etag string
	body []byte
	id   string
}

// maxCachedBody is the largest body kept: a group of thousands of members
// is rendered per request rather than crowding out thousands of users.
const maxCachedBody = 64 << 10

// entryOverhead approximates what an entry costs besides its strings and
// body: the entry, its map slot and its ring slot.
const entryOverhead = 200

// shardBytes is the least budget a shard gets: smaller caches have fewer
// shards (at least one), larger ones up to maxShards.
const (
	shardBytes = 256 << 10
	maxShards  = 16
)

type resourceCache struct {
	seed   maphash.Seed
	shards []cacheShard
}

// cacheShard is one part of the cache: a map and a CLOCK ring over the
// same entries.
type cacheShard struct {
	mu    sync.Mutex
	m     map[cacheKey]*cacheEntry
	ring  []*cacheEntry
	hand  int
	bytes int
	max   int
}

type cacheEntry struct {
	key  cacheKey
	gen  uint64
	v    cachedResource
	size int
	idx  int  // its slot in the ring
	ref  bool // used since the hand last passed
}

// newResourceCache returns a cache of at most maxBytes, or nil (disabled)
// when maxBytes is not positive.
func newResourceCache(maxBytes int) *resourceCache {
	if maxBytes <= 0 {
		return nil
	}
	n := 1
	for n < maxShards && maxBytes/(n*2) >= shardBytes {
		n *= 2
	}
	c := &resourceCache{seed: maphash.MakeSeed(), shards: make([]cacheShard, n)}
	for i := range c.shards {
		c.shards[i].m = map[cacheKey]*cacheEntry{}
		c.shards[i].max = maxBytes / n
	}
	return c
}

func (c *resourceCache) shard(k cacheKey) *cacheShard {
	if len(c.shards) == 1 {
		return &c.shards[0]
	}
	// The id alone spreads the entries: ids are random, and a lookup's
	// id is the name looked up.
	return &c.shards[maphash.String(c.seed, k.id)%uint64(len(c.shards))]
}

// get returns the entry of k if it was stored with generation gen. An
// entry of an older generation is dropped.
func (c *resourceCache) get(k cacheKey, gen uint64) (cachedResource, bool) {
	if c == nil {
		return cachedResource{}, false
	}
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[k]
	if !ok {
		return cachedResource{}, false
	}
	if e.gen != gen {
		if e.gen < gen {
			s.remove(e)
		}
		return cachedResource{}, false
	}
	e.ref = true
	return e.v, true
}

// put stores v for k, read at generation gen. An entry of a newer
// generation is kept (a slower reader must not replace it); a body above
// maxCachedBody or a shard's budget is not stored.
func (c *resourceCache) put(k cacheKey, gen uint64, v cachedResource) {
	if c == nil || len(v.body) > maxCachedBody {
		return
	}
	size := entryOverhead + len(k.dir) + len(k.base) + len(k.typ) + len(k.id) + len(v.etag) + cap(v.body) + len(v.id)
	s := c.shard(k)
	if size > s.max {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[k]; ok {
		if e.gen > gen {
			return
		}
		s.remove(e)
	}
	for s.bytes+size > s.max {
		s.evict()
	}
	e := &cacheEntry{key: k, gen: gen, v: v, size: size, idx: len(s.ring)}
	s.m[k] = e
	s.ring = append(s.ring, e)
	s.bytes += size
}

// evict drops one entry: the first the hand finds not used since it last
// passed (CLOCK). s.mu is held and the ring is not empty.
func (s *cacheShard) evict() {
	for {
		if s.hand >= len(s.ring) {
			s.hand = 0
		}
		e := s.ring[s.hand]
		if e.ref {
			e.ref = false
			s.hand++
			continue
		}
		s.remove(e)
		return
	}
}

// remove drops e from the map and the ring (the ring's last entry takes
// its slot). s.mu is held.
func (s *cacheShard) remove(e *cacheEntry) {
	delete(s.m, e.key)
	last := len(s.ring) - 1
	s.ring[e.idx] = s.ring[last]
	s.ring[e.idx].idx = e.idx
	s.ring[last] = nil
	s.ring = s.ring[:last]
	s.bytes -= e.size
}
