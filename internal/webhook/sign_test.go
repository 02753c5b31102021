package webhook

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// The Standard Webhooks reference example (also in client/verify_test.go).
func TestSignStandardWebhooksExample(t *testing.T) {
	got, err := Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`),
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
	two, err := Sign("msg_1", time.Unix(1, 0), []byte("{}"), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_AAAA")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(bytes.Fields([]byte(two))); n != 2 {
		t.Errorf("two secrets gave %d signatures: %q", n, two)
	}
	if _, err := Sign("msg_1", time.Unix(1, 0), nil, "nope"); err == nil {
		t.Error("a secret without whsec_ was accepted")
	}
}

func TestBox(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	b, err := NewBox(key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := b.Seal([]byte("whsec_secret"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("whsec_secret")) {
		t.Fatal("sealed value contains the plaintext")
	}
	again, _ := b.Seal([]byte("whsec_secret"))
	if bytes.Equal(sealed, again) {
		t.Error("two seals of one plaintext are equal: nonces repeat")
	}
	got, err := b.Open(sealed)
	if err != nil || string(got) != "whsec_secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := b.Open(sealed); err == nil {
		t.Error("a tampered value opened")
	}
	other := make([]byte, 32)
	rand.Read(other)
	ob, _ := NewBox(other, rand.Reader)
	if _, err := ob.Open(again); err == nil {
		t.Error("another key opened the value")
	}
	if _, err := NewBox(key[:16], rand.Reader); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "secret.key")
	k1, err := LoadOrCreateKey(path, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	k2, err := LoadOrCreateKey(path, rand.Reader)
	if err != nil || !bytes.Equal(k1, k2) || len(k1) != 32 {
		t.Fatalf("second load: %x, %v; want the first key", k2, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path, rand.Reader); err == nil {
		t.Error("a world-readable key file was accepted")
	}
	bad := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(bad, []byte("not hex"), 0o600)
	if _, err := LoadOrCreateKey(bad, rand.Reader); err == nil {
		t.Error("a malformed key file was accepted")
	}
}

// TestBackoffSchedule: the documented schedule (docs/webhooks.md), with
// ±20 % jitter, and no retry after the last step.
func TestBackoffSchedule(t *testing.T) {
	w := &Worker{Schedule: DefaultSchedule(), IDs: directory.IDs{Rand: rand.Reader}}
	want := []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
		time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}
	for i, base := range want {
		seen := map[time.Duration]bool{}
		for j := 0; j < 20; j++ {
			d, ok := w.backoff(i + 1)
			if !ok || d < base*8/10 || d > base*12/10 {
				t.Fatalf("backoff after %d failures = %v, %v; want %v ±20%%", i+1, d, ok, base)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("backoff after %d failures has no jitter", i+1)
		}
	}
	if _, ok := w.backoff(len(want) + 1); ok {
		t.Error("a retry after the last step of the schedule")
	}
}
