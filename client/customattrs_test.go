package client_test

import (
	"context"
	"errors"
	"testing"

	"github.com/scimbridge/scimbridge/client"
)

func TestCustomAttributes(t *testing.T) {
	c, srv := newServer(t)
	ctx := context.Background()
	f := provision(t, c, srv, 3)
	id := scim(t, srv, f.dir.ID, f.token.Token, "POST", "/Users", map[string]any{
		"userName": "cc@acme.test",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"costCenter": "CC-1", "employeeNumber": "42"},
	})
	if _, err := c.CreateCustomAttribute(ctx, client.CustomAttribute{Key: "cost_center", Type: client.AttrString, Description: "Cost center"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateCustomAttribute(ctx, client.CustomAttribute{Key: "employee_number", Type: client.AttrNumber}); err != nil {
		t.Fatal(err)
	}
	var apiErr *client.APIError
	if _, err := c.CreateCustomAttribute(ctx, client.CustomAttribute{Key: "cost_center", Type: client.AttrString}); !errors.As(err, &apiErr) || apiErr.Status != 409 {
		t.Errorf("declaring twice: %v", err)
	}
	desc := "The cost center"
	if a, err := c.UpdateCustomAttribute(ctx, "cost_center", client.CustomAttributeUpdate{Description: &desc}); err != nil || a.Description != desc {
		t.Errorf("update: %+v %v", a, err)
	}
	if as, err := c.ListCustomAttributes(ctx); err != nil || len(as) != 2 || as[0].Key != "cost_center" {
		t.Errorf("list: %+v %v", as, err)
	}
	src, err := c.AttributeSources(ctx, f.dir.ID)
	if err != nil || src.Provider != "okta" || src.TotalUsers != 4 || len(src.ProviderDefaults) != 2 {
		t.Fatalf("sources: %+v %v", src, err)
	}
	ms := src.ProviderDefaults // Okta's defaults: the Enterprise attributes
	p, err := c.PreviewAttributeMappings(ctx, f.dir.ID, ms)
	if err != nil || p.UsersChanging != 1 || p.Users[0].UserID != id {
		t.Fatalf("preview: %+v %v", p, err)
	}
	got, err := c.PutAttributeMappings(ctx, f.dir.ID, ms)
	if err != nil || got.UsersChanged != 1 || got.Version != 1 || len(got.Mappings) != 2 || got.Mappings[0].Type != client.AttrString {
		t.Fatalf("put: %+v %v", got, err)
	}
	u, err := c.GetUser(ctx, f.dir.ID, id, false)
	if err != nil || u.CustomAttributes["cost_center"] != "CC-1" || u.CustomAttributes["employee_number"] != 42.0 {
		t.Errorf("user: %+v %v", u.CustomAttributes, err)
	}
	if st, err := c.GetAttributeMappings(ctx, f.dir.ID); err != nil || st.PendingUsers != 0 || len(st.Mappings) != 2 {
		t.Errorf("get: %+v %v", st, err)
	}
	if err := c.DeleteCustomAttribute(ctx, "cost_center"); !errors.As(err, &apiErr) || apiErr.Status != 409 {
		t.Errorf("deleting a mapped attribute: %v", err)
	}
	if _, err := c.PutAttributeMappings(ctx, f.dir.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteCustomAttribute(ctx, "cost_center"); err != nil {
		t.Error(err)
	}
}
