package schema

// Schema URNs (RFC 7643 §3, §8.7.1; RFC 7644 §3.4.2, §3.5.2, §3.7, §3.12).
const (
	UserURN                  = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupURN                 = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserURN        = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	ListResponseURN          = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	PatchOpURN               = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SearchRequestURN         = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	BulkRequestURN           = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	BulkResponseURN          = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	ErrorURN                 = "urn:ietf:params:scim:api:messages:2.0:Error"
	ServiceProviderConfigURN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	ResourceTypeURN          = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaURN                = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// attribute constructors keep the tables below readable. Defaults follow
// RFC 7643 §2.2: caseExact false, mutability readWrite, returned default,
// uniqueness none, required false.
func attr(name string, t Type, opts ...func(*Attribute)) *Attribute {
	a := &Attribute{Name: name, Type: t, Mutability: ReadWrite, Returned: Default, Uniqueness: None}
	for _, o := range opts {
		o(a)
	}
	if a.Type == Reference && a.ReferenceTypes == nil {
		a.ReferenceTypes = []string{"external"}
	}
	return a
}

func multi(a *Attribute)                 { a.MultiValued = true }
func required(a *Attribute)              { a.Required = true }
func caseExact(a *Attribute)             { a.CaseExact = true }
func readOnly(a *Attribute)              { a.Mutability = ReadOnly }
func immutable(a *Attribute)             { a.Mutability = Immutable }
func writeOnly(a *Attribute)             { a.Mutability = WriteOnly; a.Returned = Never }
func always(a *Attribute)                { a.Returned = Always }
func serverUnique(a *Attribute)          { a.Uniqueness = Server }
func desc(d string) func(*Attribute)     { return func(a *Attribute) { a.Description = d } }
func refs(t ...string) func(*Attribute)  { return func(a *Attribute) { a.ReferenceTypes = t } }
func canon(v ...string) func(*Attribute) { return func(a *Attribute) { a.CanonicalValues = v } }
func subs(s ...*Attribute) func(*Attribute) {
	return func(a *Attribute) { a.SubAttributes = s }
}

// commonAttributes are RFC 7643 §3.1: part of every resource, defined by no schema.
var commonAttributes = []*Attribute{
	attr("id", String, caseExact, readOnly, always, serverUnique, desc("Unique identifier for the resource, assigned by the service provider.")),
	attr("externalId", String, caseExact, desc("Identifier of the resource as defined by the provisioning client.")),
	attr("meta", Complex, readOnly, desc("Resource metadata."), subs(
		attr("resourceType", String, caseExact, readOnly),
		attr("created", DateTime, readOnly),
		attr("lastModified", DateTime, readOnly),
		attr("location", Reference, caseExact, readOnly, refs("uri")),
		attr("version", String, caseExact, readOnly),
	)),
}

// CommonAttributes returns the RFC 7643 §3.1 attributes (id, externalId, meta).
func CommonAttributes() []*Attribute { return commonAttributes }

// multi-valued attribute sub-attributes shared by emails, phoneNumbers, ims, photos (RFC 7643 §2.4).
func mvSubs(valueType Type, types ...string) func(*Attribute) {
	value := attr("value", valueType)
	if valueType == Reference {
		value.ReferenceTypes = []string{"external"}
	}
	return subs(
		value,
		attr("display", String),
		attr("type", String, canon(types...)),
		attr("primary", Boolean),
	)
}

func userSchema() *Schema {
	return &Schema{
		ID:          UserURN,
		Name:        "User",
		Description: "User Account",
		Attributes: []*Attribute{
			attr("userName", String, required, serverUnique, desc("Unique identifier for the User, used to authenticate. Compared case-insensitively.")),
			attr("name", Complex, desc("The components of the user's real name."), subs(
				attr("formatted", String),
				attr("familyName", String),
				attr("givenName", String),
				attr("middleName", String),
				attr("honorificPrefix", String),
				attr("honorificSuffix", String),
			)),
			attr("displayName", String),
			attr("nickName", String),
			attr("profileUrl", Reference),
			attr("title", String),
			attr("userType", String),
			attr("preferredLanguage", String),
			attr("locale", String),
			attr("timezone", String),
			attr("active", Boolean),
			attr("password", String, writeOnly, desc("Never stored and never returned by this service.")),
			attr("emails", Complex, multi, mvSubs(String, "work", "home", "other")),
			attr("phoneNumbers", Complex, multi, mvSubs(String, "work", "home", "mobile", "fax", "pager", "other")),
			attr("ims", Complex, multi, mvSubs(String, "aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo")),
			attr("photos", Complex, multi, mvSubs(Reference, "photo", "thumbnail")),
			attr("addresses", Complex, multi, subs(
				attr("formatted", String),
				attr("streetAddress", String),
				attr("locality", String),
				attr("region", String),
				attr("postalCode", String),
				attr("country", String),
				attr("type", String, canon("work", "home", "other")),
				attr("primary", Boolean),
			)),
			attr("groups", Complex, multi, readOnly, desc("Groups the user belongs to, derived from group membership."), subs(
				attr("value", String, readOnly),
				attr("$ref", Reference, readOnly, refs("User", "Group")),
				attr("display", String, readOnly),
				attr("type", String, readOnly, canon("direct", "indirect")),
			)),
			attr("entitlements", Complex, multi, mvSubs(String)),
			attr("roles", Complex, multi, mvSubs(String)),
			attr("x509Certificates", Complex, multi, mvSubs(Binary)),
		},
	}
}

func enterpriseUserSchema() *Schema {
	return &Schema{
		ID:          EnterpriseUserURN,
		Name:        "EnterpriseUser",
		Description: "Enterprise User",
		Attributes: []*Attribute{
			attr("employeeNumber", String),
			attr("costCenter", String),
			attr("organization", String),
			attr("division", String),
			attr("department", String),
			attr("manager", Complex, subs(
				attr("value", String),
				attr("$ref", Reference, refs("User")),
				attr("displayName", String, readOnly),
			)),
		},
	}
}

func groupSchema() *Schema {
	return &Schema{
		ID:          GroupURN,
		Name:        "Group",
		Description: "Group",
		Attributes: []*Attribute{
			attr("displayName", String, required, serverUnique, desc("A human-readable name for the Group. Unique within a directory, compared case-insensitively.")),
			attr("members", Complex, multi, desc("A list of members of the Group."), subs(
				attr("value", String, immutable),
				attr("$ref", Reference, immutable, refs("User", "Group")),
				attr("display", String, readOnly),
				attr("type", String, immutable, canon("User", "Group")),
			)),
		},
	}
}

// Schemas is the set of schemas and resource types one server serves.
// Build it with New; it is immutable afterwards and safe to share.
type Schemas struct {
	User  *ResourceType
	Group *ResourceType
	all   []*Schema
}

// New returns the schemas and resource types scimbridge serves: User with the
// Enterprise User extension, and Group.
func New() *Schemas {
	u, e, g := userSchema(), enterpriseUserSchema(), groupSchema()
	return &Schemas{
		User: &ResourceType{ID: "User", Endpoint: "/Users", Description: "User Account", Schema: u,
			Extensions: []Extension{{Schema: e, Required: false}}},
		Group: &ResourceType{ID: "Group", Endpoint: "/Groups", Description: "Group", Schema: g},
		all:   []*Schema{u, e, g},
	}
}

// All returns every schema, core first.
func (s *Schemas) All() []*Schema { return s.all }

// ResourceTypes returns the resource types in a fixed order.
func (s *Schemas) ResourceTypes() []*ResourceType { return []*ResourceType{s.User, s.Group} }
