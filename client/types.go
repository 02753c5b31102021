package client

import "time"

// Organization is a customer of the app; it owns directories.
type Organization struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	ExternalID string    `json:"external_id"` // "" when not set
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// OrganizationUpdate changes the fields that are not nil. An ExternalID of
// "" clears it.
type OrganizationUpdate struct {
	Name       *string `json:"name,omitempty"`
	ExternalID *string `json:"external_id,omitempty"`
}

// OrganizationDefaultRole is an organization's override of the default role.
type OrganizationDefaultRole struct {
	OrganizationID       string `json:"organization_id"`
	Role                 string `json:"role"` // "" when the organization uses the instance default
	EffectiveDefaultRole string `json:"effective_default_role"`
}

// Directory is one SCIM connection of an organization's IdP.
type Directory struct {
	ID             string            `json:"id"`
	OrganizationID string            `json:"organization_id"`
	Name           string            `json:"name"`
	Provider       string            `json:"provider"`
	Enabled        bool              `json:"enabled"`
	EndpointURL    string            `json:"endpoint_url"` // the SCIM base URL to give the IdP
	LastRequestAt  time.Time         `json:"last_request_at,omitzero"`
	Settings       DirectorySettings `json:"settings"`
	// SetupState is awaiting_token, awaiting_first_request or connected.
	SetupState string `json:"setup_state"`
	// State is the connection's health: disabled, refused, errors,
	// stalled, waiting or connected; StateReason says why, in a sentence
	// an IT admin can act on (docs/api.md, "Directory state").
	State       string    `json:"state"`
	StateReason string    `json:"state_reason"`
	UserCount   int       `json:"user_count"`
	GroupCount  int       `json:"group_count"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Setup states of a directory.
const (
	SetupAwaitingToken        = "awaiting_token"
	SetupAwaitingFirstRequest = "awaiting_first_request"
	SetupConnected            = "connected"
)

// DirectorySettings tune how a directory treats its IdP.
type DirectorySettings struct {
	Strict         bool   `json:"strict"`
	UnknownMembers string `json:"unknown_members"` // "ignore" or "reject"
	// RequestLogBodies: which request log entries keep their bodies,
	// "writes_and_failures" (the default), "all" or "none".
	RequestLogBodies string `json:"request_log_bodies"`
	DeprovisionSettings
}

// DirectoryUpdate changes the fields that are not nil.
type DirectoryUpdate struct {
	Name     *string                  `json:"name,omitempty"`
	Provider *string                  `json:"provider,omitempty"`
	Enabled  *bool                    `json:"enabled,omitempty"`
	Settings *DirectorySettingsUpdate `json:"settings,omitempty"`
}

// DirectorySettingsUpdate changes the settings that are not nil.
type DirectorySettingsUpdate struct {
	Strict           *bool   `json:"strict,omitempty"`
	UnknownMembers   *string `json:"unknown_members,omitempty"`
	RequestLogBodies *string `json:"request_log_bodies,omitempty"`
	DeprovisionSettingsUpdate
}

// Token is a directory's SCIM bearer token.
type Token struct {
	ID          string    `json:"id"`
	DirectoryID string    `json:"directory_id"`
	Suffix      string    `json:"suffix"`
	Active      bool      `json:"active"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`   // zero: never
	LastUsedAt  time.Time `json:"last_used_at,omitzero"` // zero: never used
	RevokedAt   time.Time `json:"revoked_at,omitzero"`   // zero: not revoked
	// Token is the secret; only CreateToken sets it, and only once.
	Token string `json:"token,omitempty"`
}

// GroupRef names a group a user is a direct member of.
type GroupRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// User is a directory user with normalized fields and effective roles.
type User struct {
	ID             string     `json:"id"`
	DirectoryID    string     `json:"directory_id"`
	OrganizationID string     `json:"organization_id"`
	UserName       string     `json:"user_name"`
	Email          string     `json:"email"`
	FirstName      string     `json:"first_name"`
	LastName       string     `json:"last_name"`
	DisplayName    string     `json:"display_name"`
	Active         bool       `json:"active"`
	ExternalID     string     `json:"external_id"`
	Title          string     `json:"title"`
	Department     string     `json:"department"`
	EmployeeNumber string     `json:"employee_number"`
	ManagerID      string     `json:"manager_id"`
	Groups         []GroupRef `json:"groups"`
	Roles          []string   `json:"roles"` // every mapped role key
	Role           string     `json:"role"`  // the highest-priority one
	// CustomAttributes are the values of the directory's attribute
	// mappings, by key: string, bool, float64 or []any (a string list);
	// nil when the IdP sent nothing or a value of the wrong type.
	CustomAttributes map[string]any `json:"custom_attributes"`
	// RawAttributes is the full SCIM document; set only with IncludeDetail.
	RawAttributes map[string]any `json:"raw_attributes,omitempty"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
	// Diverged: the app kept this user after discarding a hold, and the
	// IdP says otherwise (docs/deprovisioning-guard.md).
	Diverged bool `json:"diverged,omitempty"`
}

// Group is a directory group. MemberCount is set by GetGroup only.
type Group struct {
	ID             string    `json:"id"`
	DirectoryID    string    `json:"directory_id"`
	OrganizationID string    `json:"organization_id"`
	Name           string    `json:"name"`
	ExternalID     string    `json:"external_id"`
	MemberCount    int       `json:"member_count"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Member is a member of a group: a user or a nested group.
type Member struct {
	ID      string `json:"id"`
	Type    string `json:"type"` // "user" or "group"
	Display string `json:"display"`
}

// Role is a role the app defines; exactly one is the default.
type Role struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Default     bool   `json:"default"`
}

// RoleUpdate changes the fields that are not nil.
type RoleUpdate struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	Default     *bool   `json:"default,omitempty"`
}

// RoleMapping maps a directory group to a role; a higher Priority wins when
// a user's groups map to different roles (see docs/api.md, "Roles").
type RoleMapping struct {
	GroupID  string `json:"group_id"`
	Role     string `json:"role"`
	Priority int    `json:"priority"`
}

// Preview is what a mapping change would do, without applying it.
type Preview struct {
	UsersChangingRole int          `json:"users_changing_role"`
	Sample            []RoleChange `json:"sample"`
}

// RoleChange is one user whose role would change.
type RoleChange struct {
	UserID      string `json:"user_id"`
	DisplayName string `json:"display_name"`
	FromRole    string `json:"from_role"`
	ToRole      string `json:"to_role"`
}

// RequestLogEntry is one SCIM request the directory's IdP made.
type RequestLogEntry struct {
	ID                string    `json:"id"`
	DirectoryID       string    `json:"directory_id"`
	OccurredAt        time.Time `json:"occurred_at"`
	Method            string    `json:"method"`
	Path              string    `json:"path"`
	Status            int       `json:"status"`
	DurationMS        float64   `json:"duration_ms"`
	RequestBody       string    `json:"request_body"`
	ResponseBody      string    `json:"response_body"`
	RequestTruncated  bool      `json:"request_truncated"`
	ResponseTruncated bool      `json:"response_truncated"`
	RequestID         string    `json:"request_id"`
	UserAgent         string    `json:"user_agent"`
	RemoteAddr        string    `json:"remote_addr"`
	// MetadataOnly: the bodies were not stored. Repeats > 0: a summary
	// entry standing for that many further requests, described by Path.
	MetadataOnly bool `json:"metadata_only"`
	Repeats      int  `json:"repeats"`
}
