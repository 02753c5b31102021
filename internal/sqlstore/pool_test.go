package sqlstore

import (
	"context"
	"testing"
)

// TestPostgresMaxConns: Options.MaxConns (--database-max-conns) caps the
// PostgreSQL pool; zero keeps DefaultMaxConns.
func TestPostgresMaxConns(t *testing.T) {
	dsn := newPostgresSchema(t)
	for _, c := range []struct{ opt, want int }{{0, DefaultMaxConns}, {5, 5}} {
		s, err := OpenWith(context.Background(), dsn, Options{MaxConns: c.opt})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.read.Stats().MaxOpenConnections; got != c.want {
			t.Errorf("MaxConns %d: pool allows %d connections, want %d", c.opt, got, c.want)
		}
		s.Close()
	}
}
