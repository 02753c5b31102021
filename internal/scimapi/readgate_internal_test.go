package scimapi

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// TestReadGateReleasesWhenResponseStarts: a read that has started its
// response (say to a client that reads slowly) no longer holds its turn,
// so the next read runs; and a write is never gated.
func TestReadGateReleasesWhenResponseStarts(t *testing.T) {
	started := make(chan struct{})
	finish := make(chan struct{})
	h := readGate(1, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			w.WriteHeader(http.StatusOK)
			close(started)
			<-finish
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/slow", nil))
	}()
	<-started
	// With the slow read still running, another read and a write get through.
	for _, m := range []string{"GET", "POST"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(m, "/fast", nil))
		if rec.Code != http.StatusNoContent {
			t.Errorf("%s: status %d", m, rec.Code)
		}
	}
	close(finish)
	wg.Wait()
	// The turn was given back once: the gate admits a read again.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/fast", nil))
	if rec.Code != http.StatusNoContent {
		t.Errorf("after: status %d", rec.Code)
	}
}
