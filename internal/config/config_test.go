package config

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	var c Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Register(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, c.Finish()
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./scimbridge-data" || c.PublicURL != "http://127.0.0.1:8080" {
		t.Errorf("defaults: %+v", c)
	}
	if got, want := c.DatabaseDSN(), "scimbridge-data/scimbridge.db"; got != want {
		t.Errorf("DatabaseDSN() = %q, want %q", got, want)
	}
}

func TestEnvAndFlags(t *testing.T) {
	c, err := load(t, []string{"--addr", "0.0.0.0:9000"}, map[string]string{
		"SCIMBRIDGE_ADDR":       "127.0.0.1:1",
		"SCIMBRIDGE_PUBLIC_URL": "https://scim.example.com/",
		"SCIMBRIDGE_DATABASE":   "postgres://u:secret@db/scim",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" {
		t.Errorf("flag should beat env: addr %q", c.Addr)
	}
	if c.PublicURL != "https://scim.example.com" {
		t.Errorf("public url %q", c.PublicURL)
	}
	if c.DatabaseDSN() != "postgres://u:secret@db/scim" {
		t.Errorf("dsn %q", c.DatabaseDSN())
	}
}

func TestEveryProblemReportedAtOnce(t *testing.T) {
	_, err := load(t, []string{"--addr", "nope", "--log-level", "loud", "--log-format", "xml", "--database", "mysql://u:hunter2@x/db", "--public-url", "ftp://x"}, nil)
	if err == nil {
		t.Fatal("want error")
	}
	msg := err.Error()
	for _, want := range []string{"--addr", "--log-level", "--log-format", "--database", "--public-url"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not mention %s:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("error leaks the database password:\n%s", msg)
	}
}

func TestRequestLogSettings(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.RequestLog || c.RequestLogRetention != 720*time.Hour {
		t.Errorf("defaults: RequestLog %v, retention %v; want true, 720h", c.RequestLog, c.RequestLogRetention)
	}
	c, err = load(t, []string{"--request-log-retention", "24h"}, map[string]string{"SCIMBRIDGE_REQUEST_LOG": "false"})
	if err != nil {
		t.Fatal(err)
	}
	if c.RequestLog || c.RequestLogRetention != 24*time.Hour {
		t.Errorf("got RequestLog %v, retention %v; want false, 24h", c.RequestLog, c.RequestLogRetention)
	}
	_, err = load(t, []string{"--request-log", "maybe", "--request-log-retention", "forever"}, nil)
	if err == nil {
		t.Fatal("want errors for bad request log settings")
	}
	for _, want := range []string{"--request-log (SCIMBRIDGE_REQUEST_LOG)", "--request-log-retention (SCIMBRIDGE_REQUEST_LOG_RETENTION)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestWebhookSettings(t *testing.T) {
	c, err := load(t, []string{"--data-dir", "/var/lib/sb"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.SecretKeyFile != "/var/lib/sb/secret.key" || c.EventRetention != 720*time.Hour || c.WebhookDisableAfter != 120*time.Hour {
		t.Errorf("webhook defaults: key %q, retention %v, disable after %v", c.SecretKeyFile, c.EventRetention, c.WebhookDisableAfter)
	}
	c, err = load(t, nil, map[string]string{"SCIMBRIDGE_SECRET_KEY_FILE": "/run/secrets/key", "SCIMBRIDGE_EVENT_RETENTION": "48h", "SCIMBRIDGE_WEBHOOK_DISABLE_AFTER": "24h"})
	if err != nil {
		t.Fatal(err)
	}
	if c.SecretKeyFile != "/run/secrets/key" || c.EventRetention != 48*time.Hour || c.WebhookDisableAfter != 24*time.Hour {
		t.Errorf("from env: %+v", c)
	}
	_, err = load(t, []string{"--event-retention", "5m", "--webhook-disable-after", "soon"}, nil)
	if err == nil || !strings.Contains(err.Error(), "--event-retention") || !strings.Contains(err.Error(), "--webhook-disable-after") {
		t.Errorf("bad durations: %v", err)
	}
}

func TestPortalSettings(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.PortalFrameAncestors) != 0 || c.PortalName != "scimbridge" || c.PortalAccent != "#4f46e5" ||
		c.PortalSessionIdle != 30*time.Minute || c.PortalSessionMax != 12*time.Hour {
		t.Errorf("portal defaults: %+v", c)
	}
	c, err = load(t, []string{"--portal-frame-ancestors", "https://app.example.com, http://localhost:3000/", "--portal-accent", "#0A7"},
		map[string]string{"SCIMBRIDGE_PORTAL_NAME": "Acme Sync", "SCIMBRIDGE_PORTAL_SESSION_IDLE": "10m"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.PortalFrameAncestors, " ") != "https://app.example.com http://localhost:3000" || c.PortalName != "Acme Sync" ||
		c.PortalAccent != "#0A7" || c.PortalSessionIdle != 10*time.Minute {
		t.Errorf("portal settings: %+v", c)
	}
	_, err = load(t, []string{"--portal-frame-ancestors", "https://ok.example.com 'unsafe-inline' *.evil",
		"--portal-accent", "red;}", "--portal-logo-url", "javascript:x", "--portal-session-max", "1s"}, nil)
	if err == nil {
		t.Fatal("want errors for bad portal settings")
	}
	for _, want := range []string{"'unsafe-inline'", "*.evil", "--portal-accent", "--portal-logo-url", "--portal-session-max"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestLimits(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxValueBytes != 64<<10 || c.MaxResourceBytes != 1<<20 || c.ListPageBytes != 8<<20 ||
		c.MaxInFlight != 64 || c.InFlightWait != time.Second || c.WriteTimeout != time.Minute {
		t.Errorf("defaults: value %d, resource %d, page %d, in flight %d, wait %s, write %s",
			c.MaxValueBytes, c.MaxResourceBytes, c.ListPageBytes, c.MaxInFlight, c.InFlightWait, c.WriteTimeout)
	}
	c, err = load(t, []string{"--max-value-bytes", "128KiB", "--list-page-bytes", "1048576"},
		map[string]string{"SCIMBRIDGE_MAX_RESOURCE_BYTES": "2 MiB", "SCIMBRIDGE_MAX_IN_FLIGHT": "8", "SCIMBRIDGE_IN_FLIGHT_WAIT": "0s"})
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxValueBytes != 128<<10 || c.MaxResourceBytes != 2<<20 || c.ListPageBytes != 1<<20 || c.MaxInFlight != 8 || c.InFlightWait != 0 {
		t.Errorf("set: %+v", c)
	}
	_, err = load(t, []string{"--max-value-bytes", "2MiB", "--max-resource-bytes", "1MiB", "--list-page-bytes", "lots", "--max-in-flight", "0", "--write-timeout", "1ms"}, nil)
	for _, want := range []string{"--max-value-bytes (2097152) must not be larger than --max-resource-bytes", "--list-page-bytes", "--max-in-flight", "--write-timeout"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to mention %q", err, want)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "512": 512, "64KiB": 64 << 10, "64k": 64 << 10, "1 MiB": 1 << 20, "8MB": 8 << 20, "1GiB": 1 << 30} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1", "1TiB", "1.5MiB", "KiB"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q): no error", in)
		}
	}
}

func TestDatabaseMaxConns(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseMaxConns != 20 {
		t.Errorf("default --database-max-conns = %d, want 20", c.DatabaseMaxConns)
	}
	c, err = load(t, []string{"--database-max-conns", "8"}, map[string]string{"SCIMBRIDGE_DATABASE_MAX_CONNS": "50"})
	if err != nil || c.DatabaseMaxConns != 8 {
		t.Errorf("flag: %d, %v; want 8", c.DatabaseMaxConns, err)
	}
	c, err = load(t, nil, map[string]string{"SCIMBRIDGE_DATABASE_MAX_CONNS": "50"})
	if err != nil || c.DatabaseMaxConns != 50 {
		t.Errorf("env: %d, %v; want 50", c.DatabaseMaxConns, err)
	}
	for _, bad := range []string{"1", "0", "-3", "many"} {
		if _, err := load(t, []string{"--database-max-conns", bad}, nil); err == nil || !strings.Contains(err.Error(), "--database-max-conns") {
			t.Errorf("--database-max-conns %s: %v, want an error naming the flag", bad, err)
		}
	}
}
