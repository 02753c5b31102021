package scimapi_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scimapi"
)

// The rendered-resource cache (rescache.go) must never change an answer:
// these tests run random SCIM writes against one store and compare every
// read the cached surface answers with what a surface without a cache
// answers over the same store, byte for byte (status, ETag, body). A
// write that did not move its directory's generation would leave a stale
// user (its groups after a group rename, delete or membership change), a
// stale group or a stale userName lookup, and fail them.

// diffEnv is a cached and an uncached SCIM surface over one store.
type diffEnv struct {
	*env
	cached, uncached http.Handler
	rng              *rand.Rand
	users, groups    []string // ids ever created (some deleted since)
	names            []string // userNames ever used
	etags            []string // ETags ever seen
	reads            int
}

func newDiffEnv(t *testing.T, cacheBytes int, seed uint64) *diffEnv {
	e := newEnv(t, func(h *scimapi.Handler) { h.CacheBytes = cacheBytes })
	// As the app runs SQLite: tokens cached, so that GET /Users/{id} reads
	// the user itself (without the cache, the user is read with the token).
	e.svc.AuthCache = directory.NewAuthCache(2 * time.Second)
	unc := &scimapi.Handler{Service: e.svc, Logger: e.handler.Logger, PublicURL: e.handler.PublicURL, CacheBytes: -1}
	return &diffEnv{env: e, cached: e.handler.Routes(), uncached: unc.Routes(), rng: rand.New(rand.NewPCG(seed, 1))}
}

