package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// secretKey returns the HMAC key of a "whsec_…" secret: Standard Webhooks
// signs with the base64-decoded part after the prefix.
func secretKey(secret string) ([]byte, error) {
	enc, ok := strings.CutPrefix(secret, directory.WebhookSecretPrefix)
	if !ok {
		return nil, fmt.Errorf("webhook secret does not start with %s", directory.WebhookSecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("webhook secret is not base64 after %s: %w", directory.WebhookSecretPrefix, err)
	}
	return key, nil
}

// Signer signs messages with one or more secrets, decoded once.
type Signer struct{ keys [][]byte }

// NewSigner returns a Signer for "whsec_…" secrets.
func NewSigner(secrets ...string) (*Signer, error) {
	sg := &Signer{}
	for _, s := range secrets {
		key, err := secretKey(s)
		if err != nil {
			return nil, err
		}
		sg.keys = append(sg.keys, key)
	}
	return sg, nil
}

// Sign returns the webhook-signature header value for a message: one
// "v1,<base64 HMAC-SHA256 of id.timestamp.body>" per secret, separated by
// spaces (Standard Webhooks: several signatures are sent during a secret
// rotation, and a receiver accepts the message if any one verifies).
func (sg *Signer) Sign(msgID string, ts time.Time, body []byte) string {
	sigs := make([]string, 0, len(sg.keys))
	unix := strconv.FormatInt(ts.Unix(), 10)
	for _, key := range sg.keys {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(msgID))
		m.Write([]byte{'.'})
		m.Write([]byte(unix))
		m.Write([]byte{'.'})
		m.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	return strings.Join(sigs, " ")
}

// Sign signs one message with secrets (see Signer.Sign).
func Sign(msgID string, ts time.Time, body []byte, secrets ...string) (string, error) {
	sg, err := NewSigner(secrets...)
	if err != nil {
		return "", err
	}
	return sg.Sign(msgID, ts, body), nil
}
