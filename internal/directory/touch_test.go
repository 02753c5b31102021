package directory_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// staleStore answers every credential read with the times as they were
// before any touch, as concurrent requests do while the first touch has
// not committed, and counts the touches.
type staleStore struct {
	directory.Store
	tok          directory.Token
	dir          directory.Directory
	tokenTouches atomic.Int64
	dirTouches   atomic.Int64
}

func (s *staleStore) Credential(ctx context.Context, hash []byte) (directory.Token, directory.Directory, error) {
	return s.tok, s.dir, nil
}

func (s *staleStore) TouchToken(ctx context.Context, id string, at time.Time) error {
	s.tokenTouches.Add(1)
	return nil
}

func (s *staleStore) TouchDirectory(ctx context.Context, id string, at time.Time) error {
	s.dirTouches.Add(1)
	return nil
}

// TestLastUsedWrittenOncePerInterval: requests that all read a stale
// "last used" time do not all write it; one per interval does.
func TestLastUsedWrittenOncePerInterval(t *testing.T) {
	svc, c := newService(t)
	ctx := context.Background()
	org, _ := svc.CreateOrganization(ctx, "Acme", "")
	d, _ := svc.CreateDirectory(ctx, org.ID, "okta", "Okta")
	tok, secret, err := svc.CreateToken(ctx, d.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	st := &staleStore{Store: svc.Store, tok: tok, dir: d}
	svc.Store = st
	for i := 0; i < 50; i++ {
		if _, err := svc.AuthenticateDirectory(ctx, d.ID, secret); err != nil {
			t.Fatal(err)
		}
	}
	if n, m := st.tokenTouches.Load(), st.dirTouches.Load(); n != 1 || m != 1 {
		t.Fatalf("50 requests within a second: token touched %d times, directory %d times; want 1 and 1", n, m)
	}
	c.t = c.t.Add(6 * time.Second) // past the directory's interval, within the token's
	svc.AuthenticateDirectory(ctx, d.ID, secret)
	if n, m := st.tokenTouches.Load(), st.dirTouches.Load(); n != 1 || m != 2 {
		t.Fatalf("after 6 s: token touched %d times, directory %d times; want 1 and 2", n, m)
	}
	c.t = c.t.Add(31 * time.Second)
	svc.AuthenticateDirectory(ctx, d.ID, secret)
	if n, m := st.tokenTouches.Load(), st.dirTouches.Load(); n != 2 || m != 3 {
		t.Fatalf("after 37 s: token touched %d times, directory %d times; want 2 and 3", n, m)
	}
}
