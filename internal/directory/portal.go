package directory

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"strings"
	"time"
)

// Admin Portal links and sessions (docs/portal.md). A link is a secret URL the app
// hands to a customer's IT admin; opening it starts a session scoped to one
// organization. Only hashes of link tokens and session secrets are stored,
// in the database, so that several processes can share them.

// Portal link kinds.
const (
	// PortalEmbed links are single use and expire 5 minutes after creation
	// if unused: the app creates one each time it shows the portal.
	PortalEmbed = "embed"
	// PortalShare links can be opened many times for 7 days, until revoked:
	// the app can send one by email.
	PortalShare = "share"
)

// Portal link lifetimes and secret prefixes.
const (
	PortalEmbedTTL      = 5 * time.Minute
	PortalShareTTL      = 7 * 24 * time.Hour
	PrefixPortalLink    = "plink"
	PortalLinkPrefix    = "scimb_pl_"
	PortalSessionPrefix = "scimb_ps_"
)

// PortalLink is a portal link as stored.
type PortalLink struct {
	ID             string
	OrganizationID string
	Kind           string // PortalEmbed or PortalShare
	Hash           []byte // SHA-256 of the link token
	ReturnURL      string // "" when the app gave none
	CreatedAt      time.Time
	ExpiresAt      time.Time
	UsedAt         time.Time // first opened; zero: never
	RevokedAt      time.Time // zero: not revoked
}

// PortalSession is an Admin Portal session as stored.
type PortalSession struct {
	Hash           []byte // SHA-256 of the session secret (the cookie value)
	OrganizationID string
	LinkID         string
	ReturnURL      string
	CreatedAt      time.Time
	LastSeenAt     time.Time
	ExpiresAt      time.Time // absolute expiry
}

// PortalStore is the persistence of portal links and sessions. The error
// contract is Store's.
type PortalStore interface {
	// CreatePortalLink stores a link; an unknown organization is
	// KindNotFound.
	CreatePortalLink(ctx context.Context, l PortalLink) error
	// PortalLinkByHash returns the link with that token hash.
	PortalLinkByHash(ctx context.Context, hash []byte) (PortalLink, error)
	// ListPortalLinks returns an organization's links, newest first.
	ListPortalLinks(ctx context.Context, orgID string) ([]PortalLink, error)
	// RevokePortalLink revokes a link of the organization at time at and
	// deletes the sessions it started, in one transaction. Revoking a
	// revoked link is not an error.
	RevokePortalLink(ctx context.Context, orgID, id string, at time.Time) error
	// MarkPortalLinkUsed records the link's first use at time at and
	// reports whether this call was the first use: of two concurrent
	// callers exactly one gets true.
	MarkPortalLinkUsed(ctx context.Context, id string, at time.Time) (first bool, err error)

	// CreatePortalSession stores a session, and deletes sessions that
	// expired before s.CreatedAt.
	CreatePortalSession(ctx context.Context, s PortalSession) error
	// PortalSessionByHash returns the session with that secret hash.
	PortalSessionByHash(ctx context.Context, hash []byte) (PortalSession, error)
	// TouchPortalSession records activity at time at.
	TouchPortalSession(ctx context.Context, hash []byte, at time.Time) error
	// DeletePortalSession ends a session; an unknown one is not an error.
	DeletePortalSession(ctx context.Context, hash []byte) error
}

// PortalConfig holds the session lifetimes; zero fields take the defaults.
type PortalConfig struct {
	IdleTimeout time.Duration // a session unused this long ends (default 30m)
	MaxLifetime time.Duration // a session ends this long after it started (default 12h)
}

// Default session lifetimes.
const (
	DefaultPortalIdle        = 30 * time.Minute
	DefaultPortalMaxLifetime = 12 * time.Hour
)

func (c PortalConfig) idle() time.Duration {
	if c.IdleTimeout <= 0 {
		return DefaultPortalIdle
	}
	return c.IdleTimeout
}

func (c PortalConfig) max() time.Duration {
	if c.MaxLifetime <= 0 {
		return DefaultPortalMaxLifetime
	}
	return c.MaxLifetime
}

