package directory

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"sync"
	"time"
)

// ErrUnconfirmed is Store.CreateUserWithCredential's error when the token
// was not confirmed in the create's transaction (unknown, revoked,
// expired, another token or directory, a disabled directory, settings
// changed since the hint, or a store that cannot check it there): nothing
// was written, and the request is to be authenticated and served the
// usual way, which answers exactly as it always did.
var ErrUnconfirmed = errors.New("the credential was not confirmed in the write's transaction")

// CredentialHint is what a token authenticated as the last time this
// process checked it: its hash, the token and its directory. A hint is
// never trusted: it only lets a write be prepared before its token is
// read (CreateUserWithCredential), and the write's own transaction checks
// the token and the directory again.
type CredentialHint struct {
	Hash      []byte
	Token     Token
	Directory Directory
}

// maxHints bounds the hints a service keeps: one per token that
// authenticated, all forgotten when full.
const maxHints = 4096

// credentialHints are the hints of the tokens that authenticated in this
// process, by hash. The zero value is ready to use.
type credentialHints struct {
	mu    sync.Mutex
	hints map[string]CredentialHint
}

func (c *credentialHints) put(h CredentialHint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hints == nil || len(c.hints) >= maxHints {
		c.hints = map[string]CredentialHint{}
	}
	c.hints[string(h.Hash)] = h
}

func (c *credentialHints) get(hash []byte) (CredentialHint, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.hints[string(hash)]
	return h, ok
}

func (c *credentialHints) forget(hash []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.hints, string(hash))
}

// SCIMHint returns the hint of secret for a write to directory dirID when
// the service reads the token on every request (no AuthCache) and the
// token authenticated in this process before, for the same directory.
// The hint authenticates nothing: see CreateUserWithCredential.
func (s *Service) SCIMHint(dirID, secret string) (CredentialHint, bool) {
	if s.AuthCache != nil || !strings.HasPrefix(secret, TokenPrefix) {
		return CredentialHint{}, false
	}
	h, ok := s.hints.get(HashSecret(secret))
	if !ok || subtle.ConstantTimeCompare([]byte(h.Token.DirectoryID), []byte(dirID)) != 1 {
		return CredentialHint{}, false
	}
	return h, true
}

// CreateUserWithCredential is AuthenticateSCIM and CreateUser in one
// store transaction (one round trip on PostgreSQL): the user is made from
// raw with the hinted directory's settings, and the store creates it only
// if the token, read in the same transaction, passes authenticate's
// checks and the directory still has those settings
// (Store.CreateUserWithCredential). It returns ErrUnconfirmed, having
// written nothing, when the token was not confirmed, including when raw
// is not a valid user (whose 400 must come after authentication): the
// caller then authenticates and creates the usual way. Once the token is
// confirmed, it returns what AuthenticateSCIM and CreateUser would have:
// the context naming the IdP as the actor, the directory, the user or
// CreateUser's error.
func (s *Service) CreateUserWithCredential(ctx context.Context, h CredentialHint, raw map[string]any) (context.Context, Directory, User, error) {
	ctx = WithActor(ctx, Actor{Type: ActorIdP, ID: h.Token.ID, Name: h.Directory.Name})
	u, err := s.newUser(h.Directory, raw)
	if err != nil {
		return ctx, Directory{}, User{}, ErrUnconfirmed
	}
	now := s.now()
	t, d, err := s.Store.CreateUserWithCredential(ctx, h, now, u)
	if errors.Is(err, ErrUnconfirmed) {
		s.hints.forget(h.Hash)
		return ctx, Directory{}, User{}, ErrUnconfirmed
	}
	// The transaction checked what authenticate checks; the touches are
	// authenticate's (t is empty when the row read failed to decode).
	if t.ID != "" {
		s.touch(ctx, &t, &d, now)
	}
	if err != nil {
		return ctx, d, User{}, err
	}
	return ctx, d, u, nil
}

// touch records, at most once per touchEvery (touchEvery/6 for the
// directory) per process, that token t and directory d were used at now.
// It reports whether it wrote either.
func (s *Service) touch(ctx context.Context, t *Token, d *Directory, now time.Time) bool {
	wrote := false
	// Concurrent requests all read the same stale time; one of them
	// writes it (touchThrottle), the others do not queue behind it.
	if now.Sub(t.LastUsedAt) > touchEvery && s.touches.claim("t:"+t.ID, now, touchEvery) {
		if err := s.Store.TouchToken(ctx, t.ID, now); err != nil {
			s.Logger.WarnContext(ctx, "recording token use", "token_id", t.ID, "error", err)
		}
		t.LastUsedAt = now
		wrote = true
	}
	if now.Sub(d.LastRequestAt) > touchEvery/6 && s.touches.claim("d:"+d.ID, now, touchEvery/6) {
		if err := s.Store.TouchDirectory(ctx, d.ID, now); err != nil {
			s.Logger.WarnContext(ctx, "recording directory request", "directory_id", d.ID, "error", err)
		}
		d.LastRequestAt = now
		wrote = true
	}
	return wrote
}
