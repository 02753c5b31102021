package webhook

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Box seals webhook signing secrets at rest with AES-256-GCM. A sealed
// value is a version byte (1), the 12-byte nonce, then the ciphertext and
// tag. It implements directory.SecretBox.
type Box struct {
	aead cipher.AEAD
	rand io.Reader
}

const boxVersion = 1

// NewBox returns a Box with a 32-byte key; rand supplies nonces
// (crypto/rand.Reader in production).
func NewBox(key []byte, rand io.Reader) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secret key must be 32 bytes (AES-256), got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return &Box{aead: aead, rand: rand}, nil
}

// Seal encrypts plaintext.
func (b *Box) Seal(plaintext []byte) ([]byte, error) {
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	out[0] = boxVersion
	if _, err := io.ReadFull(b.rand, out[1:]); err != nil {
		return nil, fmt.Errorf("reading randomness: %w", err)
	}
	return b.aead.Seal(out, out[1:], plaintext, []byte{boxVersion}), nil
}

// Open decrypts what Seal returned; a wrong key or altered data is an
// error.
func (b *Box) Open(sealed []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns+b.aead.Overhead() || sealed[0] != boxVersion {
		return nil, errors.New("opening sealed secret: not a sealed value of this version")
	}
	out, err := b.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], []byte{boxVersion})
	if err != nil {
		return nil, errors.New("opening sealed secret: wrong key or corrupted data (is --secret-key-file the key the secrets were sealed with?)")
	}
	return out, nil
}

// LoadOrCreateKey reads the 32-byte key, stored as 64 hex characters, from
// path. If the file does not exist it generates a key from rand and writes
// it with mode 0600 (its directory is created with 0700). A key file
// readable by others is refused.
func LoadOrCreateKey(path string, rand io.Reader) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path, rand)
	}
	if err != nil {
		return nil, fmt.Errorf("reading secret key file: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret key file %s is readable by other users (mode %v): chmod 600 it", path, st.Mode().Perm())
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("secret key file %s must hold 64 hex characters (32 bytes)", path)
	}
	return key, nil
}

func createKey(path string, rand io.Reader) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := io.ReadFull(rand, key); err != nil {
		return nil, fmt.Errorf("generating secret key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating secret key directory: %w", err)
	}
	// O_EXCL: if another process created the key meanwhile, use its key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateKey(path, rand)
	}
	if err != nil {
		return nil, fmt.Errorf("creating secret key file: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing secret key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing secret key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing secret key file: %w", err)
	}
	return key, nil
}
