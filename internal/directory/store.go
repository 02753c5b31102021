package directory

import (
	"context"
	"time"
)

// Store is the persistence the domain needs. Every backend must pass the
// conformance suite in internal/storetest.
//
// Error contract, for every method:
//   - an object that does not exist, or that belongs to another directory
//     than the one named, is an *Error of KindNotFound;
//   - a write that would break a uniqueness rule is KindConflict with a
//     message naming the attribute and ScimType "uniqueness". Uniqueness
//     rules: a user's userName and a group's displayName are unique within a
//     directory compared case-insensitively (RFC 7643 §4.1.1: userName is
//     caseExact false); an organization's external_id is unique when set;
//   - a version precondition that fails is KindPrecondition;
//   - anything else is an internal error, wrapped with %w.
//
// Atomicity: every method is one transaction. Update methods load the
// object, call fn, and write the result in the same transaction; fn may be
// called more than once and must not have side effects. If fn returns an
// error the transaction is rolled back and that error is returned as is.
//
// Times are stored with microsecond precision and returned in UTC.
type Store interface {
	// EventLog reads the events every write below appends in its own
	// transaction (events.go says which write appends which event).
	EventLog
	// HoldStore is the deprovisioning guard's and policies' part
	// (deprovision.go).
	HoldStore

	// Ping checks that the database is reachable and migrated.
	Ping(ctx context.Context) error
	Close() error

	// Generation: see Reader.
	Generation(dirID string) (uint64, bool)

	CreateOrganization(ctx context.Context, o Organization) error
	GetOrganization(ctx context.Context, id string) (Organization, error)

	CreateDirectory(ctx context.Context, d Directory) error
	// GetDirectory returns the directory; UserCount and GroupCount are
	// left zero (see CountDirectory).
	GetDirectory(ctx context.Context, id string) (Directory, error)
	// UpdateDirectory loads the directory, calls fn and stores its name,
	// provider, enabled flag and settings, with UpdatedAt set to now.
	UpdateDirectory(ctx context.Context, id string, now time.Time, fn func(*Directory) error) (Directory, error)
	// CountDirectory returns how many users and groups the directory holds.
	CountDirectory(ctx context.Context, id string) (users, groups int, err error)
	// TouchDirectory records that the IdP called at time at.
	TouchDirectory(ctx context.Context, id string, at time.Time) error

	CreateToken(ctx context.Context, t Token) error
	// TokenByHash returns the token (active or not) with that hash.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	// Credential returns the token with that hash and, in the same read,
	// the directory it belongs to: the one lookup a SCIM request needs.
	Credential(ctx context.Context, hash []byte) (Token, Directory, error)
	// CredentialWithUser is Credential and, in the same statement,
	// GetUserWithGroups of user userID in the token's directory: GET
	// /Users/{id} in one round trip where every request reads its token
	// (PostgreSQL, where no token cache may delay a revocation). The error
	// is Credential's; the user's own (KindNotFound when the token's
	// directory has no such user) is UserRead.Err.
	CredentialWithUser(ctx context.Context, hash []byte, userID string) (Token, Directory, UserRead, error)
	// CredentialWithUserNamed is CredentialWithUser for the user of the
	// token's directory whose folded userName (schema.FoldString) is
	// nameFold: a `userName eq` filter's one match, or none.
	CredentialWithUserNamed(ctx context.Context, hash []byte, nameFold string) (Token, Directory, UserRead, error)
	// CreateUserWithCredential is CreateUser for a request whose token is
	// checked in the create's own transaction (POST /Users in one round
	// trip where every request reads its token): the token of hint.Hash
	// and its directory are read and returned, and the user is created
	// only if they pass authenticate's checks at time now (hint.Token.ID,
	// u's directory, active, directory enabled) and the directory still
	// has the settings of hint.Directory that u was made with. Otherwise
	// nothing is written and the error is ErrUnconfirmed; so it is when the
	// store cannot check the token in the transaction.
	CreateUserWithCredential(ctx context.Context, hint CredentialHint, now time.Time, u User) (Token, Directory, error)
	ListTokens(ctx context.Context, directoryID string) ([]Token, error)
	// RevokeToken marks the token revoked at time at. Revoking a revoked
	// token is not an error.
	RevokeToken(ctx context.Context, directoryID, tokenID string, at time.Time) error
	TouchToken(ctx context.Context, id string, at time.Time) error

	CreateAPIKey(ctx context.Context, k APIKey) error
	APIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	ListAPIKeys(ctx context.Context) ([]APIKey, error)
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error
	TouchAPIKey(ctx context.Context, id string, at time.Time) error

	// Custom attributes (customattrs.go). Keys are unique
	// (KindConflict); DeleteCustomAttribute is KindConflict while a
	// directory maps the attribute.
	ListCustomAttributes(ctx context.Context) ([]CustomAttribute, error)
	CreateCustomAttribute(ctx context.Context, a CustomAttribute) error
	// UpdateCustomAttribute loads the attribute, calls fn and stores its
	// description and default source.
	UpdateCustomAttribute(ctx context.Context, key string, fn func(*CustomAttribute) error) (CustomAttribute, error)
	DeleteCustomAttribute(ctx context.Context, key string) error
	// PutAttributeMappings replaces a directory's attribute mappings (every
	// key declared, else KindInvalid), increments its mapping version,
	// which it returns, and records at as the time of the change. Users
	// are not touched (see RemapUsers).
	PutAttributeMappings(ctx context.Context, directoryID string, ms []TypedMapping, at time.Time) (version int64, err error)
	// AttributeDirectoriesToApply returns up to limit directories, by id,
	// whose mappings changed before changedBefore and whose latest version
	// is not marked applied.
	AttributeDirectoriesToApply(ctx context.Context, changedBefore time.Time, limit int) ([]string, error)
	// MarkAttributesApplied records that every user of the directory holds
	// values of mapping version version (or a later one).
	MarkAttributesApplied(ctx context.Context, directoryID string, version int64) error
	// PendingAttributeUsers counts the directory's users whose values are
	// not of mapping version version.
	PendingAttributeUsers(ctx context.Context, directoryID string, version int64) (int, error)
	// RemapUsers is one transaction: it takes up to limit users of the
	// directory, in creation order after position after (0: the start),
	// whose values are not of the directory's current mapping version,
	// sets their values to mapFn(mappings, document) and that version, and
	// appends a user_updated event (CustomAttributesChange) for each whose
	// values changed. CreateUser and UpdateUser store u.Custom computed with
	// mapping version u.AttrVersion; when that is not the directory's
	// version at write time they re-map the user with the current mappings
	// in the same transaction.
	RemapUsers(ctx context.Context, directoryID string, after int64, limit int, mapFn func(AttributeMap, map[string]any) CustomValues) (RemapResult, error)

	// CreateUser stores a new user. u.ID, timestamps and Version are set
	// by the caller.
	CreateUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, directoryID, id string) (User, error)
	// GetUserWithGroups is GetUser and UserGroups of that one user, read
	// in one statement (one round trip on the read path of GET /Users/{id}).
	GetUserWithGroups(ctx context.Context, directoryID, id string) (User, []GroupRef, error)
	ListUsers(ctx context.Context, directoryID string, q Query) (UserPage, error)
	// UpdateUser loads the user, calls fn on it and stores the result with
	// Version incremented and UpdatedAt set to now. fn reports whether
	// anything changed; when it did not, nothing is written and the user
	// is returned as loaded. It also returns the user's groups (RFC 7643
	// §4.1.2) as its transaction read them, for the response: no read of
	// them after the commit.
	UpdateUser(ctx context.Context, directoryID, id string, now time.Time, fn func(*User) (changed bool, err error)) (User, []GroupRef, error)
	// DeleteUser removes the user and its group memberships. When check
	// is not nil it is called with the user's current version under the
	// row lock, in the deleting transaction; an error from it aborts the
	// delete and is returned (an If-Match precondition, RFC 7644 §3.14).
	DeleteUser(ctx context.Context, directoryID, id string, check func(version int64) error) error
	// UserGroups returns, for each listed user, the groups it is a direct
	// member of, in creation order. Users without groups are absent.
	UserGroups(ctx context.Context, directoryID string, userIDs []string) (map[string][]GroupRef, error)

	// CreateGroup stores a new group and its initial members. Member ids
	// that name no user or group of the directory are skipped and returned.
	CreateGroup(ctx context.Context, g Group, members []string) (unknown []string, err error)
	GetGroup(ctx context.Context, directoryID, id string) (Group, error)
	ListGroups(ctx context.Context, directoryID string, q Query) (GroupPage, error)
	// UpdateGroup loads the group (without members), calls fn, stores the
	// document and applies the member changes fn returns, in order, as row
	// inserts and deletes: the cost is proportional to the number of ids in
	// the changes, not to the size of the group. Version is incremented
	// when the document or the membership changed. Unknown member ids are
	// skipped and returned.
	UpdateGroup(ctx context.Context, directoryID, id string, now time.Time, fn func(*Group) (changed bool, members []MemberChange, err error)) (Group, []string, error)
	// DeleteGroup removes the group and its memberships; check is as for
	// DeleteUser.
	DeleteGroup(ctx context.Context, directoryID, id string, check func(version int64) error) error
	// ListMembers returns up to limit members of a group in a stable order,
	// starting after the member with id after ("" for the first page).
	// limit <= 0 means all.
	ListMembers(ctx context.Context, directoryID, groupID string, after string, limit int) ([]Member, error)
	// UnknownMembers returns the ids, of those listed, that name neither a
	// user nor a group of the directory, in the order given.
	UnknownMembers(ctx context.Context, directoryID string, ids []string) ([]string, error)
	// MembersOf returns all members of each listed group, keyed by group id.
	MembersOf(ctx context.Context, directoryID string, groupIDs []string) (map[string][]Member, error)
	// CountUsersIn returns how many users are direct members of at least
	// one of the listed groups (ids naming no group of the directory
	// count nothing), without loading them.
	CountUsersIn(ctx context.Context, directoryID string, groupIDs []string) (int, error)

	// AppendRequests stores request log entries, all in one transaction.
	// Entries must have an ID; entries whose directory does not exist (it
	// may have been deleted since the request) are skipped, not an error.
	// Bodies are stored as given: redacting them is the caller's job.
	// Each directory's RequestHealth notes the entries (RequestHealth.Note,
	// in the order they occurred) in the same transaction.
	AppendRequests(ctx context.Context, entries []RequestLog) error
	// ListRequests returns up to q.Limit entries of a directory's request
	// log matching q, newest first (in the order they were appended).
	// An unknown directory is KindNotFound.
	ListRequests(ctx context.Context, directoryID string, q RequestQuery) ([]RequestLog, error)
	// PruneRequests deletes the entries, of every directory, that occurred
	// before before, and returns how many it deleted.
	PruneRequests(ctx context.Context, before time.Time) (int, error)
	// PruneRequestsOverBudget deletes, in each directory whose request log
	// holds more than maxBytes (the sum of RequestLog.Size of its entries),
	// its oldest entries until it holds no more than that, and returns how
	// many it deleted. It reads a per-directory total kept up to date by
	// AppendRequests and the pruning methods, not the entries themselves.
	PruneRequestsOverBudget(ctx context.Context, maxBytes int64) (int, error)
	// NoteRequestsDropped adds, per directory id, the number of entries
	// the request log could not record (directories that no longer exist
	// are skipped); at is when the first of them was dropped.
	NoteRequestsDropped(ctx context.Context, dropped map[string]int64, at time.Time) error
	// RequestLogStats returns the size of a directory's request log and
	// how many entries it could not record. An unknown directory is
	// KindNotFound.
	RequestLogStats(ctx context.Context, directoryID string) (RequestLogStats, error)
	// RequestHealth returns the request counters (RequestHealth, kept up
	// to date by AppendRequests) of the listed directories, keyed by id;
	// a directory without any is absent. Unknown ids are not an error.
	RequestHealth(ctx context.Context, directoryIDs []string) (map[string]RequestHealth, error)

	// --- Management API (organizations, directories, member counts) ---

	// ListOrganizations returns up to q.Limit organizations (all when
	// q.Limit <= 0) in id order, after q.After, with external id
	// q.ExternalID when set.
	ListOrganizations(ctx context.Context, q OrgQuery) ([]Organization, error)
	// UpdateOrganization loads the organization, calls fn and stores its
	// name and external id with UpdatedAt set to now.
	UpdateOrganization(ctx context.Context, id string, now time.Time, fn func(*Organization) error) (Organization, error)
	// DeleteOrganization removes the organization, its directories and
	// all their data, in one transaction.
	DeleteOrganization(ctx context.Context, id string) error
	// ListDirectories returns up to limit directories (all when limit <= 0)
	// of an organization in id order, after the directory with id after.
	// An unknown organization is KindNotFound.
	ListDirectories(ctx context.Context, orgID, after string, limit int) ([]Directory, error)
	// DeleteDirectory removes the directory with its users, groups,
	// memberships, tokens and request log, in one transaction.
	DeleteDirectory(ctx context.Context, id string) error
	// CountMembers returns how many members (users and nested groups) a
	// group has.
	// limit > 0 stops counting at limit (the result is then at most
	// limit), so a group of 200,000 members costs no more than limit
	// index entries; limit <= 0 counts them all.
	CountMembers(ctx context.Context, directoryID, groupID string, limit int) (int, error)

	// ---- Roles and role mappings (docs/api.md, "Roles"). ----
	// Effective roles are never stored: they are computed at read time from
	// membership rows and the directory's mappings (UserRoles +
	// EffectiveRoles), so changing a mapping is one small write.

	// ListRoles returns every role, ordered by key.
	ListRoles(ctx context.Context) ([]Role, error)
	GetRole(ctx context.Context, key string) (Role, error)
	// CreateRole stores a new role; an existing key is KindConflict. When
	// r.Default is set, the previous default stops being the default in
	// the same transaction.
	CreateRole(ctx context.Context, r Role) error
	// UpdateRole loads the role, calls fn and stores its name, description
	// and default flag (the key cannot change). Becoming the default unsets
	// the previous default in the same transaction; the default role cannot
	// stop being the default (KindInvalid: make another role the default).
	UpdateRole(ctx context.Context, key string, fn func(*Role) error) (Role, error)
	// DeleteRole deletes the role, its mappings and the organization
	// defaults naming it. Deleting the default role is KindConflict.
	DeleteRole(ctx context.Context, key string) error
	// SetOrganizationDefaultRole sets the role users of the organization's
	// directories get when no group maps them; "" clears the override. An
	// unknown organization is KindNotFound, an unknown role KindInvalid.
	SetOrganizationDefaultRole(ctx context.Context, orgID, role string) error
	// DefaultRoles returns the instance default role and the organization's
	// override ("" when none or when the organization does not exist).
	DefaultRoles(ctx context.Context, orgID string) (global, override string, err error)
	// RoleMappings returns the directory's mappings ordered by priority
	// (higher first), role key and group id. An unknown directory is
	// KindNotFound.
	RoleMappings(ctx context.Context, directoryID string) ([]RoleMapping, error)
	// PutRoleMappings replaces the directory's mappings with ms, atomically.
	// A group that is not a group of the directory, or a role that does not
	// exist, is KindInvalid naming it.
	PutRoleMappings(ctx context.Context, directoryID string, ms []RoleMapping) error
	// UserRoles returns, for each listed user, the (role, priority) pairs
	// its direct groups map to, in one query. Users without any are absent.
	UserRoles(ctx context.Context, directoryID string, userIDs []string) (map[string][]RoleGrant, error)
}

// UserRead is a user read with its groups (GetUserWithGroups), or the
// error reading it.
type UserRead struct {
	User   User
	Groups []GroupRef
	Err    error
}
