package directory

import "context"

// Reader is the read side of the store that the surfaces (the SCIM API,
// the management API and the Admin Portal) use. It is the only way they
// reach the store: every write goes through a Service method, which checks
// and records it. Selections of users and groups are expressed with Query's
// typed fields, so no surface but SCIM speaks the filter language.
type Reader interface {
	EventLog

	GetOrganization(ctx context.Context, id string) (Organization, error)
	ListOrganizations(ctx context.Context, q OrgQuery) ([]Organization, error)
	DefaultRoles(ctx context.Context, orgID string) (global, override string, err error)

	GetDirectory(ctx context.Context, id string) (Directory, error)
	ListDirectories(ctx context.Context, orgID, after string, limit int) ([]Directory, error)
	CountDirectory(ctx context.Context, id string) (users, groups int, err error)
	ListTokens(ctx context.Context, directoryID string) ([]Token, error)

	GetUser(ctx context.Context, directoryID, id string) (User, error)
	GetUserWithGroups(ctx context.Context, directoryID, id string) (User, []GroupRef, error)
	ListUsers(ctx context.Context, directoryID string, q Query) (UserPage, error)
	UserGroups(ctx context.Context, directoryID string, userIDs []string) (map[string][]GroupRef, error)

	GetGroup(ctx context.Context, directoryID, id string) (Group, error)
	ListGroups(ctx context.Context, directoryID string, q Query) (GroupPage, error)
	ListMembers(ctx context.Context, directoryID, groupID string, after string, limit int) ([]Member, error)
	MembersOf(ctx context.Context, directoryID string, groupIDs []string) (map[string][]Member, error)
	CountUsersIn(ctx context.Context, directoryID string, groupIDs []string) (int, error)
	CountMembers(ctx context.Context, directoryID, groupID string, limit int) (int, error)

	// The deprovisioning guard and policies (deprovision.go).
	DeprovisionSettings(ctx context.Context, directoryID string) (DeprovisionSettings, error)
	ListHolds(ctx context.Context, directoryID string) ([]Hold, error)
	AppUsers(ctx context.Context, directoryID string, userIDs []string) (map[string]HeldUser, error)
	AppUserCount(ctx context.Context, directoryID string) (int, error)
	ListAppUsers(ctx context.Context, directoryID, after string, gone bool) ([]HeldUser, error)

	ListRequests(ctx context.Context, directoryID string, q RequestQuery) ([]RequestLog, error)
	RequestLogStats(ctx context.Context, directoryID string) (RequestLogStats, error)
	RequestHealth(ctx context.Context, directoryIDs []string) (map[string]RequestHealth, error)

	// Generation returns a number that changes whenever the directory's
	// users, groups or memberships may have changed, and true, when this
	// process sees every such change (SQLite); a reader may keep what it
	// read of the directory while the number stays the same. On a store
	// that other processes write too (PostgreSQL) it returns false, and
	// nothing read may be kept.
	Generation(dirID string) (uint64, bool)
}

// Read returns the service's store, narrowed to what the surfaces may read.
func (s *Service) Read() Reader { return s.Store }
