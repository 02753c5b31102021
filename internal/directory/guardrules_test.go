package directory

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLifecycleOf(t *testing.T) {
	on, off := UserRecord{ID: "u", Active: true}, UserRecord{ID: "u"}
	for _, c := range []struct {
		name string
		e    EventSpec
		want Lifecycle
	}{
		{"deleted", UserDeletedEvent(on), LifeDeleted},
		{"deactivated", EventSpec{Type: EventUserUpdated, Data: off, Previous: map[string]any{"active": true}}, LifeDeactivated},
		{"reactivated", EventSpec{Type: EventUserUpdated, Data: on, Previous: map[string]any{"active": false}}, LifeReactivated},
		{"renamed while inactive", EventSpec{Type: EventUserUpdated, Data: off, Previous: map[string]any{"user_name": "x"}}, LifeNone},
		{"role change", RoleChangeEvent(off, Effective{}), LifeNone},
		{"created inactive", UserCreatedEvent(off), LifeCreatedInactive},
		{"created", UserCreatedEvent(on), LifeNone},
		{"membership", EventSpec{Type: EventGroupMemberRemoved, Data: MemberRecord{}}, LifeNone},
	} {
		if got := LifecycleOf(c.e); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if !LifeDeleted.Deprovision() || !LifeDeactivated.Deprovision() || LifeReactivated.Deprovision() || LifeCreatedInactive.Deprovision() {
		t.Error("Deprovision: deactivations and deletions only")
	}
}

func TestAppRecordBefore(t *testing.T) {
	got, err := AppRecordBefore([]byte(`{"id":"u","active":false,"title":"new","groups":[]}`),
		[]byte(`{"active":true,"title":"old","raw_attributes":{"title":"old"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(got, &m)
	if d := cmp.Diff(map[string]any{"id": "u", "active": true, "title": "old", "groups": []any{}}, m); d != "" {
		t.Error(d)
	}
	same, _ := AppRecordBefore([]byte(`{"id":"u"}`), nil)
	if string(same) != `{"id":"u"}` {
		t.Errorf("without previous: %s", same)
	}
}

func TestReconcileEvents(t *testing.T) {
	eng, ops := GroupBrief{ID: "g1", Name: "Eng"}, GroupBrief{ID: "g2", Name: "Ops"}
	app := UserRecord{ID: "u", UserName: "ada", Active: true, Groups: []GroupBrief{eng}, Roles: []string{"engineer"}, Diverged: true}
	idp := UserRecord{ID: "u", UserName: "ada", Active: true, Groups: []GroupBrief{ops}, Roles: []string{"member"}}
	if !Agrees(app, idp) || Agrees(app, UserRecord{}) {
		t.Fatal("Agrees: the IdP agrees once the user is active")
	}
	specs, err := ReconcileEvents(app, idp)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range specs {
		got = append(got, s.Type+" "+s.Subject)
	}
	want := []string{EventUserUpdated + " u", EventGroupMemberRemoved + " g1", EventGroupMemberAdded + " g2"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatal(d)
	}
	if _, ok := specs[0].Previous["roles"]; !ok || len(specs[0].Previous) != 1 {
		t.Errorf("previous: %v, want only the roles (diverged is not a change)", specs[0].Previous)
	}
	none, _ := ReconcileEvents(idp, idp)
	if len(none) != 0 {
		t.Errorf("nothing differs: %v", none)
	}
}

func TestDeprovisionSettings(t *testing.T) {
	d := DefaultDeprovisionSettings()
	for active, want := range map[int]int{0: 10, 50: 10, 100: 10, 1000: 100, 50000: 5000} {
		if got := d.Threshold(active); got != want {
			t.Errorf("Threshold(%d) = %d, want %d", active, got, want)
		}
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []func(*DeprovisionSettings){
		func(s *DeprovisionSettings) { s.GuardPercent = 101 },
		func(s *DeprovisionSettings) { s.GuardMin = -1 },
		func(s *DeprovisionSettings) { s.GuardWindow = time.Second },
		func(s *DeprovisionSettings) { s.OnDelete = "archive" },
		func(s *DeprovisionSettings) { s.DeleteAfterDays = 4000 },
	} {
		s := DefaultDeprovisionSettings()
		bad(&s)
		if KindOf(s.Validate()) != KindInvalid {
			t.Errorf("%+v validates", s)
		}
	}
	if DeleteAsDeactivation(UserRecord{ID: "u", Active: true}).Data.(UserRecord).Active {
		t.Error("DeleteAsDeactivation keeps the user active")
	}
}
