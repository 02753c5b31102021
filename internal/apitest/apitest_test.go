package apitest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// reports collects what Validate reports instead of failing the test.
type reports struct{ got []string }

func (r *reports) Helper() {}
func (r *reports) Errorf(format string, args ...any) {
	r.got = append(r.got, fmt.Sprintf(format, args...))
}

func TestDocumentLoadsAndValidates(t *testing.T) {
	spec, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(spec.Doc.Paths.Map()); n < 20 {
		t.Fatalf("docs/openapi.yaml: %d paths parsed", n)
	}
}

// A response that differs from the document in any way the document
// states is reported: the validator cannot pass whatever the handler does.
func TestValidateReportsWrongResponses(t *testing.T) {
	const org = `{"object":"organization","id":"org_1","name":"Acme","external_id":null,` +
		`"created_at":"2026-12-05T08:00:00Z","updated_at":"2026-12-05T08:00:00Z"}`
	cases := []struct {
		name, method, path string
		status             int
		contentType, body  string
		wantReport         string // "" for a response the document describes
	}{
		{"documented page", "GET", "/api/v1/organizations", 200, "application/json", `{"data":[` + org + `],"next_page_token":null}`, ""},
		{"documented error", "GET", "/api/v1/organizations", 401, "application/json", `{"error":{"code":"unauthorized","message":"missing API key","details":[]}}`, ""},
		{"field missing", "GET", "/api/v1/organizations", 200, "application/json", `{"data":[]}`, "next_page_token"},
		{"wrong type", "GET", "/api/v1/organizations", 200, "application/json", `{"data":[{"object":"organization","id":7}],"next_page_token":null}`, "doesn't match"},
		{"undocumented status", "GET", "/api/v1/organizations", 418, "application/json", `{}`, "418"},
		{"wrong content type", "POST", "/api/v1/organizations", 201, "text/plain", org, "text/plain"},
		{"unknown path served", "GET", "/api/v1/nothing-here", 200, "application/json", `{}`, "not in the document"},
		{"unknown path, error body", "GET", "/api/v1/nothing-here", 404, "application/json", `{"error":{"code":"not_found","message":"no such endpoint"}}`, ""},
		{"unknown path, bare 404", "GET", "/api/v1/nothing-here", 404, "text/plain", `404 page not found`, "Content-Type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := &reports{}
			h := Validate(rep, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader("{}")))
			if rec.Code != tc.status || rec.Body.String() != tc.body {
				t.Errorf("the response was changed on its way: %d %q", rec.Code, rec.Body.String())
			}
			all := strings.Join(rep.got, "\n")
			switch {
			case tc.wantReport == "" && len(rep.got) > 0:
				t.Errorf("a documented response was reported:\n%s", all)
			case tc.wantReport != "" && !strings.Contains(all, tc.wantReport):
				t.Errorf("report %q lacks %q", all, tc.wantReport)
			}
		})
	}
}
