package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// An error returned after the response started reaches the error writer
// as a *ClientGoneError with Started set; one returned before, unchanged.
func TestAdaptMarksStartedResponses(t *testing.T) {
	boom := errors.New("write: broken pipe")
	var got error
	ew := func(w http.ResponseWriter, r *http.Request, err error) { got = err }
	for _, c := range []struct {
		name    string
		h       HandlerFunc
		started bool
	}{
		{"before", func(w http.ResponseWriter, r *http.Request) error { return boom }, false},
		{"after WriteHeader", func(w http.ResponseWriter, r *http.Request) error { w.WriteHeader(200); return boom }, true},
		{"after Write", func(w http.ResponseWriter, r *http.Request) error { w.Write([]byte("x")); return boom }, true},
	} {
		got = nil
		Adapt(ew, c.h).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		var cg *ClientGoneError
		isGone := errors.As(got, &cg)
		if isGone != c.started || (isGone && !cg.Started) || !errors.Is(got, boom) {
			t.Errorf("%s: error %#v, want ClientGoneError(started)=%v wrapping the handler's", c.name, got, c.started)
		}
	}
}

// LimitHeaders counts the request line and headers.
func TestLimitHeaders(t *testing.T) {
	var got error
	h := LimitHeaders(1024, func(w http.ResponseWriter, r *http.Request, err error) { got = err; w.WriteHeader(431) })(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, c := range []struct {
		url, header string
		refused     bool
	}{
		{"/short", "", false},
		{"/" + strings.Repeat("a", 1100), "", true},
		{"/short", strings.Repeat("b", 1100), true},
	} {
		got = nil
		r := httptest.NewRequest("GET", c.url, nil)
		if c.header != "" {
			r.Header.Set("X-Big", c.header)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		var hte *HeaderTooLargeError
		if errors.As(got, &hte) != c.refused {
			t.Errorf("%.20s… header %d bytes: refused=%v, want %v", c.url, len(c.header), got != nil, c.refused)
		}
	}
}
