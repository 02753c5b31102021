package scimapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/scimapi"
)

func bulkRequest(failOnErrors int, ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, op := range ops {
		list[i] = op
	}
	req := map[string]any{"schemas": []string{schema.BulkRequestURN}, "Operations": list}
	if failOnErrors > 0 {
		req["failOnErrors"] = failOnErrors
	}
	return req
}

// bulkResults returns method, bulkId and status of each result.
func bulkResults(r *response) []string {
	list, _ := r.get("Operations").([]any)
	var out []string
	for _, e := range list {
		m, _ := e.(map[string]any)
		out = append(out, fmt.Sprintf("%v %v %v", m["method"], m["bulkId"], m["status"]))
	}
	return out
}

func TestBulk(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "Bulk", bulkRequest(0,
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "u1", "data": map[string]any{"userName": "bulk1@example.com"}},
		map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g1", "data": map[string]any{
			"displayName": "Bulk group", "members": []any{map[string]any{"value": "bulkId:u1"}, map[string]any{"value": "bulkId:u2"}},
		}},
		// u2 is created after the group that references it: the group waits.
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "u2", "data": map[string]any{"userName": "bulk2@example.com"}},
		map[string]any{"method": "PATCH", "path": "/Users/bulkId:u1", "data": map[string]any{
			"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}},
		}},
		map[string]any{"method": "PUT", "path": "/Users/bulkId:u2", "version": `W/"1"`, "data": map[string]any{"userName": "bulk2@example.com", "displayName": "Two"}},
		map[string]any{"method": "PATCH", "path": "/Groups/bulkId:g1", "data": map[string]any{
			"Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "Renamed"}},
		}},
	)).want(t, http.StatusOK)
	if r.str("schemas.0") != schema.BulkResponseURN {
		t.Errorf("schemas = %v", r.get("schemas"))
	}
	want := []string{"POST u1 201", "POST g1 201", "POST u2 201", "PATCH <nil> 200", "PUT <nil> 200", "PATCH <nil> 204"}
	if diff := cmp.Diff(want, bulkResults(r)); diff != "" {
		t.Fatalf("results (-want +got):\n%s\n%s", diff, r.raw)
	}
	u1Loc, gLoc := r.str("Operations.0.location"), r.str("Operations.1.location")
	if !strings.HasPrefix(u1Loc, e.base+"/Users/diruser_") || r.str("Operations.0.version") != `W/"1"` {
		t.Errorf("first result: %v", r.get("Operations.0"))
	}
	u1 := strings.TrimPrefix(u1Loc, e.base+"/Users/")
	u2 := strings.TrimPrefix(r.str("Operations.2.location"), e.base+"/Users/")
	if r.str("Operations.3.location") != u1Loc || r.str("Operations.3.version") != `W/"2"` {
		t.Errorf("PATCH result: %v", r.get("Operations.3"))
	}
	g := e.do("GET", gLoc, nil).want(t, http.StatusOK)
	if diff := cmp.Diff(sorted([]string{u1, u2}), sorted(memberIDs(g))); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if g.str("displayName") != "Renamed" {
		t.Errorf("displayName = %q", g.str("displayName"))
	}
	if e.do("GET", u1Loc, nil).get("active") != false {
		t.Errorf("PATCH through bulk did not deactivate")
	}

	t.Run("a forward reference runs its POST first, then order resumes", func(t *testing.T) {
		r := e.do("POST", "Bulk", bulkRequest(0,
			map[string]any{"method": "PATCH", "path": "/Groups/bulkId:late", "data": patchOp(map[string]any{"op": "replace", "path": "displayName", "value": "Late renamed"})},
			map[string]any{"method": "POST", "path": "/Groups", "bulkId": "late", "data": map[string]any{"displayName": "Late"}},
			map[string]any{"method": "DELETE", "path": "/Groups/bulkId:late"},
		)).want(t, http.StatusOK)
		if diff := cmp.Diff([]string{"PATCH <nil> 204", "POST late 201", "DELETE <nil> 204"}, bulkResults(r)); diff != "" {
			t.Errorf("results (-want +got):\n%s\n%s", diff, r.raw)
		}
	})
	t.Run("DELETE", func(t *testing.T) {
		r := e.do("POST", "Bulk", bulkRequest(0, map[string]any{"method": "delete", "path": "/Users/" + u2})).want(t, http.StatusOK)
		if diff := cmp.Diff([]string{"DELETE <nil> 204"}, bulkResults(r)); diff != "" {
			t.Errorf("results (-want +got):\n%s", diff)
		}
		if r.str("Operations.0.location") != e.base+"/Users/"+u2 {
			t.Errorf("location = %q", r.str("Operations.0.location"))
		}
		e.do("GET", "Users/"+u2, nil).want(t, http.StatusNotFound)
	})
}

