package patch

import (
	"reflect"
	"testing"
)

func TestDelta(t *testing.T) {
	m := func(ids ...string) []Member {
		out := make([]Member, len(ids))
		for i, id := range ids {
			out[i] = Member{Value: id}
		}
		return out
	}
	tests := []struct {
		name string
		ops  []MemberOp
		want MemberDelta
	}{
		{"nothing", nil, MemberDelta{}},
		{
			name: "okta remove one add one",
			ops:  []MemberOp{{Kind: RemoveMembers, Members: m("u1")}, {Kind: AddMembers, Members: m("u2")}},
			want: MemberDelta{Add: m("u2"), Remove: []string{"u1"}},
		},
		{
			name: "add then remove the same id removes it",
			ops:  []MemberOp{{Kind: AddMembers, Members: m("u1", "u2")}, {Kind: RemoveMembers, Members: m("u1")}},
			want: MemberDelta{Add: m("u2"), Remove: []string{"u1"}},
		},
		{
			name: "remove then add the same id adds it",
			ops:  []MemberOp{{Kind: RemoveMembers, Members: m("u1")}, {Kind: AddMembers, Members: m("u1")}},
			want: MemberDelta{Add: m("u1")},
		},
		{
			name: "add, remove, add again",
			ops:  []MemberOp{{Kind: AddMembers, Members: m("u1")}, {Kind: RemoveMembers, Members: m("u1")}, {Kind: AddMembers, Members: m("u1", "u2")}},
			want: MemberDelta{Add: m("u1", "u2")},
		},
		{
			name: "replace resets, later ops apply on top",
			ops: []MemberOp{
				{Kind: AddMembers, Members: m("x")},
				{Kind: RemoveMembers, Members: m("y")},
				{Kind: ReplaceMembers, Members: m("u1", "u2", "u3")},
				{Kind: RemoveMembers, Members: m("u2", "zz")},
				{Kind: AddMembers, Members: m("u4")},
			},
			want: MemberDelta{Reset: true, Add: m("u1", "u3", "u4")},
		},
		{
			name: "clear is flagged",
			ops:  []MemberOp{{Kind: AddMembers, Members: m("u1")}, {Kind: ClearMembers}},
			want: MemberDelta{Reset: true, Cleared: true},
		},
		{
			name: "clear then add",
			ops:  []MemberOp{{Kind: ClearMembers}, {Kind: AddMembers, Members: m("u9")}},
			want: MemberDelta{Reset: true, Cleared: true, Add: m("u9")},
		},
		{
			name: "authentik one op per member",
			ops: []MemberOp{
				{Kind: AddMembers, Members: m("a")}, {Kind: AddMembers, Members: m("b")},
				{Kind: RemoveMembers, Members: m("c")}, {Kind: RemoveMembers, Members: m("d")}, {Kind: AddMembers, Members: m("a")},
			},
			want: MemberDelta{Add: m("a", "b"), Remove: []string{"c", "d"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Delta(tt.ops)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Delta =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// A group PATCH as Okta sends it, end to end: the plan's member delta and an
// unchanged document.
func TestGroupPatchEndToEnd(t *testing.T) {
	b := body(
		`{"op":"replace","value":{"id":"g1","displayName":"Engineering"}}`,
		`{"op":"remove","path":"members[value eq \"00u1\"]"}`,
		`{"op":"add","path":"members","value":[{"value":"00u2","display":"user2@example.com"},{"value":"00u3","display":"user3@example.com"}]}`,
	)
	doc := jsonDoc(t, groupDoc)
	got, plan, changed, err := patch(t, schemas.Group, doc, b, Options{MaxOperations: 100})
	if err != nil {
		t.Fatal(err)
	}
	if changed || canon(t, got) != canon(t, doc) {
		t.Errorf("document changed: %s", canon(t, got))
	}
	want := MemberDelta{
		Add:    []Member{{Value: "00u2", Display: "user2@example.com"}, {Value: "00u3", Display: "user3@example.com"}},
		Remove: []string{"00u1"},
	}
	if d := plan.MemberDelta(); !reflect.DeepEqual(d, want) {
		t.Errorf("delta %+v, want %+v", d, want)
	}
	if plan.Empty() {
		t.Error("plan reported empty")
	}
	if ids := plan.Members[1].IDs(); !reflect.DeepEqual(ids, []string{"00u2", "00u3"}) {
		t.Errorf("IDs = %v", ids)
	}
	if plan.Members[1].Index != 2 || plan.Ops[0].Index != 0 {
		t.Errorf("indices: %+v %+v", plan.Members[1], plan.Ops[0])
	}
}

// 256 members in one op, as Okta pushes them.
func TestLargeMemberAdd(t *testing.T) {
	var items []byte
	for i := 0; i < 256; i++ {
		if i > 0 {
			items = append(items, ',')
		}
		items = append(items, []byte(`{"value":"user-`+itoa3(i)+`","display":"u`+itoa3(i)+`@example.com"}`)...)
	}
	plan, err := Parse(schemas.Group, body(`{"op":"add","path":"members","value":[`+string(items)+`]}`), Options{MaxOperations: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Members) != 1 || len(plan.Members[0].Members) != 256 {
		t.Fatalf("plan: %d ops", len(plan.Members))
	}
}

func itoa3(i int) string {
	return string([]byte{byte('0' + i/100), byte('0' + i/10%10), byte('0' + i%10)})
}
