package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

var schemas = schema.New()

// body wraps operations in a PatchOp message.
func body(ops ...string) []byte {
	return []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + strings.Join(ops, ",") + `]}`)
}

// jsonDoc decodes a JSON object the way the store hands documents over.
func jsonDoc(t testing.TB, s string) schema.Resource {
	t.Helper()
	if s == "" {
		return schema.Resource{}
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return schema.Resource(m)
}

// canon renders a JSON value with sorted keys, for comparisons.
func canon(t testing.TB, v any) string {
	t.Helper()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return strings.TrimSpace(out.String())
}

// render writes a plan compactly: one line per operation.
func render(t testing.TB, p Plan) []string {
	t.Helper()
	var out []string
	for _, op := range p.Ops {
		s := op.Kind.String() + " " + op.Path.String()
		if op.Value != nil {
			s += " = " + canon(t, op.Value)
		}
		out = append(out, s)
	}
	for _, m := range p.Members {
		s := m.Kind.String()
		for _, mm := range m.Members {
			s += " " + mm.Value
			if mm.Display != "" {
				s += "(" + mm.Display + ")"
			}
			if mm.Type != "" {
				s += "<" + mm.Type + ">"
			}
		}
		out = append(out, s)
	}
	return out
}

func scimType(err error) string {
	var se *schema.Error
	if errors.As(err, &se) {
		return se.ScimType
	}
	if err != nil {
		return "not a *schema.Error: " + err.Error()
	}
	return ""
}

// patch runs body through Parse and Apply on a clone of doc.
func patch(t testing.TB, rt *schema.ResourceType, doc schema.Resource, b []byte, opts Options) (schema.Resource, Plan, bool, error) {
	t.Helper()
	plan, err := Parse(rt, b, opts)
	if err != nil {
		return nil, plan, false, err
	}
	out := doc.Clone()
	changed, err := Apply(rt, out, plan.Ops, opts)
	return out, plan, changed, err
}