// serve runs one request through h without the network.
func (d *diffEnv) serve(h http.Handler, method, path, body string, header ...string) *httptest.ResponseRecorder {
	var req *http.Request
	target := "http://scim.test/scim/v2/" + d.dir + path
	if body != "" {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/scim+json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.Header.Set("Authorization", "Bearer "+d.token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// write sends a write through the cached surface and remembers the ids
// and ETags it answers with.
func (d *diffEnv) write(method, path, body string) *httptest.ResponseRecorder {
	rec := d.serve(d.cached, method, path, body)
	if rec.Code >= 500 {
		d.t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	if et := rec.Header().Get("ETag"); et != "" {
		d.etags = append(d.etags, et)
	}
	if rec.Code == http.StatusCreated {
		_, rest, _ := strings.Cut(rec.Body.String(), `"id":"`)
		id, _, _ := strings.Cut(rest, `"`)
		if strings.HasPrefix(path, "/Users") {
			d.users = append(d.users, id)
		} else {
			d.groups = append(d.groups, id)
		}
	}
	return rec
}

// read answers one read on both surfaces, twice on the cached one (the
// second is a hit when the first stored it), and fails on any difference.
func (d *diffEnv) read(path string, header ...string) {
	d.t.Helper()
	d.reads++
	for i := 0; i < 2; i++ {
		got := d.serve(d.cached, "GET", path, "", header...)
		want := d.serve(d.uncached, "GET", path, "", header...)
		if got.Code != want.Code || got.Header().Get("ETag") != want.Header().Get("ETag") ||
			got.Header().Get("Content-Type") != want.Header().Get("Content-Type") || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
			d.t.Fatalf("read %d: GET %s %v (pass %d):\ncached:   %d ETag %q\n%s\nuncached: %d ETag %q\n%s", d.reads, path, header, i,
				got.Code, got.Header().Get("ETag"), got.Body, want.Code, want.Header().Get("ETag"), want.Body)
		}
		if et := want.Header().Get("ETag"); et != "" {
			d.etags = append(d.etags, et)
		}
	}
}

func (d *diffEnv) pick(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return list[d.rng.IntN(len(list))]
}

// name returns a userName from a small pool, in a random letter case.
func (d *diffEnv) name() string {
	n := fmt.Sprintf("user%d@example.com", d.rng.IntN(12))
	switch d.rng.IntN(3) {
	case 0:
		n = strings.ToUpper(n)
	case 1:
		n = strings.ToUpper(n[:1]) + n[1:]
	}
	return n
}

func (d *diffEnv) members() string {
	var m []string
	for range d.rng.IntN(4) {
		m = append(m, fmt.Sprintf(`{"value":%q}`, d.pick(d.users)))
	}
	return "[" + strings.Join(m, ",") + "]"
}

// randomWrite makes one random change to the directory.
func (d *diffEnv) randomWrite() {
	const userURN, groupURN, patchURN = `"urn:ietf:params:scim:schemas:core:2.0:User"`, `"urn:ietf:params:scim:schemas:core:2.0:Group"`, `"urn:ietf:params:scim:api:messages:2.0:PatchOp"`
	user := func(name string) string {
		d.names = append(d.names, name)
		return fmt.Sprintf(`{"schemas":[%s],"userName":%q,"displayName":"D %d","active":%t,"emails":[{"value":"e%d@example.com","primary":true}]}`,
			userURN, name, d.rng.IntN(100), d.rng.IntN(2) == 0, d.rng.IntN(100))
	}
	group := func() string {
		return fmt.Sprintf(`{"schemas":[%s],"displayName":"Group %d","members":%s}`, groupURN, d.rng.IntN(1000), d.members())
	}
	patch := func(ops string) string { return fmt.Sprintf(`{"schemas":[%s],"Operations":[%s]}`, patchURN, ops) }
	switch d.rng.IntN(13) {
	case 0, 1:
		d.write("POST", "/Users", user(d.name()))
	case 2:
		d.write("PATCH", "/Users/"+d.pick(d.users), patch(fmt.Sprintf(`{"op":"replace","path":"displayName","value":"P %d"}`, d.rng.IntN(100))))
	case 3:
		name := d.name()
		d.names = append(d.names, name)
		d.write("PATCH", "/Users/"+d.pick(d.users), patch(fmt.Sprintf(`{"op":"replace","path":"userName","value":%q}`, name)))
	case 4:
		d.write("PUT", "/Users/"+d.pick(d.users), user(d.name()))
	case 5:
		d.write("DELETE", "/Users/"+d.pick(d.users), "")
	case 6, 7:
		d.write("POST", "/Groups", group())
	case 8:
		d.write("PATCH", "/Groups/"+d.pick(d.groups), patch(fmt.Sprintf(`{"op":"replace","path":"displayName","value":"Renamed %d"}`, d.rng.IntN(1000))))
	case 9:
		d.write("PATCH", "/Groups/"+d.pick(d.groups), patch(fmt.Sprintf(`{"op":"add","path":"members","value":%s}`, d.members())))
	case 10:
		d.write("PATCH", "/Groups/"+d.pick(d.groups), patch(fmt.Sprintf(`{"op":"remove","path":"members[value eq %q]"}`, d.pick(d.users))))
	case 11:
		if d.rng.IntN(2) == 0 {
			d.write("DELETE", "/Groups/"+d.pick(d.groups), "")
		} else {
			d.write("PUT", "/Groups/"+d.pick(d.groups), group())
		}
	case 12:
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[`+
			`{"method":"POST","path":"/Users","bulkId":"u1","data":%s},`+
			`{"method":"PATCH","path":"/Groups/%s","data":%s},`+
			`{"method":"PATCH","path":"/Users/%s","data":%s}]}`,
			user(d.name()), d.pick(d.groups), patch(`{"op":"add","path":"members","value":[{"value":"bulkId:u1"}]}`),
			d.pick(d.users), patch(`{"op":"replace","path":"active","value":false}`))
		rec := d.write("POST", "/Bulk", body)
		for _, part := range strings.Split(rec.Body.String(), `"location":"`)[1:] {
			loc, _, _ := strings.Cut(part, `"`)
			if i := strings.LastIndex(loc, "/Users/"); i >= 0 {
				d.users = append(d.users, loc[i+len("/Users/"):])
			}
		}
	}
}

// randomRead compares one random read.
func (d *diffEnv) randomRead() {
	filter := func(name string) string {
		return "/Users?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq %q`, name))
	}
	switch d.rng.IntN(11) {
	case 0, 1:
		d.read("/Users/" + d.pick(d.users))
	case 2:
		d.read("/Users/"+d.pick(d.users), "If-None-Match", d.pick(d.etags))
	case 3, 4:
		d.read("/Groups/" + d.pick(d.groups))
	case 5:
		d.read("/Groups/"+d.pick(d.groups), "If-None-Match", d.pick(d.etags))
	case 6, 7:
		name := d.name()
		if d.rng.IntN(2) == 0 {
			name = d.pick(d.names)
		}
		d.read(filter(name))
	case 8:
		// Forms that must not come from the cache, next to the cached one.
		name := d.pick(d.names)
		for _, extra := range []string{"&startIndex=1&count=10", "&count=0", "&startIndex=2", "&attributes=userName", "&excludedAttributes=groups", "&sortBy=userName"} {
			d.read(filter(name) + extra)
		}
		d.read("/Users/"+d.pick(d.users)+"?excludedAttributes=groups", "If-None-Match", d.pick(d.etags))
		d.read("/Users?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq %q or userName eq %q`, d.pick(d.names), d.pick(d.names))))
	case 9, 10:
		// List pages, whose users come from the cache when all of a
		// chunk's are in it (list.go, cachedUsers), and are kept in it.
		d.read(fmt.Sprintf("/Users?startIndex=%d&count=%d", 1+d.rng.IntN(8), 1+d.rng.IntN(12)))
		d.read("/Users")
	}
}

func TestResourceCacheMatchesUncached(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cacheBytes int
	}{
		{"default size", 0},
		{"tiny, evicting", 8 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			d := newDiffEnv(t, tc.cacheBytes, seed)
			steps := 400
			if testing.Short() {
				steps = 100
			}
			for range steps {
				d.randomWrite()
				for range 1 + d.rng.IntN(6) {
					d.randomRead()
				}
			}
		})
	}
}

