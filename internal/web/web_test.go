package web

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRequestIDKeptOrMade(t *testing.T) {
	var seen string
	h := WithRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = RequestID(r.Context()) }))
	for _, c := range []struct{ in, want string }{
		{"abc-123", "abc-123"},
		{"", ""},
		{"has space", ""},
		{strings.Repeat("x", 65), ""},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		if c.in != "" {
			req.Header.Set("X-Request-Id", c.in)
		}
		h.ServeHTTP(rec, req)
		got := rec.Header().Get("X-Request-Id")
		if got != seen || got == "" {
			t.Errorf("in %q: header %q, context %q", c.in, got, seen)
		}
		if c.want != "" && got != c.want {
			t.Errorf("in %q: got %q, want it kept", c.in, got)
		}
		if c.want == "" && got == c.in {
			t.Errorf("in %q: unsafe id kept", c.in)
		}
	}
}

func TestRecoverRendersAndKeepsServing(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	var rendered error
	ew := func(w http.ResponseWriter, r *http.Request, err error) {
		rendered = err
		w.WriteHeader(http.StatusInternalServerError)
	}
	h := Recover(logger, ew)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 500 || rendered == nil || rendered.Error() != "internal error" {
		t.Errorf("status %d, rendered %v", rec.Code, rendered)
	}
	if !strings.Contains(logs.String(), "boom") {
		t.Errorf("panic not logged: %s", logs.String())
	}
}

func TestAdaptRendersReturnedErrors(t *testing.T) {
	want := errors.New("nope")
	var got error
	h := Adapt(func(w http.ResponseWriter, r *http.Request, err error) { got = err }, func(w http.ResponseWriter, r *http.Request) error { return want })
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if got != want {
		t.Errorf("got %v", got)
	}
}

func TestAccessLogNeverLogsSecrets(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := AccessLog(logger, time.Now)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) }))
	req := httptest.NewRequest("POST", "/scim/v2/dir_x/Users", strings.NewReader(`{"password":"hunter2"}`))
	req.Header.Set("Authorization", "Bearer scimb_dt_secret")
	h.ServeHTTP(httptest.NewRecorder(), req)
	out := logs.String()
	if !strings.Contains(out, "status=201") || strings.Contains(out, "scimb_dt_secret") || strings.Contains(out, "hunter2") {
		t.Errorf("access log: %s", out)
	}
}
