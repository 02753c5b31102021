package client

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// The example of the Standard Webhooks reference libraries: secret,
// message id, timestamp and body, and the signature they compute.
const (
	svSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	svID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	svTS     = "1614265330"
	svBody   = `{"test": 2432232314}`
	svSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func svHeaders(sig string) http.Header {
	h := http.Header{}
	h.Set("webhook-id", svID)
	h.Set("webhook-timestamp", svTS)
	h.Set("webhook-signature", sig)
	return h
}

func TestVerifyWebhook(t *testing.T) {
	at := time.Unix(1614265330, 0)
	otherSig := "v1,Ceg2XkXHJNBg8spoYnOdMz4hC5YJBFKhP6R1vjVmNbc="
	tests := []struct {
		name string
		h    http.Header
		body string
		now  time.Time
		want error
	}{
		{"valid", svHeaders(svSig), svBody, at, nil},
		{"valid among several (rotation)", svHeaders(otherSig + " " + svSig), svBody, at, nil},
		{"valid with v1a and garbage first", svHeaders("v1a,xyz v1,!!! " + svSig), svBody, at, nil},
		{"tampered body", svHeaders(svSig), `{"test": 2432232315}`, at, ErrWebhookSignature},
		{"wrong signature", svHeaders(otherSig), svBody, at, ErrWebhookSignature},
		{"too old", svHeaders(svSig), svBody, at.Add(5*time.Minute + time.Second), ErrWebhookTimestamp},
		{"too new", svHeaders(svSig), svBody, at.Add(-5*time.Minute - time.Second), ErrWebhookTimestamp},
		{"just within", svHeaders(svSig), svBody, at.Add(5 * time.Minute), nil},
		{"missing headers", http.Header{}, svBody, at, ErrWebhookMissingHeaders},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := verifyWebhookAt(svSecret, tc.h, []byte(tc.body), 0, tc.now)
			if !errors.Is(err, tc.want) {
				t.Errorf("verify = %v, want %v", err, tc.want)
			}
		})
	}
	h := svHeaders(svSig)
	h.Set("webhook-id", "msg_other")
	if err := verifyWebhookAt(svSecret, h, []byte(svBody), 0, at); !errors.Is(err, ErrWebhookSignature) {
		t.Errorf("changed webhook-id: %v, want a signature error", err)
	}
	if err := verifyWebhookAt(svSecret, svHeaders(svSig), []byte(svBody), time.Hour, at.Add(30*time.Minute)); err != nil {
		t.Errorf("custom tolerance of 1h, 30 min old: %v", err)
	}
	if err := VerifyWebhook(svSecret, svHeaders(svSig), []byte(svBody), 0); !errors.Is(err, ErrWebhookTimestamp) {
		t.Errorf("VerifyWebhook against the real clock of a 2021 message: %v, want a timestamp error", err)
	}
}
