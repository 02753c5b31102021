package config

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of a scimbridge process.
type Config struct {
	DataDir  string // where the SQLite database (and generated keys) live
	Database string // postgres:// URL; empty: SQLite in DataDir
	// DatabaseMaxConns caps the PostgreSQL connections this process opens
	// (its share of the server's max_connections; docs/operations.md,
	// "Running several replicas"). SQLite ignores it.
	DatabaseMaxConns int
	Addr             string // listen address
	PublicURL        string // base URL IdPs and browsers reach us at
	// PublicURLDefaulted: --public-url was not set, and Finish made
	// PublicURL http://<addr>, which only this host can reach.
	PublicURLDefaulted bool
	LogLevel           string // debug, info, warn, error
	LogFormat          string // text or json
	APIKey             string // bootstrap management API key (optional)
	DebugAddr          string // optional listen address for Go's pprof handlers

	// RequestLog turns the SCIM request log on; entries older than
	// RequestLogRetention are pruned. Both are set by Finish from the
	// --request-log and --request-log-retention settings.
	RequestLog          bool
	RequestLogRetention time.Duration
	// RequestLogBudget bounds each directory's request log in bytes (oldest
	// entries pruned first). RequestLogRefusedPerMinute and
	// RequestLogReadsPerMinute are how many refused requests and
	// successful reads per directory and minute are logged one by one (the
	// rest are counted in a summary entry); zero values take the request
	// log's defaults, and negative reads log every read (the flag's 0).
	RequestLogBudget           int64
	RequestLogRefusedPerMinute int
	RequestLogReadsPerMinute   int
	// AuthFailureRate (per second) and AuthFailureBurst limit SCIM
	// requests whose authentication fails, per source address and per
	// directory; beyond them the answer is 429. Zero values take the SCIM
	// surface's defaults; a negative rate is no limit (the flag's 0).
	AuthFailureRate  float64
	AuthFailureBurst int

	// SecretKeyFile holds the AES-256 key that seals webhook signing
	// secrets; default <data-dir>/secret.key, generated on first start.
	SecretKeyFile string
	// EventRetention is how long events (and finished webhook deliveries)
	// are kept; undelivered events are kept regardless.
	EventRetention time.Duration
	// WebhookDisableAfter disables a webhook endpoint whose attempts have
	// all failed for this long.
	WebhookDisableAfter time.Duration

	ShutdownTimeout time.Duration

	// Limits (docs/operations.md, "Limits: resource sizes, response pages
	// and concurrency"). MaxValueBytes bounds each string value of a user
	// or group, MaxResourceBytes a whole document (group members not
	// counted); ListPageBytes is the byte budget of one list page;
	// MaxInFlight caps the SCIM and management API requests in flight,
	// a request beyond it waiting at most InFlightWait; WriteTimeout bounds
	// the time to send a response.
	MaxValueBytes    int
	MaxResourceBytes int
	ListPageBytes    int
	MaxInFlight      int
	InFlightWait     time.Duration
	WriteTimeout     time.Duration
	// SCIMCacheBytes bounds the SCIM surface's cache of rendered users
	// and groups (SQLite only; docs/operations.md, "Memory"): 0 takes
	// its default, negative means none (--scim-cache-size 0).
	SCIMCacheBytes int

	// Admin Portal (docs/portal.md). PortalFrameAncestors are the origins
	// allowed to embed the portal in an iframe (none: it cannot be framed).
	PortalFrameAncestors []string
	PortalName           string // product name shown in the portal
	PortalLogoURL        string // optional logo image URL
	PortalAccent         string // accent colour, #rrggbb
	PortalSessionIdle    time.Duration
	PortalSessionMax     time.Duration

	requestLog, requestLogRetention     string
	requestLogBudget                    string
	requestLogRefused, requestLogReads  string
	authFailureRate, authFailureBurst   string
	eventRetention, webhookDisableAfter string
	portalFrameAncestors                string
	portalSessionIdle                   string
	portalSessionMax                    string
	apiKeyFileErr                       error
	maxValueBytes, maxResourceBytes     string
	scimCacheSize                       string
	listPageBytes, maxInFlight          string
	inFlightWait, writeTimeout          string
	databaseMaxConns                    string
}

