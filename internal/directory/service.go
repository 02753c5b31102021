package directory

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// Service is the domain's entry point for every surface. Its exported
// fields are its dependencies; it starts no goroutines.
type Service struct {
	Store   Store
	Schemas *schema.Schemas
	IDs     IDs
	Logger  *slog.Logger
	// MaxPatchOperations caps the operations of one PATCH request (and is
	// advertised as bulk.maxOperations).
	MaxPatchOperations int
	// Limits bound the size of user and group documents (limits.go).
	Limits Limits
	// AuthCache, when set, short-cuts repeated token lookups (see its doc
	// for when that is correct).
	AuthCache *AuthCache

	touches touchThrottle   // last-use writes this process has claimed
	hints   credentialHints // tokens that authenticated, without AuthCache (credhint.go)
	// AttributeApplyBudget is how long PutAttributeMappings re-maps users
	// before it answers (0: 10 seconds; customattrs.go).
	AttributeApplyBudget time.Duration
	// AttributeRemapRest is how long a custom attribute re-mapping rests
	// after each chunk, as a fraction of the time the chunk took (0: no
	// rest; 1: the re-mapping uses at most half of the time), so that SCIM
	// traffic keeps most of the CPU during a large change.
	AttributeRemapRest float64
}

func (s *Service) now() time.Time { return s.IDs.Now().UTC().Truncate(time.Microsecond) }

// Token and API key secret prefixes: recognisable in logs and by secret
// scanners.
const (
	TokenPrefix  = "scimb_dt_"
	APIKeyPrefix = "scimb_ak_"
)

// touchEvery bounds how often a token's or directory's "last used" time is
// written: at most once per interval, not on every request.
const touchEvery = 30 * time.Second

// CreateOrganization creates an organization.
func (s *Service) CreateOrganization(ctx context.Context, name, externalID string) (Organization, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Organization{}, Errorf(KindInvalid, "name is required")
	}
	if err := checkIdentifier("external_id", externalID); err != nil {
		return Organization{}, err
	}
	id, err := s.IDs.New(PrefixOrganization)
	if err != nil {
		return Organization{}, err
	}
	now := s.now()
	o := Organization{ID: id, Name: name, ExternalID: externalID, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.CreateOrganization(ctx, o); err != nil {
		return Organization{}, err
	}
	return o, nil
}

// CreateDirectory creates an enabled directory for an organization.
func (s *Service) CreateDirectory(ctx context.Context, orgID, provider, name string) (Directory, error) {
	if !ValidProvider(provider) {
		return Directory{}, Errorf(KindInvalid, "provider %q is not one of %s", provider, strings.Join(Providers(), ", "))
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = provider
	}
	id, err := s.IDs.New(PrefixDirectory)
	if err != nil {
		return Directory{}, err
	}
	now := s.now()
	d := Directory{ID: id, OrganizationID: orgID, Name: name, Provider: provider, Enabled: true, CreatedAt: now, UpdatedAt: now}
	// A new directory maps every declared custom attribute to its default
	// source (customattrs.go).
	if d.Attributes.Mappings, err = s.defaultMappings(ctx); err != nil {
		return Directory{}, err
	}
	if err := s.Store.CreateDirectory(ctx, d); err != nil {
		return Directory{}, err
	}
	return d, nil
}

// MaxActiveTokens is how many tokens a directory may have active at once:
// two, so a token can be rotated without downtime.
const MaxActiveTokens = 2

// CreateToken makes a new bearer token for a directory and returns it with
// its secret, which is never stored and cannot be shown again.
func (s *Service) CreateToken(ctx context.Context, dirID string, expiresAt time.Time) (Token, string, error) {
	if _, err := s.Store.GetDirectory(ctx, dirID); err != nil {
		return Token{}, "", err
	}
	now := s.now()
	if !expiresAt.IsZero() && !expiresAt.After(now) {
		return Token{}, "", Errorf(KindInvalid, "expires_at must be in the future")
	}
	existing, err := s.Store.ListTokens(ctx, dirID)
	if err != nil {
		return Token{}, "", err
	}
	active := 0
	for _, t := range existing {
		if t.Active(now) {
			active++
		}
	}
	if active >= MaxActiveTokens {
		return Token{}, "", Errorf(KindConflict, "directory %s already has %d active tokens: revoke one before creating another", dirID, active)
	}
	id, err := s.IDs.New(PrefixToken)
	if err != nil {
		return Token{}, "", err
	}
	secret, err := s.IDs.Secret(TokenPrefix)
	if err != nil {
		return Token{}, "", err
	}
	t := Token{ID: id, DirectoryID: dirID, Hash: HashSecret(secret), Suffix: secret[len(secret)-4:], CreatedAt: now, ExpiresAt: expiresAt.UTC()}
	if err := s.Store.CreateToken(ctx, t); err != nil {
		return Token{}, "", err
	}
	return t, secret, nil
}

// RevokeToken revokes a directory token at once.
func (s *Service) RevokeToken(ctx context.Context, dirID, tokenID string) error {
	defer s.AuthCache.Invalidate()
	return s.Store.RevokeToken(ctx, dirID, tokenID, s.now())
}

