package directory

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// UserRecord is a directory user with the normalized fields an app wants,
// as the management API, the events feed and webhooks all show it. Absent
// values are JSON null, never missing, so that apps see one shape.
type UserRecord struct {
	Object         string       `json:"object"`
	ID             string       `json:"id"`
	DirectoryID    string       `json:"directory_id"`
	OrganizationID string       `json:"organization_id"`
	UserName       string       `json:"user_name"`
	Email          *string      `json:"email"`
	FirstName      *string      `json:"first_name"`
	LastName       *string      `json:"last_name"`
	DisplayName    *string      `json:"display_name"`
	Active         bool         `json:"active"`
	ExternalID     *string      `json:"external_id"`
	Title          *string      `json:"title"`
	Department     *string      `json:"department"`
	EmployeeNumber *string      `json:"employee_number"`
	ManagerID      *string      `json:"manager_id"`
	Groups         []GroupBrief `json:"groups"`
	CreatedAt      *string      `json:"created_at"`
	UpdatedAt      *string      `json:"updated_at"`
	// CustomAttributes are the values of the directory's attribute
	// mappings (docs/custom-attributes.md): every mapped key, null when
	// the IdP sent nothing or a value of the wrong type; {} without
	// mappings.
	CustomAttributes map[string]any `json:"custom_attributes"`
	// Roles and Role are the effective roles; left out when not computed.
	Roles []string `json:"roles,omitempty"`
	Role  string   `json:"role,omitempty"`
	// RawAttributes is the SCIM document as stored; only on detail views
	// and in events.
	RawAttributes json.RawMessage `json:"raw_attributes,omitempty"`
	// Diverged is set, on the management API's reads, on a user the app
	// kept after discarding a hold while the IdP says otherwise
	// (docs/deprovisioning-guard.md); never in events.
	Diverged bool `json:"diverged,omitempty"`
}

// jsonMember is one member of a record's JSON encoding: its name, its
// value, and whether omitempty leaves it out.
type jsonMember struct {
	name    string
	value   any
	omitted bool
}

// jsonMembers lists r's JSON members in the order of its fields, for
// PreviousAttributes to compare two records without encoding them.
// TestUserRecordJSONMembers checks it against the struct's tags.
func (r *UserRecord) jsonMembers() [23]jsonMember {
	return [23]jsonMember{
		{name: "object", value: r.Object},
		{name: "id", value: r.ID},
		{name: "directory_id", value: r.DirectoryID},
		{name: "organization_id", value: r.OrganizationID},
		{name: "user_name", value: r.UserName},
		{name: "email", value: r.Email},
		{name: "first_name", value: r.FirstName},
		{name: "last_name", value: r.LastName},
		{name: "display_name", value: r.DisplayName},
		{name: "active", value: r.Active},
		{name: "external_id", value: r.ExternalID},
		{name: "title", value: r.Title},
		{name: "department", value: r.Department},
		{name: "employee_number", value: r.EmployeeNumber},
		{name: "manager_id", value: r.ManagerID},
		{name: "groups", value: r.Groups},
		{name: "created_at", value: r.CreatedAt},
		{name: "updated_at", value: r.UpdatedAt},
		{name: "custom_attributes", value: r.CustomAttributes},
		{name: "roles", value: r.Roles, omitted: len(r.Roles) == 0},
		{name: "role", value: r.Role, omitted: r.Role == ""},
		{name: "raw_attributes", value: r.RawAttributes, omitted: len(r.RawAttributes) == 0},
		{name: "diverged", value: r.Diverged, omitted: !r.Diverged},
	}
}

// GroupBrief names a group inside a user record.
type GroupBrief struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// GroupRecord is a directory group as the management API and events show
// it.
type GroupRecord struct {
	Object         string  `json:"object"`
	ID             string  `json:"id"`
	DirectoryID    string  `json:"directory_id"`
	OrganizationID string  `json:"organization_id"`
	Name           string  `json:"name"`
	ExternalID     *string `json:"external_id"`
	CreatedAt      *string `json:"created_at"`
	UpdatedAt      *string `json:"updated_at"`
	// MemberCount is set where it was counted (a group's detail).
	MemberCount *int `json:"member_count,omitempty"`
}

// NewUserRecord renders u. groups are its direct groups; eff its effective
// roles (nil: not computed).
func NewUserRecord(u User, orgID string, groups []GroupRef, eff *Effective) UserRecord {
	doc := u.Doc
	name, _ := doc["name"].(map[string]any)
	ent, _ := doc[schema.EnterpriseUserURN].(map[string]any)
	var manager *string
	if m, ok := ent["manager"].(map[string]any); ok {
		manager = nonEmpty(m["value"])
	}
	gs := make([]GroupBrief, 0, len(groups))
	for _, g := range groups {
		gs = append(gs, GroupBrief{ID: g.ID, Name: g.DisplayName})
	}
	r := UserRecord{
		Object:         "directory_user",
		ID:             u.ID,
		DirectoryID:    u.DirectoryID,
		OrganizationID: orgID,
		UserName:       u.UserName,
		Email:          PrimaryEmail(doc),
		FirstName:      nonEmpty(name["givenName"]),
		LastName:       nonEmpty(name["familyName"]),
		DisplayName:    nonEmpty(doc["displayName"]),
		Active:         u.Active,
		ExternalID:     nonEmpty(u.ExternalID),
		Title:          nonEmpty(doc["title"]),
		Department:     nonEmpty(ent["department"]),
		EmployeeNumber: nonEmpty(ent["employeeNumber"]),
		ManagerID:      manager,
		Groups:         gs,
		CreatedAt:      timeString(u.CreatedAt),
		UpdatedAt:      timeString(u.UpdatedAt),
	}
	r.CustomAttributes = recordValues(u.Custom)
	if eff != nil {
		r.Roles, r.Role = eff.Roles, eff.Role
	}
	return r
}

// NewGroupRecord renders g.
func NewGroupRecord(g Group, orgID string) GroupRecord {
	return GroupRecord{
		Object:         "directory_group",
		ID:             g.ID,
		DirectoryID:    g.DirectoryID,
		OrganizationID: orgID,
		Name:           g.DisplayName,
		ExternalID:     nonEmpty(g.ExternalID),
		CreatedAt:      timeString(g.CreatedAt),
		UpdatedAt:      timeString(g.UpdatedAt),
	}
}

func nonEmpty(v any) *string {
	if s, ok := v.(string); ok && s != "" {
		return &s
	}
	return nil
}

func timeString(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// PrimaryEmail is the primary email, else the work one, else the first.
func PrimaryEmail(doc schema.Resource) *string {
	es, _ := doc["emails"].([]any)
	var work, first *string
	for _, e := range es {
		m, _ := e.(map[string]any)
		v := nonEmpty(m["value"])
		if v == nil {
			continue
		}
		if p, _ := m["primary"].(bool); p {
			return v
		}
		if t, _ := m["type"].(string); work == nil && strings.EqualFold(t, "work") {
			work = v
		}
		if first == nil {
			first = v
		}
	}
	if work != nil {
		return work
	}
	return first
}