// TestResourceCacheConcurrentWrites reads through the cache while writers
// change the directory, then checks, once they are done, that nothing
// the cache still holds is stale: an entry rendered from rows older than
// the generation it is tagged with would show here.
func TestResourceCacheConcurrentWrites(t *testing.T) {
	d := newDiffEnv(t, 0, uint64(time.Now().UnixNano()))
	d.names = append(d.names, "first@example.com")
	d.write("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"first@example.com"}`)
	d.write("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"First","members":[{"value":"`+d.users[0]+`"}]}`)
	for range 20 {
		d.randomWrite()
	}
	users, groups, names := d.users, d.groups, d.names
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 2))
			for {
				select {
				case <-stop:
					return
				default:
				}
				switch rng.IntN(3) {
				case 0:
					d.serve(d.cached, "GET", "/Users/"+users[rng.IntN(len(users))], "")
				case 1:
					d.serve(d.cached, "GET", "/Groups/"+groups[rng.IntN(len(groups))], "")
				default:
					d.serve(d.cached, "GET", "/Users?filter="+url.QueryEscape(fmt.Sprintf(`userName eq %q`, names[rng.IntN(len(names))])), "")
				}
			}
		}()
	}
	for range 150 {
		d.randomWrite()
	}
	close(stop)
	wg.Wait()
	for _, id := range d.users {
		d.read("/Users/" + id)
	}
	for _, id := range d.groups {
		d.read("/Groups/" + id)
	}
	for _, n := range d.names {
		d.read("/Users?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq %q`, n)))
	}
}

// TestUserNameFoundFromCachedUser: a user read by id or listed is then
// found by a `userName eq` filter (any case) without a query, and a
// rename moves both names at once.
func TestUserNameFoundFromCachedUser(t *testing.T) {
	e := newEnv(t)
	e.svc.AuthCache = directory.NewAuthCache(2 * time.Second) // as the app runs SQLite
	ada := e.createUser("Ada.Lovelace@example.com")
	grace := e.createUser("grace@example.com")
	filter := func(name string) *response {
		t.Helper()
		return e.do("GET", "Users?filter="+url.QueryEscape(`userName eq "`+name+`"`), nil).want(t, http.StatusOK)
	}
	found := func(res *response, want string) {
		t.Helper()
		got := res.resources()
		switch {
		case want == "" && (res.num("totalResults") != 0 || len(got) != 0):
			t.Errorf("found %s, want no user", res.raw)
		case want != "" && (res.num("totalResults") != 1 || len(got) != 1 || got[0]["id"] != want):
			t.Errorf("found %s, want user %s", res.raw, want)
		}
	}
	queries := func(want int64, what string) {
		t.Helper()
		if n := e.calls.listUsers.Load(); n != want {
			t.Errorf("%s: %d user queries, want %d", what, n, want)
		}
		e.calls.reset()
	}

	e.do("GET", "Users/"+ada, nil).want(t, http.StatusOK)
	e.calls.reset()
	found(filter("ada.lovelace@EXAMPLE.com"), ada)
	queries(0, "filter after GET by id")

	e.do("GET", "Users?startIndex=1&count=10", nil).want(t, http.StatusOK)
	e.calls.reset()
	found(filter("Grace@example.com"), grace)
	queries(0, "filter after a list page")

	e.do("PATCH", "Users/"+ada, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "path": "userName", "value": "ada@example.com"}},
	}).want(t, http.StatusOK)
	found(filter("Ada.Lovelace@example.com"), "")
	found(filter("ADA@example.com"), ada)
	found(filter("grace@example.com"), grace)
}
