package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/client"
	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
)

// backupServer serves the data directory dir on a real listener (with the
// webhook worker) until the returned stop is called.
func backupServer(t *testing.T, dir, database string) (a *app.App, base string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base = "http://" + ln.Addr().String()
	cfg := config.Config{DataDir: dir, Database: database, Addr: ln.Addr().String(), PublicURL: base, APIKey: strings.Repeat("k", 40),
		LogLevel: "warn", LogFormat: "text", ShutdownTimeout: 10 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	a, err = app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
			a.Close()
		})
	}
	t.Cleanup(stop)
	return a, base, stop
}

// TestBackupUnderLoadAndRestore: `scimbridge backup` taken while 8 clients
// create users over SCIM holds every create acknowledged before it started;
// `scimbridge restore` into a fresh data directory (refusing one in use)
// serves it: the feed is gapless and webhook deliveries resume.
func TestBackupUnderLoadAndRestore(t *testing.T) {
	dirA := filepath.Join(t.TempDir(), "a")
	dirB := filepath.Join(t.TempDir(), "b")
	snap := filepath.Join(t.TempDir(), "snap.db")
	var out, errb bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	ctx := context.Background()
	backupScenario(t, dirA, dirB, "", "", func() {
		if code := Run(ctx, []string{"backup", "--to", snap, "--data-dir", dirA}, env); code != 0 {
			t.Fatalf("backup: exit %d: %s", code, errb.String())
		}
	}, func() {
		if !strings.Contains(out.String(), "secret.key") {
			t.Errorf("backup output does not mention secret.key: %s", out.String())
		}
		// Restoring over the database in use is refused.
		errb.Reset()
		if code := Run(ctx, []string{"restore", "--from", snap, "--data-dir", dirA}, env); code != 1 || !strings.Contains(errb.String(), "exists") {
			t.Errorf("restore over an existing database: exit %d: %s", code, errb.String())
		}
		errb.Reset()
		if code := Run(ctx, []string{"restore", "--from", snap, "--data-dir", dirB}, env); code != 0 {
			t.Fatalf("restore: exit %d: %s", code, errb.String())
		}
	}, func() map[string]bool {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dirB, "scimbridge.db")+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		return userNames(t, db)
	})
}

// userNames returns the userNames stored in db.
func userNames(t *testing.T, db *sql.DB) map[string]bool {
	have := map[string]bool{}
	rows, err := db.Query(`SELECT user_name FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		rows.Scan(&n)
		have[n] = true
	}
	return have
}

// backupScenario serves dirA (database dbA), creates users with 8 writers,
// runs backup while they write, stops, runs restore, reads the restored
// users with restored, and serves dirB (database dbB): every write
// acknowledged before the backup started is there, the feed is gapless and
// webhook deliveries resume.
func backupScenario(t *testing.T, dirA, dirB, dbA, dbB string, backup, restore func(), restored func() map[string]bool) {
	ctx := context.Background()
	a, base, stopA := backupServer(t, dirA, dbA)

	var rmu sync.Mutex
	received := map[string]bool{} // event ids delivered
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct{ ID, Type string }
		json.NewDecoder(r.Body).Decode(&ev)
		rmu.Lock()
		received[ev.ID] = true
		rmu.Unlock()
	}))
	defer rcv.Close()
	c := client.New(base, a.Config.APIKey)
	if _, err := c.CreateWebhookEndpoint(ctx, client.WebhookEndpointCreate{URL: rcv.URL, EventTypes: []string{"organization.directory.user_created"}}); err != nil {
		t.Fatal(err)
	}
	org, err := a.Service.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.Service.CreateDirectory(ctx, org.ID, "okta", "Okta")
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := a.Service.CreateToken(ctx, d.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	scimPath := "/scim/v2/" + d.ID + "/Users"
	create := func(base, name string) error {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q}`, name)
		req, _ := http.NewRequest("POST", base+scimPath, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 201 {
			return fmt.Errorf("create %s: %d", name, resp.StatusCode)
		}
		return nil
	}

	// 8 writers until told to stop; acked collects acknowledged names.
	var amu sync.Mutex
	var acked []string
	stopWriters := make(chan struct{})
	var wg sync.WaitGroup
	firstAcks := make(chan struct{}, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stopWriters:
					return
				default:
				}
				name := fmt.Sprintf("w%d-%d@example.com", w, i)
				if err := create(base, name); err != nil {
					t.Error(err)
					return
				}
				amu.Lock()
				acked = append(acked, name)
				amu.Unlock()
				if i == 20 {
					firstAcks <- struct{}{}
				}
			}
		})
	}
	for range 8 {
		<-firstAcks // every writer is running
	}
	amu.Lock()
	before := append([]string(nil), acked...)
	amu.Unlock()
	backup()
	close(stopWriters)
	wg.Wait()
	stopA()
	restore()
	key, err := os.ReadFile(filepath.Join(dirA, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dirB, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirB, "secret.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}

	// Every write acknowledged before the backup started is in it.
	have := restored()
	missing := 0
	for _, n := range before {
		if !have[n] {
			missing++
		}
	}
	if missing > 0 || len(before) < 8*21 {
		t.Fatalf("%d of %d acknowledged writes missing from the snapshot", missing, len(before))
	}
	t.Logf("acknowledged before backup: %d; in snapshot: %d; acknowledged in all: %d", len(before), len(have), len(acked))

	// The restored server serves a gapless feed and delivers webhooks.
	b, baseB, _ := backupServer(t, dirB, dbB)
	cb := client.New(baseB, b.Config.APIKey)
	var seqs []int64
	var ids []string
	after := ""
	for {
		evs, next, err := cb.ListEvents(ctx, client.EventsOptions{After: after, Limit: 100, DirectoryID: d.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			seqs = append(seqs, e.Sequence)
			if e.Type == "organization.directory.user_created" {
				ids = append(ids, e.ID)
			}
		}
		after = next
	}
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("feed has a gap: event %d has sequence %d", i, s)
		}
	}
	if len(ids) != len(have) {
		t.Errorf("%d user_created events for %d users", len(ids), len(have))
	}
	if err := create(baseB, "after-restore@example.com"); err != nil {
		t.Fatal(err)
	}
	// Every user_created event of the snapshot, and the new one, arrives.
	deadline := time.Now().Add(30 * time.Second)
	for {
		rmu.Lock()
		n := 0
		for _, id := range ids {
			if received[id] {
				n++
			}
		}
		total := len(received)
		rmu.Unlock()
		if n == len(ids) && total > len(ids) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhooks did not resume: %d of %d snapshot events delivered, %d in all", n, len(ids), total)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
