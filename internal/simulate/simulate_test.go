package simulate

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
)

// server starts a real scimbridge and returns its handler, a directory's
// SCIM base path and token.
func server(t *testing.T) (http.Handler, string, string) {
	t.Helper()
	ctx := context.Background()
	cfg := config.Config{DataDir: filepath.Join(t.TempDir(), "data"), PublicURL: "http://scim.test",
		LogLevel: "error", LogFormat: "text", ShutdownTimeout: 10 * time.Second}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	org, err := a.Service.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := a.Service.CreateDirectory(ctx, org.ID, "okta", "Sim")
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := a.Service.CreateToken(ctx, dir.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return a.Handler(), "/scim/v2/" + dir.ID, token
}

func small(idp, endpoint, token string) Config {
	return Config{IdP: idp, Endpoint: endpoint, Token: token, Users: 60, Groups: 6, Members: 40,
		Concurrency: 4, Timeout: 30 * time.Second}
}

func TestEveryIdPPassesAgainstScimbridge(t *testing.T) {
	for _, idp := range IdPs() {
		t.Run(idp, func(t *testing.T) {
			h, path, token := server(t)
			srv := httptest.NewServer(h)
			defer srv.Close()
			var out bytes.Buffer
			s, err := Run(context.Background(), small(idp, srv.URL+path, token), &out)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Pass {
				t.Fatalf("want PASS, got:\n%s", out.String())
			}
			if len(s.Phases) != 9 || s.Requests == 0 || s.Checked == 0 {
				t.Errorf("summary looks empty: %+v", s)
			}
			t.Logf("\n%s", out.String())
		})
	}
}

// A server that acknowledges member removals without applying them, and
// one whose user listings overstate totalResults, must both FAIL.
func TestBrokenServerFails(t *testing.T) {
	breakers := map[string]func(next http.Handler) http.Handler{
		"ignores member removals": func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "PATCH" && strings.Contains(r.URL.Path, "/Groups/") {
					b, _ := io.ReadAll(r.Body)
					if strings.Contains(strings.ToLower(string(b)), `"op":"remove"`) {
						w.WriteHeader(http.StatusNoContent)
						return
					}
					r.Body = io.NopCloser(bytes.NewReader(b))
				}
				next.ServeHTTP(w, r)
			})
		},
		"wrong totals": func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != "GET" || !strings.HasSuffix(r.URL.Path, "/Users") || !strings.Contains(r.URL.RawQuery, "sw") {
					next.ServeHTTP(w, r)
					return
				}
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				body := strings.Replace(rec.Body.String(), `"totalResults":`, `"totalResults":1`, 1)
				w.Header().Set("Content-Type", "application/scim+json")
				w.WriteHeader(rec.Code)
				io.WriteString(w, body)
			})
		},
	}
	for name, breaker := range breakers {
		t.Run(name, func(t *testing.T) {
			h, path, token := server(t)
			srv := httptest.NewServer(breaker(h))
			defer srv.Close()
			var out bytes.Buffer
			s, err := Run(context.Background(), small("okta", srv.URL+path, token), &out)
			if err != nil {
				t.Fatal(err)
			}
			if s.Pass || s.Differences == 0 || !strings.Contains(out.String(), "FAIL") {
				t.Fatalf("want FAIL with differences, got:\n%s", out.String())
			}
			t.Logf("\n%s", out.String())
		})
	}
}

func TestRefusesOtherTargets(t *testing.T) {
	for _, ep := range []string{"", "ftp://example.com/scim", "file:///etc/passwd", "http:///nohost", "http://u:p@example.com/"} {
		cfg := small("okta", ep, "t")
		if _, err := Run(context.Background(), cfg, io.Discard); err == nil {
			t.Errorf("endpoint %q accepted", ep)
		}
	}
	// A redirect to another host is not followed.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request reached the other host: %s %s", r.Method, r.URL)
	}))
	defer other.Close()
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	defer redir.Close()
	s, err := Run(context.Background(), small("okta", redir.URL+"/scim/v2", "t"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if s.Pass || s.Errors == 0 {
		t.Errorf("want a failed run, got %+v", s)
	}
}

func TestThrottlingIsAnErrorAndCounted(t *testing.T) {
	h, path, token := server(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/Users") {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	var out bytes.Buffer
	s, err := Run(context.Background(), small("entra", srv.URL+path, token), &out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Pass || s.Throttled != 60 || !strings.Contains(out.String(), "429") {
		t.Fatalf("want FAIL with 60 throttled requests, got %d:\n%s", s.Throttled, out.String())
	}
}