// AuthenticateDirectory checks a bearer secret presented on directory
// dirID's SCIM endpoint. A token of another directory, an unknown, revoked
// or expired token are all KindUnauthorized with the same message, so that
// nothing is revealed about other directories. A disabled directory is
// KindForbidden.
func (s *Service) AuthenticateDirectory(ctx context.Context, dirID, secret string) (Directory, error) {
	d, _, err := s.authenticateDirectory(ctx, dirID, secret)
	return d, err
}

// AuthenticateSCIM is AuthenticateDirectory for the SCIM surface: it also
// returns ctx carrying the IdP as the actor of the changes made in it (the
// directory and the token it authenticated with; see EventActor).
func (s *Service) AuthenticateSCIM(ctx context.Context, dirID, secret string) (context.Context, Directory, error) {
	d, t, err := s.authenticateDirectory(ctx, dirID, secret)
	if err != nil {
		return ctx, d, err
	}
	return WithActor(ctx, Actor{Type: ActorIdP, ID: t.ID, Name: d.Name}), d, nil
}

// AuthenticateSCIMUser is AuthenticateSCIM for GET /Users/{id} of user
// userID. When the service reads the token on every request (no
// AuthCache: PostgreSQL, where another replica may revoke a token at any
// time), the user and its groups are read in the same statement as the
// token (CredentialWithUser) and returned: one round trip for the
// request. Otherwise the UserRead is nil and the caller reads the user.
// The user is only returned when authentication succeeds.
func (s *Service) AuthenticateSCIMUser(ctx context.Context, dirID, secret, userID string) (context.Context, Directory, *UserRead, error) {
	return s.authenticateWithUser(ctx, dirID, secret, userKey{id: userID})
}

// AuthenticateSCIMUserNamed is AuthenticateSCIMUser for the filter
// `userName eq "name"` (GET /Users, RFC 7644 §3.4.2.2): the user whose
// folded userName is nameFold (schema.FoldString; userName is unique and
// caseExact=false, RFC 7643 §4.1.1), read with the token
// (CredentialWithUserNamed) when the service reads the token on every
// request. UserRead.Err is KindNotFound when no user has that name.
func (s *Service) AuthenticateSCIMUserNamed(ctx context.Context, dirID, secret, nameFold string) (context.Context, Directory, *UserRead, error) {
	return s.authenticateWithUser(ctx, dirID, secret, userKey{name: nameFold, byName: true})
}

// userKey names the user a request reads with its token: by id, or by
// folded userName.
type userKey struct {
	id, name string
	byName   bool
}

func (s *Service) authenticateWithUser(ctx context.Context, dirID, secret string, key userKey) (context.Context, Directory, *UserRead, error) {
	var ur *UserRead
	if s.AuthCache == nil {
		ur = &UserRead{}
	}
	d, t, err := s.authenticate(ctx, dirID, secret, key, ur)
	if err != nil {
		return ctx, d, nil, err
	}
	return WithActor(ctx, Actor{Type: ActorIdP, ID: t.ID, Name: d.Name}), d, ur, nil
}

func (s *Service) authenticateDirectory(ctx context.Context, dirID, secret string) (Directory, Token, error) {
	return s.authenticate(ctx, dirID, secret, userKey{}, nil)
}

// authenticate checks secret against directory dirID; when ur is not nil,
// it also reads the user key names into it with the token
// (CredentialWithUser, CredentialWithUserNamed).
func (s *Service) authenticate(ctx context.Context, dirID, secret string, key userKey, ur *UserRead) (Directory, Token, error) {
	// Built only when refused: formatting it cost every request.
	unauthorized := func() error {
		return Errorf(KindUnauthorized, "the bearer token is missing, invalid, expired or revoked")
	}
	if !strings.HasPrefix(secret, TokenPrefix) {
		return Directory{}, Token{}, unauthorized()
	}
	hash := HashSecret(secret)
	now := s.now()
	t, d, cached := s.AuthCache.get(hash, now)
	if !cached {
		var err error
		switch {
		case ur != nil && key.byName:
			t, d, *ur, err = s.Store.CredentialWithUserNamed(ctx, hash, key.name)
		case ur != nil:
			t, d, *ur, err = s.Store.CredentialWithUser(ctx, hash, key.id)
		default:
			t, d, err = s.Store.Credential(ctx, hash)
		}
		if IsNotFound(err) {
			return Directory{}, Token{}, unauthorized()
		}
		if err != nil {
			return Directory{}, Token{}, err
		}
	}
	if subtle.ConstantTimeCompare(t.Hash, hash) != 1 || subtle.ConstantTimeCompare([]byte(t.DirectoryID), []byte(dirID)) != 1 || !t.Active(now) {
		return Directory{}, Token{}, unauthorized()
	}
	if !d.Enabled {
		return Directory{}, Token{}, Errorf(KindForbidden, "this directory is disabled: provisioning is paused until it is enabled again")
	}
	if s.touch(ctx, &t, &d, now) {
		cached = false
	}
	if s.AuthCache == nil {
		s.hints.put(CredentialHint{Hash: hash, Token: t, Directory: d})
	}
	if !cached {
		s.AuthCache.put(t, d, now)
	}
	return d, t, nil
}

