package scimapi

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

func TestResourceCacheGenerations(t *testing.T) {
	c := newResourceCache(1 << 20)
	k := cacheKey{dir: "d", base: "b", typ: "User", id: "1"}
	if _, ok := c.get(k, 0); ok {
		t.Fatal("hit in an empty cache")
	}
	c.put(k, 5, cachedResource{etag: "e5", body: []byte("five\n")})
	if v, ok := c.get(k, 5); !ok || v.etag != "e5" || string(v.body) != "five\n" {
		t.Fatalf("get at the generation stored: %+v %v", v, ok)
	}
	if _, ok := c.get(k, 6); ok {
		t.Fatal("hit at a newer generation")
	}
	if _, ok := c.get(k, 5); ok {
		t.Fatal("an entry found stale was kept")
	}
	c.put(k, 7, cachedResource{etag: "e7", body: []byte("seven\n")})
	c.put(k, 6, cachedResource{etag: "e6", body: []byte("six\n")}) // a slower reader
	if v, ok := c.get(k, 7); !ok || v.etag != "e7" {
		t.Fatalf("a put of an older generation replaced a newer entry: %+v %v", v, ok)
	}
	for _, other := range []cacheKey{{"d2", "b", "User", "1"}, {"d", "b2", "User", "1"}, {"d", "b", "Group", "1"}, {"d", "b", "User", "2"}} {
		if _, ok := c.get(other, 7); ok {
			t.Fatalf("%+v hit the entry of %+v", other, k)
		}
	}
	c.put(k, 8, cachedResource{body: make([]byte, maxCachedBody+1)})
	if _, ok := c.get(k, 8); ok {
		t.Fatal("a body over maxCachedBody was kept")
	}

	var off *resourceCache = newResourceCache(0)
	off.put(k, 1, cachedResource{body: []byte("x")})
	if _, ok := off.get(k, 1); ok {
		t.Fatal("a disabled cache hit")
	}
}

// TestResourceCacheBounded fills caches of several sizes far beyond their
// budget and checks the bytes they hold, and that entries in use survive
// a scan of entries used once (CLOCK's second chance).
func TestResourceCacheBounded(t *testing.T) {
	for _, size := range []int{4 << 10, 300 << 10, 5 << 20} {
		c := newResourceCache(size)
		body := bytes.Repeat([]byte("x"), 500)
		hot := cacheKey{dir: "d", typ: "User", id: "hot"}
		c.put(hot, 1, cachedResource{body: body})
		for i := range 20000 {
			c.get(hot, 1)
			c.put(cacheKey{dir: "d", typ: "User", id: fmt.Sprint(i)}, 1, cachedResource{body: body})
		}
		total, entries := 0, 0
		for i := range c.shards {
			s := &c.shards[i]
			if s.bytes > s.max {
				t.Errorf("size %d: shard %d holds %d bytes, budget %d", size, i, s.bytes, s.max)
			}
			if len(s.m) != len(s.ring) {
				t.Errorf("size %d: shard %d: %d in the map, %d in the ring", size, i, len(s.m), len(s.ring))
			}
			for j, e := range s.ring {
				if e.idx != j || s.m[e.key] != e {
					t.Fatalf("size %d: shard %d: ring slot %d holds an entry of slot %d", size, i, j, e.idx)
				}
			}
			total += s.bytes
			entries += len(s.m)
		}
		if total > size || entries == 0 {
			t.Errorf("size %d: %d bytes in %d entries", size, total, entries)
		}
		if _, ok := c.get(hot, 1); !ok {
			t.Errorf("size %d: the entry read before every put was evicted", size)
		}
	}
}

func TestResourceCacheConcurrent(t *testing.T) {
	c := newResourceCache(64 << 10)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5000 {
				k := cacheKey{dir: "d", typ: "User", id: fmt.Sprint(i % 300)}
				gen := uint64(i / 1000)
				if v, ok := c.get(k, gen); ok && string(v.body) != k.id {
					t.Errorf("goroutine %d: %q holds %q", g, k.id, v.body)
					return
				}
				c.put(k, gen, cachedResource{body: []byte(k.id)})
			}
		}()
	}
	wg.Wait()
}