// DatabaseDSN is what sqlstore.Open takes: the PostgreSQL URL, or the
// SQLite file in the data directory.
func (c Config) DatabaseDSN() string {
	if c.Database != "" {
		return c.Database
	}
	return filepath.Join(c.DataDir, "scimbridge.db")
}

// setting binds one flag to its environment variable.
type setting struct {
	flag, env, def, usage string
	dst                   *string
}

func (c *Config) settings() []setting {
	return []setting{
		{"data-dir", "SCIMBRIDGE_DATA_DIR", "./scimbridge-data", "directory for the embedded SQLite database", &c.DataDir},
		{"database", "SCIMBRIDGE_DATABASE", "", "PostgreSQL URL (postgres://…); empty uses SQLite in the data directory", &c.Database},
		{"database-max-conns", "SCIMBRIDGE_DATABASE_MAX_CONNS", "20", "PostgreSQL connections this process may open at most (requests beyond wait for one); keep replicas × this below the server's max_connections", &c.databaseMaxConns},
		{"addr", "SCIMBRIDGE_ADDR", "127.0.0.1:8080", "address to listen on", &c.Addr},
		{"public-url", "SCIMBRIDGE_PUBLIC_URL", "", "public base URL used in endpoint URLs (default http://<addr>)", &c.PublicURL},
		{"log-level", "SCIMBRIDGE_LOG_LEVEL", "info", "log level: debug, info, warn or error", &c.LogLevel},
		{"log-format", "SCIMBRIDGE_LOG_FORMAT", "text", "log format: text or json", &c.LogFormat},
		{"debug-addr", "SCIMBRIDGE_DEBUG_ADDR", "", "if set, serve Go's pprof profiles and /metrics without authentication on this address (keep it private)", &c.DebugAddr},
		{"request-log", "SCIMBRIDGE_REQUEST_LOG", "true", "record every SCIM request (redacted) in the request log: true or false", &c.requestLog},
		{"request-log-retention", "SCIMBRIDGE_REQUEST_LOG_RETENTION", "720h", "how long request log entries are kept, e.g. 720h", &c.requestLogRetention},
		{"request-log-budget", "SCIMBRIDGE_REQUEST_LOG_BUDGET", "64MiB", "largest request log per directory (oldest entries pruned first), e.g. 64MiB", &c.requestLogBudget},
		{"request-log-refused-per-minute", "SCIMBRIDGE_REQUEST_LOG_REFUSED_PER_MINUTE", "10", "refused SCIM requests (401, 403, 429) per directory and minute logged one by one; the rest are counted in one summary entry", &c.requestLogRefused},
		{"request-log-reads-per-minute", "SCIMBRIDGE_REQUEST_LOG_READS_PER_MINUTE", "1200", "successful SCIM reads per directory and minute logged one by one (the rest are counted in one summary entry); 0 logs every read", &c.requestLogReads},
		{"auth-failure-rate", "SCIMBRIDGE_AUTH_FAILURE_RATE", "10", "SCIM requests with a missing or wrong token allowed per second, per source address and per directory, before 429; 0: no limit", &c.authFailureRate},
		{"auth-failure-burst", "SCIMBRIDGE_AUTH_FAILURE_BURST", "20", "burst allowed above --auth-failure-rate", &c.authFailureBurst},
		{"secret-key-file", "SCIMBRIDGE_SECRET_KEY_FILE", "", "file with the key that encrypts webhook secrets (default <data-dir>/secret.key, created if absent; share it between processes)", &c.SecretKeyFile},
		{"event-retention", "SCIMBRIDGE_EVENT_RETENTION", "720h", "how long events are kept in the feed, e.g. 720h (undelivered events are kept regardless)", &c.eventRetention},
		{"webhook-disable-after", "SCIMBRIDGE_WEBHOOK_DISABLE_AFTER", "120h", "disable a webhook endpoint whose deliveries have all failed for this long, e.g. 120h", &c.webhookDisableAfter},
		{"portal-frame-ancestors", "SCIMBRIDGE_PORTAL_FRAME_ANCESTORS", "", "origins allowed to embed the Admin Portal in an iframe, space- or comma-separated (e.g. https://app.example.com)", &c.portalFrameAncestors},
		{"portal-name", "SCIMBRIDGE_PORTAL_NAME", "scimbridge", "product name shown in the Admin Portal", &c.PortalName},
		{"portal-logo-url", "SCIMBRIDGE_PORTAL_LOGO_URL", "", "logo image URL shown in the Admin Portal header (https:// or a path)", &c.PortalLogoURL},
		{"portal-accent", "SCIMBRIDGE_PORTAL_ACCENT", "#4f46e5", "Admin Portal accent colour, #rrggbb", &c.PortalAccent},
		{"portal-session-idle", "SCIMBRIDGE_PORTAL_SESSION_IDLE", "30m", "an Admin Portal session unused this long ends", &c.portalSessionIdle},
		{"portal-session-max", "SCIMBRIDGE_PORTAL_SESSION_MAX", "12h", "an Admin Portal session ends this long after it started", &c.portalSessionMax},
		{"max-value-bytes", "SCIMBRIDGE_MAX_VALUE_BYTES", "64KiB", "largest string value of a user or group attribute (bytes, or KiB/MiB)", &c.maxValueBytes},
		{"max-resource-bytes", "SCIMBRIDGE_MAX_RESOURCE_BYTES", "1MiB", "largest user or group document as JSON, group members not counted (bytes, or KiB/MiB)", &c.maxResourceBytes},
		{"list-page-bytes", "SCIMBRIDGE_LIST_PAGE_BYTES", "8MiB", "byte budget of one list page (SCIM lists, API users, groups and events); a page ends early at it", &c.listPageBytes},
		{"scim-cache-size", "SCIMBRIDGE_SCIM_CACHE_SIZE", "32MiB", "memory for rendered SCIM users and groups served again while unchanged (SQLite only); 0: no cache", &c.scimCacheSize},
		{"max-in-flight", "SCIMBRIDGE_MAX_IN_FLIGHT", "64", "SCIM and management API requests served at once; more wait --in-flight-wait, then get 503", &c.maxInFlight},
		{"in-flight-wait", "SCIMBRIDGE_IN_FLIGHT_WAIT", "1s", "how long a request beyond --max-in-flight waits for a slot before 503", &c.inFlightWait},
		{"write-timeout", "SCIMBRIDGE_WRITE_TIMEOUT", "60s", "time to send a response; a client that does not read is cut off after it", &c.writeTimeout},
	}
}

