package directory

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"time"
)

// Portal forms (docs/portal.md, "Forms"): every page that can create
// something carries a one-time form key. The first submission of a key in a
// session is carried out; a second one (a double click, Reload or Back after
// the redirect) finds the key already claimed and changes nothing. A bearer
// token a form creates is handed to the page that follows the redirect
// through the store, sealed with a key derived from the session's secret,
// and shown by that page once.

// PortalFormStore persists the form keys of portal sessions. The error
// contract is Store's.
type PortalFormStore interface {
	// ClaimPortalForm records that the session submitted the form with
	// that key at time at. first reports whether this call recorded it;
	// when it did not, target is what CompletePortalForm recorded for it
	// ("" while the first submission is still being carried out). An
	// unknown session is KindNotFound.
	ClaimPortalForm(ctx context.Context, sessionHash []byte, key string, at time.Time) (first bool, target string, err error)
	// CompletePortalForm records what a claimed form made (target, a
	// directory id) and, when sealed is not nil, a sealed secret to show.
	CompletePortalForm(ctx context.Context, sessionHash []byte, key, target string, sealed []byte) error
	// ReleasePortalForm forgets a claim whose action failed, so that the
	// form can be sent again.
	ReleasePortalForm(ctx context.Context, sessionHash []byte, key string) error
	// TakePortalSecret returns the newest sealed secret the session's
	// forms recorded for target since since, and clears every secret
	// recorded for target, in one step: of two concurrent callers at most
	// one gets it. nil: none.
	TakePortalSecret(ctx context.Context, sessionHash []byte, target string, since time.Time) ([]byte, error)
}

// RevealWithin is how long a secret made by a portal form waits for the
// page that shows it.
const RevealWithin = 10 * time.Minute

// PortalForms issues and checks portal form keys. Its exported fields are
// its dependencies.
type PortalForms struct {
	Store PortalFormStore
	IDs   IDs
}

// NewKey returns a fresh form key for a page.
func (f *PortalForms) NewKey() (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(f.IDs.Rand, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

var errFormKey = Errorf(KindInvalid, "This form is out of date. Reload the page and try again.")

// Claim claims a form key for the session with that secret (see
// PortalFormStore.ClaimPortalForm).
func (f *PortalForms) Claim(ctx context.Context, sessionSecret, key string) (first bool, target string, err error) {
	if len(key) < 16 || len(key) > 64 {
		return false, "", errFormKey
	}
	return f.Store.ClaimPortalForm(ctx, HashSecret(sessionSecret), key, f.IDs.Now().UTC())
}

// Release forgets a claim whose action failed.
func (f *PortalForms) Release(ctx context.Context, sessionSecret, key string) error {
	return f.Store.ReleasePortalForm(ctx, HashSecret(sessionSecret), key)
}

// Complete records what the form made and, when secret is not "", keeps
// the secret sealed for the next page (Reveal).
func (f *PortalForms) Complete(ctx context.Context, sessionSecret, key, target, secret string) error {
	var sealed []byte
	if secret != "" {
		aead, err := revealCipher(sessionSecret)
		if err != nil {
			return err
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := io.ReadFull(f.IDs.Rand, nonce); err != nil {
			return err
		}
		sealed = aead.Seal(nonce, nonce, []byte(secret), []byte(target))
	}
	return f.Store.CompletePortalForm(ctx, HashSecret(sessionSecret), key, target, sealed)
}

// Reveal returns, once, the secret a form of this session made for target
// in the last RevealWithin; "" when there is none (already shown, too old,
// or another session's).
func (f *PortalForms) Reveal(ctx context.Context, sessionSecret, target string) (string, error) {
	sealed, err := f.Store.TakePortalSecret(ctx, HashSecret(sessionSecret), target, f.IDs.Now().UTC().Add(-RevealWithin))
	if err != nil || sealed == nil {
		return "", err
	}
	aead, err := revealCipher(sessionSecret)
	if err != nil {
		return "", err
	}
	if len(sealed) < aead.NonceSize() {
		return "", nil
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(target))
	if err != nil {
		return "", nil // sealed for another session secret: nothing to show
	}
	return string(plain), nil
}

// revealCipher is AES-256-GCM under a key derived from the session secret,
// which only the admin's browser holds.
func revealCipher(sessionSecret string) (cipher.AEAD, error) {
	k := sha256.Sum256([]byte("scimbridge portal reveal\x00" + sessionSecret))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
