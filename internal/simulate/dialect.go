package simulate

// A dialect is how one IdP speaks SCIM: which probe it sends, the shape of
// its bodies and the style of each kind of change. The styles are small
// enums read by the phases, so a new IdP is one row of the table below.
type dialect struct {
	name      string
	summary   string // one line for docs and --help
	basicAuth bool   // PingFederate: Basic base64(name:token)
	userAgent string

	probe   probeStyle
	body    bodyStyle
	lower   bool // OneLogin templates: lowercase userNames
	opUpper bool // Entra default: "Add", "Replace", "Remove"

	inactiveEvery int  // PingFederate "Provision Disabled Users": every nth user is created with active false
	listGroups    bool // PingFederate: pages through GET /Groups instead of filtering

	groupCreate groupCreateStyle
	members     memberStyle
	memberBatch int // members per request for batched styles
	update      updateStyle
	rename      renameStyle
	activation  activeStyle
	removal     removalStyle
	deleteUsers bool

	reconcileName bool // Okta OIN: every membership PATCH also carries the path-less {id, displayName} replace
	managerPatch  bool // Entra: the manager reference is a separate PATCH "Add" path manager
}

type probeStyle int

const (
	probeList       probeStyle = iota // Okta: GET /Users?startIndex=1&count=2
	probeRandomGUID                   // Entra: filter on a random GUID, expect 0
	probeFilter                       // OneLogin: a userName filter
	probeCreate                       // JumpCloud: create and delete a test user and group
	probeUserZero                     // PingFederate: GET /Users/0, expect 404
)

type bodyStyle int

const (
	bodyOkta bodyStyle = iota
	bodyEntra
	bodyOneLogin
	bodyPlain
)

type groupCreateStyle int

const (
	groupPlain       groupCreateStyle = iota
	groupOktaReplace                  // POST, then PATCH path-less replace {id, displayName}
	groupOktaAIW                      // filter, POST, GET
	groupEntra                        // filter with excludedAttributes=members, POST with ADSCIM schema
)

type memberStyle int

const (
	membersPatchBatch memberStyle = iota // add with a value list of up to memberBatch
	membersPatchEach                     // one PATCH per member (Entra default)
	membersPut                           // PUT the full member list (Okta AIW)
)

type updateStyle int

const (
	updateGetPut         updateStyle = iota // Okta: GET then PUT the object as returned, changed
	updatePut                               // PingFederate: PUT from its own data
	updateEntraDefault                      // one capitalised Replace per attribute
	updateEntraCompliant                    // filtered email op plus one path-less replace with dotted and URN keys
	updatePatchPaths                        // lowercase replace per path
)

type renameStyle int

const (
	renamePathless renameStyle = iota // {"op":"replace","value":{"id":…,"displayName":…}}
	renamePath                        // replace path displayName
	renamePut                         // GET then PUT with the full member list
)

type activeStyle int

const (
	activePathless    activeStyle = iota // Okta OIN: {"op":"replace","value":{"active":false}}
	activeEntraString                    // "Replace" active "False"
	activePath                           // replace path active with a boolean
	activeGetPut                         // Okta AIW: GET then PUT
	activePut                            // PingFederate: PUT from its own data
)

type removalStyle int

const (
	removeFilter     removalStyle = iota // remove path members[value eq "x"], batched in one request
	removeValueEach                      // Entra default: Remove path members with a one-value list, one request per member
	removeValueBatch                     // JumpCloud: remove path members with a value list
	removePut                            // Okta AIW: PUT the remaining member list
)

