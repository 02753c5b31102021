package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultWebhookTolerance is how far a webhook's timestamp may be from the
// receiver's clock, either way, when VerifyWebhook is given 0.
const DefaultWebhookTolerance = 5 * time.Minute

// Errors of VerifyWebhook; test with errors.Is.
var (
	ErrWebhookMissingHeaders = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrWebhookTimestamp      = errors.New("webhook: timestamp outside the tolerance (replayed or clock skew)")
	ErrWebhookSignature      = errors.New("webhook: no signature matches")
)

// VerifyWebhook checks a webhook request as Standard Webhooks
// (https://www.standardwebhooks.com/) defines it: secret is the endpoint's
// "whsec_…" signing secret, headers and body the request's headers and raw
// body (verify before parsing it). The webhook-timestamp must be within
// ±tolerance of now (0: DefaultWebhookTolerance), and one of the
// space-separated "v1,<base64>" signatures in webhook-signature must equal
// the HMAC-SHA256, keyed by the base64-decoded part of the secret after
// "whsec_", of "<webhook-id>.<webhook-timestamp>.<body>". Comparison is in
// constant time. During a secret rotation the request carries a signature
// per secret, so either secret verifies it.
//
// Use the webhook-id header to drop duplicates: deliveries are at least
// once, and a retry carries the id of the first attempt.
func VerifyWebhook(secret string, headers http.Header, body []byte, tolerance time.Duration) error {
	return verifyWebhookAt(secret, headers, body, tolerance, time.Now())
}

func verifyWebhookAt(secret string, headers http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = DefaultWebhookTolerance
	}
	id, ts, sigs := headers.Get("webhook-id"), headers.Get("webhook-timestamp"), headers.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return ErrWebhookMissingHeaders
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: webhook-timestamp %q is not Unix seconds", ErrWebhookTimestamp, ts)
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return ErrWebhookTimestamp
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return errors.New("webhook: the secret is not a whsec_ secret (whsec_ followed by base64)")
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	want := m.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue // other schemes (such as v1a) are not ours
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrWebhookSignature
}
