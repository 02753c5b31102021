package simulate

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Config is one simulation run.
type Config struct {
	IdP         string        // one of IdPs()
	Endpoint    string        // SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2/dir_…
	Token       string        // the directory's bearer token
	Users       int           // users to provision
	Groups      int           // groups to push
	Members     int           // members of the largest group (≤ Users)
	Concurrency int           // concurrent workers
	Timeout     time.Duration // per request
	HTTPClient  *http.Client  // nil: a new client; its CheckRedirect is always replaced
	Rand        io.Reader     // nil: crypto/rand; names a run so reruns do not collide
	Now         func() time.Time
}

// IdPs lists the accepted values of Config.IdP.
func IdPs() []string {
	names := make([]string, 0, len(dialects))
	for _, d := range dialects {
		names = append(names, d.name)
	}
	return names
}

// Validate reports every problem with cfg at once.
func (cfg Config) Validate() error {
	var errs []error
	if !slices.Contains(IdPs(), cfg.IdP) {
		errs = append(errs, fmt.Errorf("--idp %q: want one of %s", cfg.IdP, strings.Join(IdPs(), ", ")))
	}
	if _, err := parseEndpoint(cfg.Endpoint); err != nil {
		errs = append(errs, err)
	}
	if cfg.Token == "" {
		errs = append(errs, errors.New("--token is required"))
	}
	if cfg.Users < 1 {
		errs = append(errs, errors.New("--users must be at least 1"))
	}
	if cfg.Groups < 1 {
		errs = append(errs, errors.New("--groups must be at least 1"))
	}
	if cfg.Members < 0 || cfg.Members > cfg.Users {
		errs = append(errs, fmt.Errorf("--members %d: want 0 to --users (%d)", cfg.Members, cfg.Users))
	}
	if cfg.Concurrency < 1 {
		errs = append(errs, errors.New("--concurrency must be at least 1"))
	}
	if cfg.Timeout <= 0 {
		errs = append(errs, errors.New("--timeout must be positive"))
	}
	return errors.Join(errs...)
}

// parseEndpoint accepts only absolute http and https URLs; the query and
// fragment are dropped and the path loses its trailing slash.
func parseEndpoint(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || s == "" {
		return nil, fmt.Errorf("--endpoint %q: not a URL", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("--endpoint %q: only http and https URLs are allowed", s)
	}
	if u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("--endpoint %q: want http(s)://host/path with no credentials", s)
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func (cfg Config) withDefaults() Config {
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}
