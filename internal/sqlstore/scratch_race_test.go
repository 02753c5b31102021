package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

func TestScratchDeleteVsAdd(t *testing.T) {
	for name, s := range map[string]directory.Store{"sqlite": newSQLiteStore(t), "pg": newPostgresStore(t)} {
		ctx := context.Background()
		s.CreateOrganization(ctx, directory.Organization{ID: "o"})
		s.CreateDirectory(ctx, directory.Directory{ID: "d", OrganizationID: "o", Provider: "okta"})
		s.CreateGroup(ctx, directory.Group{ID: "g", DirectoryID: "d", DisplayName: "g", Doc: schema.Resource{}}, nil)
		errs := map[string]int{}
		var mu sync.Mutex
		for round := 0; round < 200; round++ {
			id := fmt.Sprintf("u%d", round)
			s.CreateUser(ctx, directory.User{ID: id, DirectoryID: "d", UserName: id, Doc: schema.Resource{}})
			var wg sync.WaitGroup
			wg.Add(2)
			go func() {
				defer wg.Done()
				if err := s.DeleteUser(ctx, "d", id); err != nil {
					mu.Lock(); errs["delete: "+err.Error()]++; mu.Unlock()
				}
			}()
			go func() {
				defer wg.Done()
				_, _, err := s.UpdateGroup(ctx, "d", "g", time.Now(), func(*directory.Group) (bool, []directory.MemberChange, error) {
					return false, []directory.MemberChange{{Kind: directory.AddMembers, IDs: []string{id}}}, nil
				})
				if err != nil {
					mu.Lock(); errs["add: "+err.Error()[:60]]++; mu.Unlock()
				}
			}()
			wg.Wait()
		}
		t.Logf("%s: %v", name, errs)
	}
}

func TestScratchMutualNesting(t *testing.T) {
	for name, s := range map[string]directory.Store{"sqlite": newSQLiteStore(t), "pg": newPostgresStore(t)} {
		ctx := context.Background()
		s.CreateOrganization(ctx, directory.Organization{ID: "o"})
		s.CreateDirectory(ctx, directory.Directory{ID: "d", OrganizationID: "o", Provider: "okta"})
		s.CreateGroup(ctx, directory.Group{ID: "a", DirectoryID: "d", DisplayName: "a", Doc: schema.Resource{}}, nil)
		s.CreateGroup(ctx, directory.Group{ID: "b", DirectoryID: "d", DisplayName: "b", Doc: schema.Resource{}}, nil)
		s.CreateUser(ctx, directory.User{ID: "u", DirectoryID: "d", UserName: "u", Doc: schema.Resource{}})
		errs := map[string]int{}
		var mu sync.Mutex
		for round := 0; round < 100; round++ {
			var wg sync.WaitGroup
			for _, p := range [][2]string{{"a", "b"}, {"b", "a"}} {
				wg.Add(1)
				go func(g, m string) {
					defer wg.Done()
					_, _, err := s.UpdateGroup(ctx, "d", g, time.Now(), func(*directory.Group) (bool, []directory.MemberChange, error) {
						return false, []directory.MemberChange{{Kind: directory.ReplaceMembers, IDs: []string{m, "u"}[:1+round%2]}}, nil
					})
					if err != nil {
						mu.Lock(); errs[err.Error()]++; mu.Unlock()
					}
				}(p[0], p[1])
			}
			// and a user update racing with member adds of that user
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.UpdateUser(ctx, "d", "u", time.Now(), func(u *directory.User) (bool, error) { time.Sleep(time.Millisecond); return true, nil })
				if err != nil {
					mu.Lock(); errs[err.Error()]++; mu.Unlock()
				}
			}()
			wg.Wait()
		}
		t.Logf("%s: %v", name, errs)
	}
}