// Portal is the Admin Portal's access service: links and sessions. Its
// exported fields are its dependencies; it starts no goroutines.
type Portal struct {
	Store  PortalStore
	Orgs   Store // to check organizations exist
	IDs    IDs
	Config PortalConfig
}

func (p *Portal) now() time.Time { return p.IDs.Now().UTC().Truncate(time.Microsecond) }

// CheckReturnURL validates a return_url: empty, or an absolute http(s) URL.
func CheckReturnURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(s) > 2000 {
		return Errorf(KindInvalid, "return_url must be an absolute http:// or https:// URL of at most 2000 characters, got %q", s)
	}
	return nil
}

// CreateLink makes a portal link for an organization and returns it with
// its token, which is never stored and cannot be shown again.
func (p *Portal) CreateLink(ctx context.Context, orgID, kind, returnURL string) (PortalLink, string, error) {
	var ttl time.Duration
	switch kind {
	case PortalEmbed:
		ttl = PortalEmbedTTL
	case PortalShare:
		ttl = PortalShareTTL
	default:
		return PortalLink{}, "", Errorf(KindInvalid, "kind must be %q or %q, got %q", PortalEmbed, PortalShare, kind)
	}
	if err := CheckReturnURL(returnURL); err != nil {
		return PortalLink{}, "", err
	}
	if _, err := p.Orgs.GetOrganization(ctx, orgID); err != nil {
		return PortalLink{}, "", err
	}
	id, err := p.IDs.New(PrefixPortalLink)
	if err != nil {
		return PortalLink{}, "", err
	}
	secret, err := p.IDs.Secret(PortalLinkPrefix)
	if err != nil {
		return PortalLink{}, "", err
	}
	now := p.now()
	l := PortalLink{ID: id, OrganizationID: orgID, Kind: kind, Hash: HashSecret(secret), ReturnURL: returnURL, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := p.Store.CreatePortalLink(ctx, l); err != nil {
		return PortalLink{}, "", err
	}
	return l, secret, nil
}

// ListLinks returns an organization's portal links, newest first.
func (p *Portal) ListLinks(ctx context.Context, orgID string) ([]PortalLink, error) {
	if _, err := p.Orgs.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	return p.Store.ListPortalLinks(ctx, orgID)
}

// RevokeLink revokes a link and ends the sessions it started.
func (p *Portal) RevokeLink(ctx context.Context, orgID, id string) error {
	return p.Store.RevokePortalLink(ctx, orgID, id, p.now())
}

// Messages of the errors OpenLink returns: the portal shows them as they
// are, so they say what happened and what to do.
const (
	msgLinkInvalid = "This portal link is not valid. Ask the application for a new link."
	msgLinkExpired = "This portal link has expired. Links expire to keep your directory safe: go back to the application and open the portal again to get a new link."
	msgLinkUsed    = "This portal link was already used. Embed links work once: go back to the application and open the portal again to get a new link."
	msgLinkRevoked = "This portal link was revoked. Ask the application for a new link."
)

// OpenLink exchanges a link token for a new session and returns the
// session with its secret (the cookie value). An embed link works once.
// Unknown, expired, used and revoked links are KindUnauthorized with a
// message saying which.
func (p *Portal) OpenLink(ctx context.Context, token string) (PortalSession, string, error) {
	if !strings.HasPrefix(token, PortalLinkPrefix) || len(token) > 200 {
		return PortalSession{}, "", Errorf(KindUnauthorized, msgLinkInvalid)
	}
	hash := HashSecret(token)
	l, err := p.Store.PortalLinkByHash(ctx, hash)
	if IsNotFound(err) {
		return PortalSession{}, "", Errorf(KindUnauthorized, msgLinkInvalid)
	}
	if err != nil {
		return PortalSession{}, "", err
	}
	now := p.now()
	switch {
	case subtle.ConstantTimeCompare(l.Hash, hash) != 1:
		return PortalSession{}, "", Errorf(KindUnauthorized, msgLinkInvalid)
	case !l.RevokedAt.IsZero():
		return PortalSession{}, "", Errorf(KindUnauthorized, msgLinkRevoked)
	case !now.Before(l.ExpiresAt):
		return PortalSession{}, "", Errorf(KindUnauthorized, msgLinkExpired)
	case l.Kind == PortalEmbed && !l.UsedAt.IsZero():
		return PortalSession{}, "", Errorf(KindUnauthorized, msgLinkUsed)
	}
	first, err := p.Store.MarkPortalLinkUsed(ctx, l.ID, now)
	if err != nil {
		return PortalSession{}, "", err
	}
	if l.Kind == PortalEmbed && !first {
		return PortalSession{}, "", Errorf(KindUnauthorized, msgLinkUsed)
	}
	secret, err := p.IDs.Secret(PortalSessionPrefix)
	if err != nil {
		return PortalSession{}, "", err
	}
	expires := now.Add(p.Config.max())
	if l.Kind == PortalShare && l.ExpiresAt.Before(expires) {
		expires = l.ExpiresAt
	}
	s := PortalSession{Hash: HashSecret(secret), OrganizationID: l.OrganizationID, LinkID: l.ID, ReturnURL: l.ReturnURL,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: expires}
	if err := p.Store.CreatePortalSession(ctx, s); err != nil {
		return PortalSession{}, "", err
	}
	return s, secret, nil
}

// RefusedLink says what the portal can still do for a link token that
// OpenLink refused: continue says the browser's current session (its
// secret, "" when none) is live and belongs to the link's organization,
// and the link is an embed link refused only because it was used or has
// expired (reloading the app's frame, reopening it from history), so the
// portal continues that session instead of showing an error; returnURL is
// the link's return URL, for the error page ("" for an unknown token).
// Nothing is granted that the browser does not already hold.
func (p *Portal) RefusedLink(ctx context.Context, token, current string) (cont bool, returnURL string) {
	if !strings.HasPrefix(token, PortalLinkPrefix) || len(token) > 200 {
		return false, ""
	}
	hash := HashSecret(token)
	l, err := p.Store.PortalLinkByHash(ctx, hash)
	if err != nil || subtle.ConstantTimeCompare(l.Hash, hash) != 1 {
		return false, ""
	}
	if current == "" || l.Kind != PortalEmbed || !l.RevokedAt.IsZero() {
		return false, l.ReturnURL
	}
	s, err := p.Session(ctx, current)
	if err != nil || s.OrganizationID != l.OrganizationID {
		return false, l.ReturnURL
	}
	return true, l.ReturnURL
}

const msgSessionEnded = "Your portal session has ended. Go back to the application and open the portal again."

// touchSessionEvery bounds how often a session's last-seen time is written.
const touchSessionEvery = 30 * time.Second

// Session returns the live session with that secret, recording the
// activity. A missing, idle or expired session is KindUnauthorized.
func (p *Portal) Session(ctx context.Context, secret string) (PortalSession, error) {
	ended := Errorf(KindUnauthorized, msgSessionEnded)
	if !strings.HasPrefix(secret, PortalSessionPrefix) || len(secret) > 200 {
		return PortalSession{}, ended
	}
	hash := HashSecret(secret)
	s, err := p.Store.PortalSessionByHash(ctx, hash)
	if IsNotFound(err) {
		return PortalSession{}, ended
	}
	if err != nil {
		return PortalSession{}, err
	}
	now := p.now()
	if subtle.ConstantTimeCompare(s.Hash, hash) != 1 || !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) >= p.Config.idle() {
		return PortalSession{}, ended
	}
	if now.Sub(s.LastSeenAt) > touchSessionEvery {
		if err := p.Store.TouchPortalSession(ctx, hash, now); err != nil {
			return PortalSession{}, err
		}
		s.LastSeenAt = now
	}
	return s, nil
}

// EndSession deletes the session with that secret.
func (p *Portal) EndSession(ctx context.Context, secret string) error {
	return p.Store.DeletePortalSession(ctx, HashSecret(secret))
}

// CSRFToken returns the CSRF token of the session with that secret: derived
// from the secret, so it need not be stored and cannot be computed from
// what is stored (the secret's plain SHA-256).
func CSRFToken(sessionSecret string) string {
	h := sha256.Sum256([]byte("scimbridge portal csrf\x00" + sessionSecret))
	return base64.RawURLEncoding.EncodeToString(h[:])
}
