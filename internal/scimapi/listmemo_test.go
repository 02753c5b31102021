package scimapi_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/scimapi"
	"github.com/scimbridge/scimbridge/internal/testenv"
)

// generationStore overrides the store's generations: none (as on
// PostgreSQL: nothing is remembered), or a constant one (a memo that
// ignores writes, which the differential test must catch).
type generationStore struct {
	directory.Store
	none bool
}

func (s generationStore) Generation(string) (uint64, bool) { return 0, !s.none }

// peer is a second SCIM server over the same store and directory.
func (e *env) peer(st directory.Store) *env {
	svc := testenv.Service(st)
	h := &scimapi.Handler{Service: svc, PublicURL: e.handler.PublicURL}
	srv := httptest.NewServer(h.Routes())
	e.t.Cleanup(srv.Close)
	return &env{t: e.t, srv: srv, handler: h, svc: svc, store: e.store, dir: e.dir, token: e.token,
		base: srv.URL + "/scim/v2/" + e.dir, logs: e.logs, calls: e.calls}
}

// TestListMemoMatchesUncachedPages walks list pages (startIndex += count,
// as an IdP import does) on a server that remembers totals and page ends
// per directory generation, and on one that remembers nothing, while
// users are created, deleted and renamed (which moves them in userName
// order) and group memberships change between pages: every page must be
// byte for byte the same on both. The same walk on a server whose
// generation never moves must differ somewhere, or the test could not
// catch a memo that ignores writes.
func TestListMemoMatchesUncachedPages(t *testing.T) {
	e := newEnv(t, func(h *scimapi.Handler) { h.PublicURL = "https://scim.example.com" })
	plain := e.peer(generationStore{Store: e.store, none: true})
	stale := e.peer(generationStore{Store: e.store})

	rng := rand.New(rand.NewPCG(16, 1))
	var users []string
	name := func() string { return fmt.Sprintf("user%04d@example.com", rng.IntN(10000)) }
	create := func() {
		r := e.do("POST", "Users", map[string]any{"schemas": []string{schema.UserURN}, "userName": name(), "active": rng.IntN(2) == 0})
		if r.status == http.StatusCreated {
			users = append(users, r.str("id"))
		}
	}
	for range 40 {
		create()
	}
	groupID := e.createGroup("walkers", users[:5]...)

	write := func() string {
		switch k := rng.IntN(4); {
		case k == 0 || len(users) < 10:
			create()
			return "create"
		case k == 1:
			i := rng.IntN(len(users))
			e.do("DELETE", "Users/"+users[i], nil).want(t, http.StatusNoContent)
			users = append(users[:i], users[i+1:]...)
			return "delete"
		case k == 2:
			r := e.do("PATCH", "Users/"+users[rng.IntN(len(users))], map[string]any{"schemas": []string{schema.PatchOpURN},
				"Operations": []any{map[string]any{"op": "replace", "path": "userName", "value": name()}}})
			if r.status != http.StatusOK && r.status != http.StatusConflict {
				t.Fatalf("rename: %d %s", r.status, r.raw)
			}
			return "rename"
		default:
			r := e.do("PATCH", "Groups/"+groupID, map[string]any{"schemas": []string{schema.PatchOpURN},
				"Operations": []any{map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": users[rng.IntN(len(users))]}}}}})
			if r.status != http.StatusOK && r.status != http.StatusNoContent {
				t.Fatalf("add member: %d %s", r.status, r.raw)
			}
			return "add member"
		}
	}

	queries := []string{
		"Users?count=7",
		"Users?count=5&sortOrder=descending",
		"Users?count=6&filter=" + url.QueryEscape(`active eq true`),
		"Users?count=4&sortBy=userName",
		"Users?count=9&sortBy=userName&sortOrder=descending&excludedAttributes=groups",
		"Users?count=0",
		"Users?count=8&filter=" + url.QueryEscape(`groups.value eq "`+groupID+`"`),
		"Groups?count=1",
	}
	walk := func(other *env) (diffs int) {
		for _, q := range queries {
			for start, step := 1, 0; start <= len(users)+10; step++ {
				path := fmt.Sprintf("%s&startIndex=%d", q, start)
				got, want := e.do("GET", path, nil).want(t, http.StatusOK), plain.do("GET", path, nil).want(t, http.StatusOK)
				if other != nil {
					got = other.do("GET", path, nil).want(t, http.StatusOK)
				}
				if !bytes.Equal(got.raw, want.raw) {
					diffs++
					if other == nil {
						t.Errorf("%s differs from the uncached page:\n%s\nwant\n%s", path, got.raw, want.raw)
					}
				}
				// Two pages of three in the same generation: the memo
				// answers the second; then a write.
				if step%3 == 2 {
					write()
				}
				n := want.num("itemsPerPage")
				if n == 0 {
					n = 3
				}
				start += n
			}
		}
		return diffs
	}
	for round := range 6 {
		if walk(nil) > 0 {
			t.Fatalf("round %d: pages differ from the uncached ones", round)
		}
	}
	if walk(stale) == 0 {
		t.Error("a memo that ignores the generation gave the same pages: the walk does not exercise the writes")
	}
}