func TestBulkErrors(t *testing.T) {
	e := newEnv(t, func(h *scimapi.Handler) {
		h.BulkMaxOperations = 4
		h.BulkMaxPayloadBytes = 4096
	})
	e.createUser("taken@example.com")
	dup := map[string]any{"method": "POST", "path": "/Users", "bulkId": "d", "data": map[string]any{"userName": "TAKEN@example.com"}}
	ok := func(n int) map[string]any {
		return map[string]any{"method": "POST", "path": "/Users", "bulkId": fmt.Sprint("ok", n), "data": map[string]any{"userName": fmt.Sprintf("ok%d@example.com", n)}}
	}

	t.Run("errors do not stop the run without failOnErrors", func(t *testing.T) {
		r := e.do("POST", "Bulk", bulkRequest(0, ok(1), dup, ok(2))).want(t, http.StatusOK)
		if diff := cmp.Diff([]string{"POST ok1 201", "POST d 409", "POST ok2 201"}, bulkResults(r)); diff != "" {
			t.Errorf("results (-want +got):\n%s", diff)
		}
		resp, _ := r.get("Operations.1.response").(map[string]any)
		if diff := cmp.Diff(map[string]any{
			"schemas": []any{schema.ErrorURN}, "status": "409", "scimType": "uniqueness", "detail": resp["detail"],
		}, resp); diff != "" || resp["detail"] == "" {
			t.Errorf("error response (-want +got):\n%s", diff)
		}
		if r.get("Operations.1.location") != nil {
			t.Errorf("failed POST has a location")
		}
	})
	t.Run("failOnErrors stops after N errors", func(t *testing.T) {
		r := e.do("POST", "Bulk", bulkRequest(1, dup, ok(3))).want(t, http.StatusOK)
		if diff := cmp.Diff([]string{"POST d 409"}, bulkResults(r)); diff != "" {
			t.Errorf("results (-want +got):\n%s", diff)
		}
		e.do("GET", "Users?filter=userName+eq+%22ok3@example.com%22", nil)
		if n := e.do("GET", "Users?filter=userName+eq+%22ok3@example.com%22", nil).num("totalResults"); n != 0 {
			t.Errorf("an operation after failOnErrors ran")
		}
		r = e.do("POST", "Bulk", bulkRequest(2, dup, ok(4), dup)).want(t, http.StatusOK)
		if diff := cmp.Diff([]string{"POST d 409", "POST ok4 201", "POST d 400"}, bulkResults(r)); diff != "" {
			t.Errorf("results (-want +got):\n%s", diff)
		}
	})
	t.Run("unresolvable and circular references", func(t *testing.T) {
		r := e.do("POST", "Bulk", bulkRequest(0,
			map[string]any{"method": "POST", "path": "/Groups", "bulkId": "a", "data": map[string]any{"displayName": "A", "members": []any{map[string]any{"value": "bulkId:b"}}}},
			map[string]any{"method": "POST", "path": "/Groups", "bulkId": "b", "data": map[string]any{"displayName": "B", "members": []any{map[string]any{"value": "bulkId:a"}}}},
			map[string]any{"method": "PATCH", "path": "/Users/bulkId:nowhere", "data": map[string]any{"Operations": []any{}}},
		)).want(t, http.StatusOK)
		if diff := cmp.Diff([]string{"POST a 409", "POST b 409", "PATCH <nil> 400"}, bulkResults(r)); diff != "" {
			t.Errorf("results (-want +got):\n%s\n%s", diff, r.raw)
		}
		if got := r.str("Operations.2.response.scimType"); got != "invalidValue" {
			t.Errorf("scimType = %q", got)
		}
	})
	t.Run("malformed operations fail alone", func(t *testing.T) {
		r := e.do("POST", "Bulk", bulkRequest(0,
			map[string]any{"method": "POST", "path": "/Users", "bulkId": "x"},
			map[string]any{"method": "GET", "path": "/Users"},
			map[string]any{"method": "PUT", "path": "/Users"},
			map[string]any{"method": "POST", "path": "/Devices", "data": map[string]any{}},
		)).want(t, http.StatusOK)
		for i, res := range bulkResults(r) {
			if !strings.HasSuffix(res, " 400") {
				t.Errorf("operation %d: %s", i, res)
			}
		}
	})
	t.Run("more operations than maxOperations", func(t *testing.T) {
		e.do("POST", "Bulk", bulkRequest(0, ok(10), ok(11), ok(12), ok(13), ok(14))).want(t, http.StatusRequestEntityTooLarge)
	})
	t.Run("payload over maxPayloadSize", func(t *testing.T) {
		r := e.do("POST", "Bulk", bulkRequest(0, map[string]any{"method": "POST", "path": "/Users", "data": map[string]any{
			"userName": "big@example.com", "displayName": strings.Repeat("x", 5000),
		}})).want(t, http.StatusRequestEntityTooLarge)
		if !strings.Contains(r.str("detail"), "maxPayloadSize") {
			t.Errorf("detail = %q", r.str("detail"))
		}
	})
	t.Run("not a BulkRequest", func(t *testing.T) {
		e.do("POST", "Bulk", map[string]any{"Operations": "nope"}).want(t, http.StatusBadRequest, "invalidSyntax")
		e.do("POST", "Bulk", `{"Operations":[`).want(t, http.StatusBadRequest, "invalidSyntax")
		e.do("POST", "Bulk", map[string]any{"Operations": []any{}, "failOnErrors": "many"}).want(t, http.StatusBadRequest, "invalidValue")
	})
}
