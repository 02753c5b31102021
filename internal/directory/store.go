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
	// Ping checks that the database is reachable and migrated.
	Ping(ctx context.Context) error
	Close() error

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

	// CreateUser stores a new user. u.ID, timestamps and Version are set
	// by the caller.
	CreateUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, directoryID, id string) (User, error)
	ListUsers(ctx context.Context, directoryID string, q Query) (UserPage, error)
	// UpdateUser loads the user, calls fn on it and stores the result with
	// Version incremented and UpdatedAt set to now. fn reports whether
	// anything changed; when it did not, nothing is written and the user
	// is returned as loaded.
	UpdateUser(ctx context.Context, directoryID, id string, now time.Time, fn func(*User) (changed bool, err error)) (User, error)
	// DeleteUser removes the user and its group memberships.
	DeleteUser(ctx context.Context, directoryID, id string) error
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
	DeleteGroup(ctx context.Context, directoryID, id string) error
	// ListMembers returns up to limit members of a group in a stable order,
	// starting after the member with id after ("" for the first page).
	// limit <= 0 means all.
	ListMembers(ctx context.Context, directoryID, groupID string, after string, limit int) ([]Member, error)
	// UnknownMembers returns the ids, of those listed, that name neither a
	// user nor a group of the directory, in the order given.
	UnknownMembers(ctx context.Context, directoryID string, ids []string) ([]string, error)
	// MembersOf returns all members of each listed group, keyed by group id.
	MembersOf(ctx context.Context, directoryID string, groupIDs []string) (map[string][]Member, error)

	// AppendRequests stores request log entries, all in one transaction.
	// Entries must have an ID; entries whose directory does not exist (it
	// may have been deleted since the request) are skipped, not an error.
	// Bodies are stored as given: redacting them is the caller's job.
	AppendRequests(ctx context.Context, entries []RequestLog) error
	// ListRequests returns up to q.Limit entries of a directory's request
	// log matching q, newest first (in the order they were appended).
	// An unknown directory is KindNotFound.
	ListRequests(ctx context.Context, directoryID string, q RequestQuery) ([]RequestLog, error)
	// PruneRequests deletes the entries, of every directory, that occurred
	// before before, and returns how many it deleted.
	PruneRequests(ctx context.Context, before time.Time) (int, error)
}