var dialects = []*dialect{
	{name: "okta", summary: "Okta OIN SCIM 2.0 template: PATCH memberships ≤256 per request, path-less replaces, GET+PUT profile updates, no user DELETE",
		userAgent: "Okta SCIM Client 1.0.0 (scimbridge simulate)", probe: probeList, body: bodyOkta,
		groupCreate: groupOktaReplace, members: membersPatchBatch, memberBatch: 256, update: updateGetPut,
		rename: renamePathless, activation: activePathless, removal: removeFilter, reconcileName: true},
	{name: "okta-put", summary: "Okta app-wizard (AIW) app: PUT only, full member lists, no user DELETE",
		userAgent: "Okta SCIM Client 1.0.0 (scimbridge simulate)", probe: probeList, body: bodyOkta,
		groupCreate: groupOktaAIW, members: membersPut, update: updateGetPut,
		rename: renamePut, activation: activeGetPut, removal: removePut},
	{name: "entra", summary: "Microsoft Entra ID, default dialect: capitalised ops, \"False\" strings, one PATCH per member",
		userAgent: "Microsoft.Identity.ServiceProvisioning (scimbridge simulate)", probe: probeRandomGUID, body: bodyEntra, opUpper: true,
		groupCreate: groupEntra, members: membersPatchEach, update: updateEntraDefault,
		rename: renamePath, activation: activeEntraString, removal: removeValueEach, deleteUsers: true, managerPatch: true},
	{name: "entra-compliant", summary: "Microsoft Entra ID with aadOptscim062020: lowercase ops, booleans, path-less dotted/URN replace, batched members",
		userAgent: "Microsoft.Identity.ServiceProvisioning (scimbridge simulate)", probe: probeRandomGUID, body: bodyEntra,
		groupCreate: groupEntra, members: membersPatchBatch, memberBatch: 100, update: updateEntraCompliant,
		rename: renamePath, activation: activePath, removal: removeFilter, deleteUsers: true, managerPatch: true},
	{name: "onelogin", summary: "OneLogin SCIM provisioner: template bodies (urn:scim:schemas:core:1.0, id null), lowercase names and ops",
		userAgent: "", probe: probeFilter, body: bodyOneLogin, lower: true,
		groupCreate: groupPlain, members: membersPatchBatch, memberBatch: 50, update: updatePatchPaths,
		rename: renamePath, activation: activePath, removal: removeFilter, deleteUsers: true},
	{name: "jumpcloud", summary: "JumpCloud custom SCIM: test connection creates and deletes a user and group, value-list removals",
		userAgent: "JumpCloud SCIM (scimbridge simulate)", probe: probeCreate, body: bodyPlain,
		groupCreate: groupPlain, members: membersPatchBatch, memberBatch: 100, update: updatePatchPaths,
		rename: renamePath, activation: activePath, removal: removeValueBatch, deleteUsers: true},
	{name: "pingfederate", summary: "PingFederate SCIM connector: Basic auth, GET /Users/0 probe, PUT users, some created inactive, lists all groups",
		basicAuth: true, userAgent: "PingFederate (scimbridge simulate)", probe: probeUserZero, body: bodyPlain,
		inactiveEvery: 10, listGroups: true,
		groupCreate: groupPlain, members: membersPatchBatch, memberBatch: 100, update: updatePut,
		rename: renamePath, activation: activePut, removal: removeFilter, deleteUsers: true},
}

func lookupDialect(name string) *dialect {
	for _, d := range dialects {
		if d.name == name {
			return d
		}
	}
	return nil
}

// op spells a PATCH op the dialect's way.
func (d *dialect) op(name string) string {
	if d.opUpper {
		return string(name[0]-'a'+'A') + name[1:]
	}
	return name
}

const (
	schemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	schemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	schemaGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	schemaPatch      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	schemaADGroup    = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
)

func patchBody(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{schemaPatch}, "Operations": ops}
}

// userBody is the POST (and PingFederate PUT) body for u.
func (d *dialect) userBody(u *user) map[string]any {
	emails := []map[string]any{{"primary": true, "type": "work", "value": u.email}}
	name := map[string]any{"givenName": u.givenName, "familyName": u.familyName}
	switch d.body {
	case bodyOkta:
		return map[string]any{"schemas": []string{schemaUser}, "userName": u.userName, "name": name,
			"emails": emails, "displayName": u.display, "locale": "en-US", "externalId": u.externalID,
			"groups": []any{}, "password": "placeholder-Okta-" + u.externalID, "active": u.active}
	case bodyEntra:
		name["formatted"] = u.display
		return map[string]any{"schemas": []string{schemaUser, schemaEnterprise}, "externalId": u.externalID,
			"userName": u.userName, "active": u.active, "displayName": u.display, "emails": emails,
			"meta": map[string]any{"resourceType": "User"}, "name": name, "roles": []any{},
			schemaEnterprise: map[string]any{"employeeNumber": u.employeeNumber, "department": "Sales"}}
	case bodyOneLogin:
		return map[string]any{"schemas": []string{"urn:scim:schemas:core:1.0", schemaUser}, "id": nil,
			"meta": map[string]any{"resourceType": "User"}, "userName": u.userName, "externalId": u.externalID,
			"name": name, "displayName": u.display, "emails": emails, "active": u.active,
			schemaEnterprise: map[string]any{"employeeNumber": u.employeeNumber, "manager": map[string]any{"value": nil}}}
	default:
		return map[string]any{"schemas": []string{schemaUser, schemaEnterprise}, "userName": u.userName,
			"externalId": u.externalID, "name": name, "displayName": u.display, "emails": emails, "active": u.active,
			schemaEnterprise: map[string]any{"employeeNumber": u.employeeNumber}}
	}
}

// groupBody is the POST body for g, without members.
func (d *dialect) groupBody(g *group) map[string]any {
	switch d.groupCreate {
	case groupEntra:
		return map[string]any{"schemas": []string{schemaGroup, schemaADGroup}, "externalId": "grp-" + g.displayName,
			"displayName": g.displayName, "meta": map[string]any{"resourceType": "Group"}}
	case groupOktaReplace, groupOktaAIW:
		return map[string]any{"schemas": []string{schemaGroup}, "displayName": g.displayName, "members": []any{}}
	default:
		return map[string]any{"schemas": []string{schemaGroup}, "displayName": g.displayName}
	}
}

// memberValues is a members value list; Okta adds display, Entra a null $ref.
func (d *dialect) memberValues(us []*user) []map[string]any {
	out := make([]map[string]any, 0, len(us))
	for _, u := range us {
		v := map[string]any{"value": u.id}
		switch d.body {
		case bodyOkta:
			v["display"] = u.userName
		case bodyEntra:
			v["$ref"] = nil
		}
		out = append(out, v)
	}
	return out
}
