package scimapi_test

import (
	"crypto/rand"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/scimapi"
)

func TestContentTypes(t *testing.T) {
	e := newEnv(t)
	for i, ct := range []string{
		"application/scim+json",
		"application/scim+json; charset=utf-8",
		"application/json",
		"application/json; charset=UTF-8",
		"-", // none
		"text/plain",
	} {
		t.Run(ct, func(t *testing.T) {
			body := `{"schemas":["` + schema.UserURN + `"],"userName":"ct` + string(rune('a'+i)) + `@example.com"}`
			r := e.do("POST", "Users", body, "Content-Type", ct).want(t, http.StatusCreated)
			e.do("PATCH", "Users/"+r.str("id"), `{"Operations":[{"op":"replace","path":"active","value":false}]}`, "Content-Type", ct).want(t, http.StatusOK)
		})
	}
}

func TestMalformedBodies(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("m@example.com")
	for _, tt := range []struct{ name, body string }{
		{"truncated", `{"userName":`},
		{"array", `[{"userName":"x"}]`},
		{"string", `"userName"`},
		{"empty", ``},
		{"whitespace", "  \n"},
		{"two objects", `{"userName":"a@example.com"}{"userName":"b@example.com"}`},
		{"trailing garbage", `{"userName":"a@example.com"} x`},
		{"not JSON", `userName=a`},
		{"null", `null`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.do("POST", "Users", tt.body).want(t, http.StatusBadRequest, "invalidSyntax")
			e.do("PUT", "Users/"+id, tt.body).want(t, http.StatusBadRequest, "invalidSyntax")
			e.do("POST", "Groups", tt.body).want(t, http.StatusBadRequest, "invalidSyntax")
			e.do("POST", "Users/.search", tt.body).want(t, http.StatusBadRequest, "invalidSyntax")
			e.do("POST", "Bulk", tt.body).want(t, http.StatusBadRequest, "invalidSyntax")
			if r := e.do("PATCH", "Users/"+id, tt.body); r.status != http.StatusBadRequest {
				t.Errorf("PATCH: status %d", r.status)
			}
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t, func(h *scimapi.Handler) { h.MaxBodyBytes = 1024 })
	id := e.createUser("small@example.com")
	big := `{"userName":"big@example.com","displayName":"` + strings.Repeat("x", 2048) + `"}`
	for _, tt := range []struct{ method, path string }{
		{"POST", "Users"}, {"PUT", "Users/" + id}, {"PATCH", "Users/" + id}, {"POST", "Groups"}, {"POST", "Users/.search"}, {"POST", ".search"},
	} {
		r := e.do(tt.method, tt.path, big).want(t, http.StatusRequestEntityTooLarge)
		if !strings.Contains(r.str("detail"), "1024") {
			t.Errorf("%s %s: detail %q", tt.method, tt.path, r.str("detail"))
		}
	}
	// Bulk has its own limit (default 16 MiB), not MaxBodyBytes.
	e.do("POST", "Bulk", bulkRequest(0, map[string]any{"method": "POST", "path": "/Users", "bulkId": "b",
		"data": map[string]any{"userName": "bulkbig@example.com", "title": strings.Repeat("y", 2048)}})).want(t, http.StatusOK)
}

func TestRouting(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("route@example.com")

	t.Run("trailing slash", func(t *testing.T) {
		checkList(t, e.do("GET", "Users/", nil), 1, 1, 1)
		e.do("GET", "Users/"+id+"/", nil).want(t, http.StatusOK)
		e.do("POST", "Groups/", map[string]any{"displayName": "Slash"}).want(t, http.StatusCreated)
		e.do("GET", "ServiceProviderConfig/", nil).want(t, http.StatusOK)
	})
	t.Run("doubled slash from a base URL with a trailing slash", func(t *testing.T) {
		e.do("GET", e.base+"//Users", nil).want(t, http.StatusOK)
	})
	t.Run("unknown endpoints are 404 after authentication", func(t *testing.T) {
		for _, p := range []string{"Nope", "Users/" + id + "/extra", "", "users"} { // /Me: 501, TestMeNotImplemented
			e.do("GET", p, nil).want(t, http.StatusNotFound)
		}
		e.do("GET", "/scim/v2/", nil).want(t, http.StatusNotFound)
		e.do("GET", "Nope", nil, "Authorization", "-").want(t, http.StatusUnauthorized)
	})
	t.Run("wrong method is 405 with Allow", func(t *testing.T) {
		for _, tt := range []struct{ method, path, allow string }{
			{"DELETE", "Users", "GET, POST"},
			{"PUT", "Groups", "GET, POST"},
			{"POST", "Users/" + id, "GET, PUT, PATCH, DELETE"},
			{"DELETE", "ServiceProviderConfig", "GET"},
			{"GET", "Bulk", "POST"},
			{"PUT", "Schemas", "GET"},
		} {
			r := e.do(tt.method, tt.path, nil).want(t, http.StatusMethodNotAllowed)
			if got := r.header.Get("Allow"); got != tt.allow {
				t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
			}
		}
		e.do("DELETE", "Users", nil, "Authorization", "-").want(t, http.StatusUnauthorized)
	})
	t.Run("HEAD", func(t *testing.T) {
		e.do("HEAD", "Users/"+id, nil).want(t, http.StatusOK)
	})
}

// Whatever arrives, the answer is SCIM JSON and never a 5xx.
func TestGarbageInput(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("garbage@example.com")
	gid := e.createGroup("Garbage", id)
	bodies := []string{
		`{"userName":{"x":[1,2,{"y":null}]},"emails":"nope","members":{"value":7}}`,
		`{"Operations":[{"op":"add","path":"members[value eq","value":[1]}]}`,
		`{"Operations":[{"op":"replace","path":"name.givenName.x","value":{}}]}`,
		`{"Operations":{"op":"remove","path":"emails[type eq \"work\"]"}}`,
		`{"Operations":[{"op":"remove","path":"members"}],"filter":"((((("}`,
		`{"userName":"` + strings.Repeat("\\u0000", 10) + `","active":"Yes","name":[]}`,
		`{"schemas":null,"userName":"x@example.com","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"mgr"}`,
		`{"displayName":"g","members":[{"value":""}]}`,
		`{"displayName":"g","members":[{"value":{"a":1}}]}`,
		`{"Operations":[{"method":"POST","path":"/Users/bulkId:","data":{"userName":"bulkId:bulkId:"}}],"failOnErrors":-1}`,
		`{"startIndex":1e999,"count":-1e999,"sortBy":"members.value","filter":"not (not (userName pr))"}`,
		"\xff\xfe\x00\x01",
	}
	for i := range 20 {
		n, _ := rand.Int(rand.Reader, big.NewInt(512))
		b := make([]byte, n.Int64()+1)
		rand.Read(b)
		if i%2 == 0 {
			b[0] = '{'
		}
		bodies = append(bodies, string(b))
	}
	targets := []struct{ method, path string }{
		{"POST", "Users"}, {"PUT", "Users/" + id}, {"PATCH", "Users/" + id},
		{"POST", "Groups"}, {"PUT", "Groups/" + gid}, {"PATCH", "Groups/" + gid},
		{"POST", "Users/.search"}, {"POST", "Groups/.search"}, {"POST", ".search"}, {"POST", "Bulk"},
	}
	for _, tt := range targets {
		for _, body := range bodies {
			if r := e.do(tt.method, tt.path, body); r.status >= 500 {
				t.Errorf("%s %s with %q: %d %s", tt.method, tt.path, body, r.status, r.raw)
			}
		}
	}
	for _, q := range []string{
		"filter=%ZZ", "filter=userName+eq+%22a%22%3Bdrop", "attributes=%00,,,", "sortBy=%22&sortOrder=", "startIndex=99999999999999999999",
		"count=" + strings.Repeat("9", 40), "filter=" + strings.Repeat("(", 5000), "excludedAttributes=urn:,urn:x:,.,..",
	} {
		for _, p := range []string{"Users?", "Groups?", "Users/" + id + "?"} {
			if r := e.do("GET", p+q, nil); r.status >= 500 {
				t.Errorf("GET %s%s: %d %s", p, q, r.status, r.raw)
			}
		}
	}
}

// Internal errors are 500 with the request id, logged, never explained.
func TestInternalError(t *testing.T) {
	e := newEnv(t)
	e.createUser("x@example.com")
	e.store.Close()
	r := e.do("GET", "Users", nil, "X-Request-Id", "req-12345").want(t, http.StatusInternalServerError)
	if got, want := r.str("detail"), "internal error (request id req-12345)"; got != want {
		t.Errorf("detail = %q, want %q", got, want)
	}
	if r.get("scimType") != nil {
		t.Errorf("scimType on a 500: %v", r.get("scimType"))
	}
	if logs := e.logs.String(); !strings.Contains(logs, "req-12345") || !strings.Contains(logs, "closed") {
		t.Errorf("the error was not logged with the request id:\n%s", logs)
	}
	// Without an X-Request-Id the surface assigns one.
	r = e.do("GET", "Users", nil)
	if id := r.header.Get("X-Request-Id"); id == "" || !strings.Contains(r.str("detail"), id) {
		t.Errorf("request id %q, detail %q", id, r.str("detail"))
	}
}

// A panic in a handler (here: a Service without a Store) is a SCIM 500.
func TestPanic(t *testing.T) {
	h := &scimapi.Handler{Service: &directory.Service{Logger: slog.New(slog.DiscardHandler)}, Logger: slog.New(slog.DiscardHandler), PublicURL: "https://scim.example.test"}
	srv := httptest.NewServer(h.Routes())
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/scim/v2/dir_x/Users", nil)
	req.Header.Set("Authorization", "Bearer "+directory.TokenPrefix+"abc")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusInternalServerError || res.Header.Get("Content-Type") != "application/scim+json" ||
		!strings.Contains(string(body), schema.ErrorURN) || !strings.Contains(string(body), `"status":"500"`) {
		t.Errorf("%d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
}

// Without a PublicURL, locations are built from the request.
func TestLocations(t *testing.T) {
	e := newEnv(t, func(h *scimapi.Handler) { h.PublicURL = "-" })
	r := e.do("POST", "Users", map[string]any{"userName": "loc@example.com"}, "Host", "idp-facing.example.com").want(t, http.StatusCreated)
	if want := "http://idp-facing.example.com/scim/v2/" + e.dir + "/Users/" + r.str("id"); r.header.Get("Location") != want || r.str("meta.location") != want {
		t.Errorf("Location %q meta.location %q, want %q", r.header.Get("Location"), r.str("meta.location"), want)
	}
	e = newEnv(t, func(h *scimapi.Handler) { h.PublicURL = "https://scim.example.com/" })
	r = e.do("POST", "Users", map[string]any{"userName": "loc@example.com"}).want(t, http.StatusCreated)
	if want := "https://scim.example.com/scim/v2/" + e.dir + "/Users/" + r.str("id"); r.header.Get("Location") != want {
		t.Errorf("Location %q, want %q", r.header.Get("Location"), want)
	}
}

func TestNULCharactersRefused(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "Users", `{"userName":"a\u0000b"}`).want(t, http.StatusBadRequest, "invalidValue")
	id := e.createUser("nul@example.com")
	e.do("PATCH", "Users/"+id, `{"Operations":[{"op":"replace","path":"displayName","value":"x\u0000"}]}`).want(t, http.StatusBadRequest, "invalidValue")
	// An escaped backslash followed by "u0000" is ordinary text.
	e.do("PATCH", "Users/"+id, `{"Operations":[{"op":"replace","path":"displayName","value":"C:\\u0000"}]}`).want(t, http.StatusOK)
}
