package replicatest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// delivery is one webhook request the receiver accepted.
type delivery struct {
	webhookID string
	event     event
}

// receiver is a webhook endpoint: it checks each request's Standard
// Webhooks signature and records the event it carries.
type receiver struct {
	mu       sync.Mutex
	secret   []byte
	got      []delivery
	problems []string
	arrived  chan struct{} // gets a value (non-blocking) on each delivery
}

func newReceiver() *receiver { return &receiver{arrived: make(chan struct{}, 1)} }

func (rc *receiver) setSecret(s string) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	if err != nil {
		return fmt.Errorf("webhook secret %q: %w", s, err)
	}
	rc.mu.Lock()
	rc.secret = key
	rc.mu.Unlock()
	return nil
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	rc.mu.Lock()
	defer rc.mu.Unlock()
	mac := hmac.New(sha256.New, rc.secret)
	fmt.Fprintf(mac, "%s.%s.%s", id, ts, body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	signed := false
	for _, sig := range strings.Fields(r.Header.Get("webhook-signature")) {
		signed = signed || hmac.Equal([]byte(sig), []byte(want))
	}
	if !signed {
		rc.problems = append(rc.problems, fmt.Sprintf("delivery %s: signature %q does not verify", id, r.Header.Get("webhook-signature")))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var e event
	if err := json.Unmarshal(body, &e); err != nil {
		rc.problems = append(rc.problems, fmt.Sprintf("delivery %s: %v", id, err))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.got = append(rc.got, delivery{webhookID: id, event: e})
	select {
	case rc.arrived <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusNoContent)
}

// snapshot returns what arrived so far and the problems seen.
func (rc *receiver) snapshot() ([]delivery, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...), append([]string(nil), rc.problems...)
}