// CreateAPIKey makes a management API key and returns its secret once.
func (s *Service) CreateAPIKey(ctx context.Context, name string) (APIKey, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return APIKey{}, "", Errorf(KindInvalid, "name is required")
	}
	id, err := s.IDs.New(PrefixAPIKey)
	if err != nil {
		return APIKey{}, "", err
	}
	secret, err := s.IDs.Secret(APIKeyPrefix)
	if err != nil {
		return APIKey{}, "", err
	}
	k := APIKey{ID: id, Name: name, Hash: HashSecret(secret), Suffix: secret[len(secret)-4:], CreatedAt: s.now()}
	if err := s.Store.CreateAPIKey(ctx, k); err != nil {
		return APIKey{}, "", err
	}
	return k, secret, nil
}

// AuthenticateAPIKey checks a management API key. bootstrap, when not
// empty, is a key from configuration that is accepted as well.
func (s *Service) AuthenticateAPIKey(ctx context.Context, secret, bootstrap string) error {
	_, err := s.AuthenticateAPIKeyActor(ctx, secret, bootstrap)
	return err
}

// AuthenticateAPIKeyActor is AuthenticateAPIKey that also names the key as
// the actor of the changes made with it (see WithActor, EventActor).
func (s *Service) AuthenticateAPIKeyActor(ctx context.Context, secret, bootstrap string) (Actor, error) {
	unauthorized := Errorf(KindUnauthorized, "the API key is missing, invalid or revoked: send Authorization: Bearer <key>")
	if secret == "" {
		return Actor{}, unauthorized
	}
	if bootstrap != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(bootstrap)) == 1 {
		return Actor{Type: ActorBootstrapKey, Name: "bootstrap key"}, nil
	}
	if !strings.HasPrefix(secret, APIKeyPrefix) {
		return Actor{}, unauthorized
	}
	hash := HashSecret(secret)
	k, err := s.Store.APIKeyByHash(ctx, hash)
	if IsNotFound(err) {
		return Actor{}, unauthorized
	}
	if err != nil {
		return Actor{}, err
	}
	if subtle.ConstantTimeCompare(k.Hash, hash) != 1 || !k.RevokedAt.IsZero() {
		return Actor{}, unauthorized
	}
	now := s.now()
	if now.Sub(k.LastUsedAt) > touchEvery {
		if err := s.Store.TouchAPIKey(ctx, k.ID, now); err != nil {
			s.Logger.WarnContext(ctx, "recording API key use", "key_id", k.ID, "error", err)
		}
	}
	return Actor{Type: ActorAPIKey, ID: k.ID, Name: k.Name}, nil
}

// DirectoryChange is a partial update of a directory: nil fields are left
// as they are.
type DirectoryChange struct {
	Name                 *string
	Provider             *string
	Enabled              *bool
	Strict               *bool
	RejectUnknownMembers *bool
	RequestLogBodies     *RequestBodies
}

// UpdateDirectory applies a change to a directory. Disabling takes effect
// at once: the next SCIM request gets 403.
func (s *Service) UpdateDirectory(ctx context.Context, id string, c DirectoryChange) (Directory, error) {
	if c.Provider != nil && !ValidProvider(*c.Provider) {
		return Directory{}, Errorf(KindInvalid, "provider %q is not one of %s", *c.Provider, strings.Join(Providers(), ", "))
	}
	if c.Name != nil && strings.TrimSpace(*c.Name) == "" {
		return Directory{}, Errorf(KindInvalid, "name must not be empty")
	}
	if c.RequestLogBodies != nil && !c.RequestLogBodies.Valid() {
		return Directory{}, Errorf(KindInvalid, "request_log_bodies must be %s, %s or %s, got %q",
			RequestBodiesWritesAndFailures, RequestBodiesAll, RequestBodiesNone, *c.RequestLogBodies)
	}
	defer s.AuthCache.Invalidate()
	return s.Store.UpdateDirectory(ctx, id, s.now(), func(d *Directory) error {
		if c.Name != nil {
			d.Name = strings.TrimSpace(*c.Name)
		}
		if c.Provider != nil {
			d.Provider = *c.Provider
		}
		if c.Enabled != nil {
			d.Enabled = *c.Enabled
		}
		// Settings are merged inside the transaction, so two concurrent
		// changes of different settings do not overwrite each other.
		if c.Strict != nil {
			d.Settings.Strict = *c.Strict
		}
		if c.RejectUnknownMembers != nil {
			d.Settings.RejectUnknownMembers = *c.RejectUnknownMembers
		}
		if c.RequestLogBodies != nil {
			// The default is stored as the zero value.
			d.Settings.RequestLogBodies = *c.RequestLogBodies
			if d.Settings.RequestLogBodies == RequestBodiesWritesAndFailures {
				d.Settings.RequestLogBodies = ""
			}
		}
		return nil
	})
}