// Register binds the flags of the server configuration to fs. Values not
// given as flags come from the environment (getenv), then defaults.
// SCIMBRIDGE_API_KEY (or SCIMBRIDGE_API_KEY_FILE) has no flag: secrets do not
// belong on command lines.
func (c *Config) Register(fs *flag.FlagSet, getenv func(string) string) {
	for _, s := range c.settings() {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		fs.StringVar(s.dst, s.flag, def, s.usage+" (env "+s.env+")")
	}
	c.ShutdownTimeout = 30 * time.Second
	c.APIKey = getenv("SCIMBRIDGE_API_KEY")
	if f := getenv("SCIMBRIDGE_API_KEY_FILE"); f != "" && c.APIKey == "" {
		if b, err := os.ReadFile(f); err == nil {
			c.APIKey = strings.TrimSpace(string(b))
		} else {
			c.apiKeyFileErr = fmt.Errorf("SCIMBRIDGE_API_KEY_FILE: %w", err)
		}
	}
}

// Finish fills derived defaults and validates; it reports every problem at
// once.
func (c *Config) Finish() error {
	if c.PublicURL == "" {
		c.PublicURL, c.PublicURLDefaulted = "http://"+c.Addr, true
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	var p problems
	if c.apiKeyFileErr != nil {
		p = append(p, c.apiKeyFileErr)
	}
	c.finishServer(&p)
	c.finishRequestLog(&p)
	c.finishEvents(&p)
	c.finishPortal(&p)
	p = append(p, c.finishLimits()...)
	return errors.Join(p...)
}

// problems collects what Finish finds wrong.
type problems []error

// check records the problem if bad.
func (p *problems) check(bad bool, format string, args ...any) {
	if bad {
		*p = append(*p, fmt.Errorf(format, args...))
	}
}

// finishServer validates the database, addresses, logging and API key.
func (c *Config) finishServer(p *problems) {
	check := p.check
	check(c.Database == "" && c.DataDir == "", "--data-dir (SCIMBRIDGE_DATA_DIR) must not be empty when no --database is set")
	if c.Database != "" {
		u, err := url.Parse(c.Database)
		check(err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql"),
			"--database (SCIMBRIDGE_DATABASE) must be a postgres:// URL, got %q", redactURL(c.Database))
	}
	if c.databaseMaxConns != "" {
		n, err := strconv.Atoi(c.databaseMaxConns)
		check(err != nil || n < 2 || n > 10000, "--database-max-conns (SCIMBRIDGE_DATABASE_MAX_CONNS) must be an integer from 2 to 10000, got %q", c.databaseMaxConns)
		c.DatabaseMaxConns = n
	}
	_, _, err := net.SplitHostPort(c.Addr)
	check(err != nil, "--addr (SCIMBRIDGE_ADDR) must be host:port, got %q", c.Addr)
	if c.DebugAddr != "" {
		_, _, err := net.SplitHostPort(c.DebugAddr)
		check(err != nil, "--debug-addr (SCIMBRIDGE_DEBUG_ADDR) must be host:port, got %q", c.DebugAddr)
	}
	u, err := url.Parse(c.PublicURL)
	check(err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "",
		"--public-url (SCIMBRIDGE_PUBLIC_URL) must be an http:// or https:// URL, got %q", c.PublicURL)
	check(!oneOf(c.LogLevel, "debug", "info", "warn", "error"), "--log-level (SCIMBRIDGE_LOG_LEVEL) must be debug, info, warn or error, got %q", c.LogLevel)
	check(!oneOf(c.LogFormat, "text", "json"), "--log-format (SCIMBRIDGE_LOG_FORMAT) must be text or json, got %q", c.LogFormat)
	check(c.APIKey != "" && len(c.APIKey) < 32, "SCIMBRIDGE_API_KEY must be at least 32 characters")
}

// finishRequestLog validates the request log's and the failed-auth
// limiter's settings.
func (c *Config) finishRequestLog(p *problems) {
	check := p.check
	if c.requestLog != "" {
		on, err := strconv.ParseBool(c.requestLog)
		check(err != nil, "--request-log (SCIMBRIDGE_REQUEST_LOG) must be true or false, got %q", c.requestLog)
		c.RequestLog = on
	}
	if c.requestLogRetention != "" {
		d, err := time.ParseDuration(c.requestLogRetention)
		check(err != nil || d < time.Minute, "--request-log-retention (SCIMBRIDGE_REQUEST_LOG_RETENTION) must be a duration of at least 1m such as 720h, got %q", c.requestLogRetention)
		c.RequestLogRetention = d
	}
	if c.requestLogBudget != "" {
		n, err := ParseBytes(c.requestLogBudget)
		check(err != nil || n < 1<<20, "--request-log-budget (SCIMBRIDGE_REQUEST_LOG_BUDGET) must be a size of at least 1MiB such as 64MiB, got %q", c.requestLogBudget)
		c.RequestLogBudget = int64(n)
	}
	for _, v := range []struct {
		name, val string
		lo        int
		dst       *int
	}{
		{"--request-log-refused-per-minute (SCIMBRIDGE_REQUEST_LOG_REFUSED_PER_MINUTE)", c.requestLogRefused, 1, &c.RequestLogRefusedPerMinute},
		{"--request-log-reads-per-minute (SCIMBRIDGE_REQUEST_LOG_READS_PER_MINUTE)", c.requestLogReads, 0, &c.RequestLogReadsPerMinute},
		{"--auth-failure-burst (SCIMBRIDGE_AUTH_FAILURE_BURST)", c.authFailureBurst, 1, &c.AuthFailureBurst},
	} {
		if v.val == "" {
			continue
		}
		n, err := strconv.Atoi(v.val)
		check(err != nil || n < v.lo, "%s must be an integer of at least %d, got %q", v.name, v.lo, v.val)
		*v.dst = n
	}
	if c.requestLogReads == "0" {
		c.RequestLogReadsPerMinute = -1
	}
	if c.authFailureRate != "" {
		r, err := strconv.ParseFloat(c.authFailureRate, 64)
		check(err != nil || r < 0 || math.IsInf(r, 0) || math.IsNaN(r), "--auth-failure-rate (SCIMBRIDGE_AUTH_FAILURE_RATE) must be a number of at least 0 (per second; 0: no limit), got %q", c.authFailureRate)
		c.AuthFailureRate = r
		if r == 0 {
			c.AuthFailureRate = -1
		}
	}
}

// finishEvents fills the secret key's path and validates the event feed's
// and webhooks' settings.
func (c *Config) finishEvents(p *problems) {
	check := p.check
	if c.SecretKeyFile == "" {
		c.SecretKeyFile = filepath.Join(c.DataDir, "secret.key")
	}
	if c.eventRetention != "" {
		d, err := time.ParseDuration(c.eventRetention)
		check(err != nil || d < time.Hour, "--event-retention (SCIMBRIDGE_EVENT_RETENTION) must be a duration of at least 1h such as 720h, got %q", c.eventRetention)
		c.EventRetention = d
	}
	if c.webhookDisableAfter != "" {
		d, err := time.ParseDuration(c.webhookDisableAfter)
		check(err != nil || d < time.Hour, "--webhook-disable-after (SCIMBRIDGE_WEBHOOK_DISABLE_AFTER) must be a duration of at least 1h such as 120h, got %q", c.webhookDisableAfter)
		c.WebhookDisableAfter = d
	}
}

// finishPortal validates the Admin Portal's settings.
func (c *Config) finishPortal(p *problems) {
	check := p.check
	c.PortalFrameAncestors = nil
	for _, o := range strings.FieldsFunc(c.portalFrameAncestors, func(r rune) bool { return r == ',' || r == ' ' }) {
		u, err := url.Parse(o)
		ok := err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && (u.Path == "" || u.Path == "/") && u.RawQuery == "" && !strings.ContainsAny(o, ";'\"")
		check(!ok, "--portal-frame-ancestors (SCIMBRIDGE_PORTAL_FRAME_ANCESTORS) must list origins such as https://app.example.com, got %q", o)
		if ok {
			c.PortalFrameAncestors = append(c.PortalFrameAncestors, u.Scheme+"://"+u.Host)
		}
	}
	check(strings.TrimSpace(c.PortalName) == "" || len(c.PortalName) > 60, "--portal-name (SCIMBRIDGE_PORTAL_NAME) must be 1 to 60 characters")
	if c.PortalLogoURL != "" {
		u, err := url.Parse(c.PortalLogoURL)
		check(err != nil || !(u.Scheme == "https" || u.Scheme == "http" || (u.Scheme == "" && strings.HasPrefix(u.Path, "/"))),
			"--portal-logo-url (SCIMBRIDGE_PORTAL_LOGO_URL) must be an http(s) URL or an absolute path, got %q", c.PortalLogoURL)
	}
	check(!isHexColour(c.PortalAccent), "--portal-accent (SCIMBRIDGE_PORTAL_ACCENT) must be a colour such as #4f46e5, got %q", c.PortalAccent)
	for _, d := range []struct {
		name, val string
		dst       *time.Duration
	}{
		{"--portal-session-idle (SCIMBRIDGE_PORTAL_SESSION_IDLE)", c.portalSessionIdle, &c.PortalSessionIdle},
		{"--portal-session-max (SCIMBRIDGE_PORTAL_SESSION_MAX)", c.portalSessionMax, &c.PortalSessionMax},
	} {
		if d.val == "" {
			continue
		}
		v, err := time.ParseDuration(d.val)
		check(err != nil || v < time.Minute, "%s must be a duration of at least 1m such as 30m, got %q", d.name, d.val)
		*d.dst = v
	}
}

// finishLimits parses and checks the limit settings.
func (c *Config) finishLimits() []error {
	var errs []error
	bytesSetting := func(name, val string, lo, hi int, dst *int) {
		if val == "" {
			return
		}
		n, err := ParseBytes(val)
		if err != nil || n < lo || n > hi {
			errs = append(errs, fmt.Errorf("%s must be a size from %s to %s such as 64KiB or 1MiB, got %q", name, formatBytes(lo), formatBytes(hi), val))
			return
		}
		*dst = n
	}
	bytesSetting("--max-value-bytes (SCIMBRIDGE_MAX_VALUE_BYTES)", c.maxValueBytes, 1<<10, 256<<20, &c.MaxValueBytes)
	bytesSetting("--max-resource-bytes (SCIMBRIDGE_MAX_RESOURCE_BYTES)", c.maxResourceBytes, 4<<10, 256<<20, &c.MaxResourceBytes)
	bytesSetting("--list-page-bytes (SCIMBRIDGE_LIST_PAGE_BYTES)", c.listPageBytes, 64<<10, 1<<30, &c.ListPageBytes)
	bytesSetting("--scim-cache-size (SCIMBRIDGE_SCIM_CACHE_SIZE)", c.scimCacheSize, 0, 16<<30, &c.SCIMCacheBytes)
	if c.scimCacheSize != "" && c.SCIMCacheBytes == 0 {
		c.SCIMCacheBytes = -1 // 0 turns it off; the field's zero is the default
	}
	if c.MaxValueBytes > 0 && c.MaxResourceBytes > 0 && c.MaxValueBytes > c.MaxResourceBytes {
		errs = append(errs, fmt.Errorf("--max-value-bytes (%d) must not be larger than --max-resource-bytes (%d)", c.MaxValueBytes, c.MaxResourceBytes))
	}
	if c.maxInFlight != "" {
		n, err := strconv.Atoi(c.maxInFlight)
		if err != nil || n < 1 || n > 100000 {
			errs = append(errs, fmt.Errorf("--max-in-flight (SCIMBRIDGE_MAX_IN_FLIGHT) must be an integer from 1 to 100000, got %q", c.maxInFlight))
		}
		c.MaxInFlight = n
	}
	for _, d := range []struct {
		name, val string
		lo, hi    time.Duration
		dst       *time.Duration
	}{
		{"--in-flight-wait (SCIMBRIDGE_IN_FLIGHT_WAIT)", c.inFlightWait, 0, time.Minute, &c.InFlightWait},
		{"--write-timeout (SCIMBRIDGE_WRITE_TIMEOUT)", c.writeTimeout, time.Second, time.Hour, &c.WriteTimeout},
	} {
		if d.val == "" {
			continue
		}
		v, err := time.ParseDuration(d.val)
		if err != nil || v < d.lo || v > d.hi {
			errs = append(errs, fmt.Errorf("%s must be a duration from %s to %s, got %q", d.name, d.lo, d.hi, d.val))
		}
		*d.dst = v
	}
	return errs
}

// ParseBytes reads a size: a number of bytes, or a number followed by
// KiB, MiB or GiB (also KB, MB, GB, K, M, G, meaning the same powers of
// 1024).
func ParseBytes(s string) (int, error) {
	s = strings.TrimSpace(s)
	num := strings.TrimRight(s, "KMGiBkmgb")
	unit := strings.ToLower(strings.TrimSpace(s[len(num):]))
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	shift := map[string]int{"": 0, "b": 0, "k": 10, "kb": 10, "kib": 10, "m": 20, "mb": 20, "mib": 20, "g": 30, "gb": 30, "gib": 30}
	sh, ok := shift[unit]
	if !ok || n > (1<<40)>>sh {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return n << sh, nil
}

func formatBytes(n int) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.Itoa(n>>30) + "GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n)
}

// isHexColour reports whether s is #rgb or #rrggbb.
func isHexColour(s string) bool {
	if len(s) != 4 && len(s) != 7 || s[0] != '#' {
		return false
	}
	for _, c := range s[1:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

// redactURL hides a password in a database URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
