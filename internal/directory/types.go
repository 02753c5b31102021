package directory

import (
	"time"

	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// ID prefixes. Every object id is prefix + "_" + a 26-character sortable
// random string (see IDs).
const (
	PrefixOrganization = "org"
	PrefixDirectory    = "dir"
	PrefixToken        = "dtok"
	PrefixAPIKey       = "key"
	PrefixUser         = "diruser"
	PrefixGroup        = "dirgroup"
)

// Providers a directory can be created for.
var providers = []string{"okta", "entra_id", "jumpcloud", "onelogin", "pingidentity", "rippling", "custom"}

// Providers returns the directory providers scimbridge knows.
func Providers() []string { return append([]string(nil), providers...) }

// ProviderName is how sentences for people name a directory's identity
// provider: "Okta", "Microsoft Entra ID", …, "your identity provider" for
// a custom one.
func ProviderName(p string) string {
	switch p {
	case "okta":
		return "Okta"
	case "entra_id":
		return "Microsoft Entra ID"
	case "jumpcloud":
		return "JumpCloud"
	case "onelogin":
		return "OneLogin"
	case "pingidentity":
		return "PingIdentity"
	case "rippling":
		return "Rippling"
	}
	return "your identity provider"
}

// ValidProvider reports whether p is one of Providers.
func ValidProvider(p string) bool {
	for _, q := range providers {
		if p == q {
			return true
		}
	}
	return false
}

// Organization is one customer of the app.
type Organization struct {
	ID         string
	Name       string
	ExternalID string // the app's own id for it; unique when set
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Directory is one identity-provider connection of an organization.
type Directory struct {
	ID             string
	OrganizationID string
	Name           string
	Provider       string
	Enabled        bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
	LastRequestAt  time.Time // zero until the IdP first calls
	Settings       Settings
	// Attributes are the directory's custom attribute mappings
	// (customattrs.go), loaded with the directory so that user writes
	// map values without a query.
	Attributes AttributeMap
}

// Settings are a directory's compatibility settings, for the few points
// where identity providers genuinely conflict. The zero value is the
// default, which works for every IdP out of the box.
type Settings struct {
	// Strict validates requests RFC-exactly: attributes outside the schema,
	// values that need coercion ("False" for false, a bare manager id) and
	// unknown extension URNs are rejected with 400 instead of absorbed.
	Strict bool
	// RejectUnknownMembers answers 400 invalidValue when a group write names
	// a member id that is no user or group of the directory, instead of
	// ignoring it (and logging it).
	RejectUnknownMembers bool
	// RequestLogBodies says which request log entries keep their bodies
	// (the zero value: writes and failures).
	RequestLogBodies RequestBodies
}

// Token is a directory bearer token as stored: only its hash is kept.
type Token struct {
	ID          string
	DirectoryID string
	Hash        []byte // SHA-256 of the secret
	Suffix      string // last characters of the secret, to tell tokens apart
	CreatedAt   time.Time
	ExpiresAt   time.Time // zero: never
	LastUsedAt  time.Time // zero: never used
	RevokedAt   time.Time // zero: active
}

// Active reports whether t authenticates requests at time now.
func (t Token) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// APIKey is a management API key as stored.
type APIKey struct {
	ID         string
	Name       string
	Hash       []byte
	Suffix     string
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// User is a provisioned user. Doc is the SCIM document as the IdP sent it,
// normalised (see schema.Normalize); the other fields are copies of the
// values the store indexes.
type User struct {
	ID          string
	DirectoryID string
	UserName    string
	ExternalID  string
	Active      bool
	Doc         schema.Resource
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Custom are the user's mapped custom attributes, computed from Doc
	// with the directory's mappings of version AttrVersion.
	Custom      CustomValues
	AttrVersion int64
}

// Group is a provisioned group, without its members (see Member).
type Group struct {
	ID          string
	DirectoryID string
	DisplayName string
	ExternalID  string
	Doc         schema.Resource
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Member types.
const (
	MemberUser  = "User"
	MemberGroup = "Group"
)

// Member is one member of a group: a user or, for IdPs that nest, a group.
type Member struct {
	ID      string
	Type    string // MemberUser or MemberGroup
	Display string // the user's displayName or userName, the group's displayName
}

// GroupRef is a group a user belongs to.
type GroupRef struct {
	ID          string
	DisplayName string
}

// MemberChangeKind says what a MemberChange does.
type MemberChangeKind int

// Member change kinds.
const (
	AddMembers     MemberChangeKind = iota // add IDs; existing members are left alone
	RemoveMembers                          // remove IDs; non-members are ignored
	ReplaceMembers                         // membership becomes exactly IDs
)

// MemberChange is one membership edit, applied as row inserts and deletes,
// never as a rewrite of a member list.
type MemberChange struct {
	Kind MemberChangeKind
	IDs  []string
}

// Query selects a page of users or groups.
type Query struct {
	Filter     filter.Expr  // resolved against the resource type; nil: all
	SortBy     *schema.Path // nil: creation order
	Descending bool
	Offset     int // 0-based
	Limit      int // 0: count only

	// After, when set, is the id of a resource of the directory: the page
	// starts after it in creation order (keyset pagination, for the
	// management API's cursors; cost independent of depth), skipping
	// Offset resources after it. It requires SortBy nil; an id that names
	// no resource of the directory is KindInvalid.
	After string
	// Fields says what of each resource the page carries (zero: all).
	Fields Fields
	// SkipTotal leaves the page's Total zero instead of counting every
	// match (the management API does not report totals).
	SkipTotal bool
	// CountLimit, when positive, stops counting at that many matches:
	// Total is min(matches, CountLimit), so a page's total costs at most
	// CountLimit index entries however large the directory (the portal
	// shows "more than …" past it). Use it with Offset 0.
	CountLimit int
	// MemberOf, when set (ListUsers only), keeps the direct members of the
	// group with this id; a group of another directory matches nothing.
	// Same as the filter `groups.value eq "id"`, planned from the
	// membership rows.
	MemberOf string
	// Search, when set, is the one search meaning of every surface: it
	// keeps users whose userName, primary email, display name or family
	// name starts with it, and groups whose displayName starts with it,
	// compared case-insensitively (folded as schema.FoldString): a prefix
	// match on indexed columns, fast at any directory size.
	Search string

	// The typed fields below are ANDed with Filter and with each other;
	// the zero value of each selects everything.

	// Active, when set (ListUsers only), keeps users whose active
	// attribute equals it (as the filter `active eq true|false`).
	Active *bool
	// Email, when set (ListUsers only), keeps users with an email of this
	// value, compared case-insensitively (as `emails.value eq "..."`).
	Email string
	// UpdatedAfter, when set, keeps resources last modified strictly
	// after it (as `meta.lastModified gt "..."`).
	UpdatedAfter time.Time
	// HasMember, when set (ListGroups only), keeps the groups of which the
	// user with this id is a direct member (as `members.value eq "id"`).
	HasMember string
}

// Fields says what ListUsers and ListGroups read of each resource.
type Fields int

const (
	// AllFields: every field.
	AllFields Fields = iota
	// RenderFields: what a SCIM representation is rendered from (RFC 7643
	// §3): the id, the version, the created and modified times and the
	// document. The other fields are zero.
	RenderFields
	// KeyFields: the id and the version only, no document, for a caller
	// that keeps rendered resources in memory and reads the documents of
	// those it misses (internal/scimapi).
	KeyFields
)

// UserPage is a page of users and the total that match the query.
type UserPage struct {
	Users []User
	Total int
}

// GroupPage is a page of groups and the total that match the query.
type GroupPage struct {
	Groups []Group
	Total  int
}

// OrgQuery selects a page of organizations.
type OrgQuery struct {
	ExternalID string // only the organization with this external id
	After      string // start after this organization id
	Limit      int    // <= 0: all
}
