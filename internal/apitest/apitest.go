package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/scimbridge/scimbridge/docs"
)

// Reporter is the part of testing.TB the validator reports through.
type Reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// Spec is the parsed, validated document and a router over its paths.
type Spec struct {
	Doc    *openapi3.T
	Router routers.Router
}

// Load parses and validates docs/openapi.yaml. The result is shared by
// every test of the binary and must not be modified.
func Load() (*Spec, error) { return load() }

var load = sync.OnceValues(func() (*Spec, error) {
	l := openapi3.NewLoader()
	doc, err := l.LoadFromData(docs.OpenAPI())
	if err != nil {
		return nil, fmt.Errorf("docs/openapi.yaml does not load: %w", err)
	}
	if err := doc.Validate(l.Context); err != nil {
		return nil, fmt.Errorf("docs/openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("docs/openapi.yaml: building its router: %w", err)
	}
	return &Spec{Doc: doc, Router: r}, nil
})

// Validate wraps h, a handler that serves the management API under
// /api/v1/ (other paths pass through unchecked), and reports through t
// every response that docs/openapi.yaml does not describe: an operation
// it lacks, a status it does not list, another content type, or a body
// that does not match the response's schema. A request to a path the
// document lacks must be answered 404 with the API's JSON error body.
func Validate(t Reporter, h http.Handler) http.Handler {
	spec, err := Load()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/v1/") {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		res := rec.Result()
		body := rec.Body.Bytes()
		if err != nil {
			t.Errorf("%v", err)
		} else if problem := check(spec, r, res, body); problem != "" {
			t.Errorf("%s %s answered %d, which docs/openapi.yaml does not describe: %s\nbody: %.600s", r.Method, r.URL.RequestURI(), res.StatusCode, problem, body)
		}
		for k, vs := range res.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(body) // the test's client reads it; a failed write is its failure
	})
}

// check returns what is wrong with the response, or "".
func check(spec *Spec, r *http.Request, res *http.Response, body []byte) string {
	route, params, err := spec.Router.FindRoute(r)
	if err != nil {
		var re *routers.RouteError
		if errors.As(err, &re) {
			// Not a documented operation: the API answers "no such endpoint".
			if res.StatusCode != http.StatusNotFound {
				return fmt.Sprintf("the operation is not in the document (%v), yet it was not answered 404", err)
			}
			return checkErrorBody(res, body)
		}
		return fmt.Sprintf("finding the operation: %v", err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: r, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: res.StatusCode,
		Header: res.Header,
		Body:   nopCloser{bytes.NewReader(body)},
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
		},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return err.Error()
	}
	return ""
}

// checkErrorBody checks the API's error shape where no operation applies.
func checkErrorBody(res *http.Response, body []byte) string {
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		return "Content-Type " + ct + ", want application/json"
	}
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		return "the body is not the API's error object with a code and a message"
	}
	return ""
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
