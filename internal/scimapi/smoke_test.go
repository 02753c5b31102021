package scimapi_test

import "testing"

func TestSmoke(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("alice@example.com", map[string]any{"password": "hunter2", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"manager": "m1", "department": "R&D"}})
	r := e.do("GET", "Users/"+id, nil)
	t.Logf("%d %v %s", r.status, r.header, r.raw)
	g := e.createGroup("Eng", id)
	r = e.do("GET", "Groups/"+g, nil)
	t.Logf("%d %s", r.status, r.raw)
	r = e.do("GET", "Users/"+id, nil)
	t.Logf("%d %s", r.status, r.raw)
	r = e.do("GET", "Users?filter=userName+eq+%22ALICE@example.com%22&attributes=userName,emails.value", nil)
	t.Logf("%d %s", r.status, r.raw)
	r = e.do("GET", "Schemas", nil)
	t.Logf("%d %.600s", r.status, r.raw)
	r = e.do("DELETE", "Users", nil)
	t.Logf("%d %v %s", r.status, r.header, r.raw)
	r = e.do("GET", "Nope", nil)
	t.Logf("%d %s", r.status, r.raw)
	r = e.do("GET", "ServiceProviderConfig", nil)
	t.Logf("%d %s", r.status, r.raw)
}
