package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimbridge/scimbridge/internal/directory"
)

func settingsTests() []subtest {
	return []subtest{
		{"Directory/UpdateAndSettings", testUpdateDirectory},
		{"Groups/UnknownMembers", testUnknownMembers},
	}
}

func testUpdateDirectory(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	if f.dir.Settings != (directory.Settings{}) {
		t.Errorf("a new directory has settings %+v, want the defaults", f.dir.Settings)
	}
	now := f.clock.Now()
	got, err := s.UpdateDirectory(f.ctx, f.dir.ID, now, func(d *directory.Directory) error {
		d.Name, d.Provider, d.Enabled = "Renamed", "entra_id", false
		d.Settings = directory.Settings{Strict: true, RejectUnknownMembers: true}
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateDirectory: %v", err)
	}
	read, err := s.GetDirectory(f.ctx, f.dir.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(got, read); d != "" {
		t.Errorf("UpdateDirectory result differs from what GetDirectory reads (-got +read):\n%s", d)
	}
	if read.Name != "Renamed" || read.Provider != "entra_id" || read.Enabled || !read.Settings.Strict || !read.Settings.RejectUnknownMembers {
		t.Errorf("after update: %+v", read)
	}
	if !read.UpdatedAt.Equal(now.Truncate(time.Microsecond)) {
		t.Errorf("UpdatedAt %v, want %v", read.UpdatedAt, now)
	}
	tok := mkToken("dtok_s", f.dir.ID, "scimb_dt_settings-secret", ts(1))
	if err := s.CreateToken(f.ctx, tok); err != nil {
		t.Fatal(err)
	}
	_, cd, err := s.Credential(f.ctx, tok.Hash)
	if err != nil || cd.Settings != read.Settings || cd.Enabled {
		t.Errorf("Credential's directory: %+v %v", cd, err)
	}
	_, err = s.UpdateDirectory(f.ctx, "dir_missing", now, func(*directory.Directory) error { return nil })
	wantNotFound(t, err, "UpdateDirectory of an unknown directory")
	sentinel := directory.Errorf(directory.KindInvalid, "stop")
	if _, err := s.UpdateDirectory(f.ctx, f.dir.ID, now, func(d *directory.Directory) error { d.Name = "X"; return sentinel }); err != sentinel {
		t.Errorf("fn error not returned as is: %v", err)
	}
	if again, _ := s.GetDirectory(f.ctx, f.dir.ID); again.Name != "Renamed" {
		t.Errorf("fn error did not roll back: name %q", again.Name)
	}
}

func testUnknownMembers(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	other := f.newDir()
	u := f.userNamed(f.dir.ID, "known")
	g := f.group(f.dir.ID, "Known")
	foreign := f.userNamed(other.ID, "foreign")
	got, err := s.UnknownMembers(f.ctx, f.dir.ID, []string{u.ID, "nobody", g.ID, foreign.ID, "nobody"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"nobody", foreign.ID}, got); d != "" {
		t.Errorf("UnknownMembers (-want +got):\n%s", d)
	}
	if got, err := s.UnknownMembers(f.ctx, f.dir.ID, nil); err != nil || len(got) != 0 {
		t.Errorf("UnknownMembers(nil) = %v, %v", got, err)
	}
}
