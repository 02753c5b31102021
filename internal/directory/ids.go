package directory

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"time"
)

// crockford is Crockford's base32 alphabet: sortable, no I L O U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// IDs makes object ids and secrets from an injected clock and randomness.
type IDs struct {
	Now  func() time.Time
	Rand io.Reader // crypto/rand.Reader in production
}

// New returns prefix_XXXXXXXXXXXXXXXXXXXXXXXXXX: 48 bits of milliseconds then
// 80 random bits, in lower-case Crockford base32, so that ids sort by
// creation time.
func (g IDs) New(prefix string) (string, error) {
	var b [16]byte
	ms := uint64(g.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	if _, err := io.ReadFull(g.Rand, b[6:]); err != nil {
		return "", fmt.Errorf("reading randomness: %w", err)
	}
	// 128 bits → 26 base32 characters (130 bits, top 2 zero).
	var out [26]byte
	var acc uint64
	var bits uint
	j := 25
	for i := 15; i >= 0; i-- {
		acc |= uint64(b[i]) << bits
		bits += 8
		for bits >= 5 && j >= 0 {
			out[j] = crockford[acc&31]
			acc >>= 5
			bits -= 5
			j--
		}
	}
	for ; j >= 0; j-- {
		out[j] = crockford[acc&31]
		acc >>= 5
	}
	return prefix + "_" + lower(string(out[:])), nil
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// Secret returns a new secret: prefix followed by 32 random bytes (256 bits)
// in unpadded base64url. The prefix makes leaked secrets recognisable.
func (g IDs) Secret(prefix string) (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(g.Rand, b[:]); err != nil {
		return "", fmt.Errorf("reading randomness: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// HashSecret returns the SHA-256 of a secret. Secrets carry 256 bits of
// entropy, so a fast hash is enough: nobody can guess a preimage.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
