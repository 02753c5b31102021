package simulate

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// client sends SCIM requests to one base URL and counts them per phase.
type client struct {
	http      *http.Client
	base      string // scheme://host/path, no trailing slash
	auth      string // Authorization header value
	userAgent string // "" sends none, as OneLogin does
}

func newClient(cfg Config, d *dialect) (*client, error) {
	base, err := parseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * cfg.Concurrency, Proxy: nil}}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	if hc.Timeout == 0 || hc.Timeout > cfg.Timeout {
		hc.Timeout = cfg.Timeout
	}
	// Never leave the endpoint's origin, whatever the server answers.
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != base.Scheme || req.URL.Host != base.Host {
			return fmt.Errorf("refusing redirect to %s://%s: only %s is targeted", req.URL.Scheme, req.URL.Host, base.Host)
		}
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		return nil
	}
	auth := "Bearer " + cfg.Token
	if d.basicAuth {
		auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(d.name+":"+cfg.Token))
	}
	return &client{http: hc, base: base.String(), auth: auth, userAgent: d.userAgent}, nil
}

// phaseStats counts the requests of one phase; safe for concurrent use.
type phaseStats struct {
	requests, errors, throttled atomic.Int64
	mu                          sync.Mutex
	firstErrors                 []string
}

const keepErrors = 5

func (s *phaseStats) fail(msg string) {
	s.errors.Add(1)
	s.mu.Lock()
	if len(s.firstErrors) < keepErrors {
		s.firstErrors = append(s.firstErrors, msg)
	}
	s.mu.Unlock()
}

// response is a read response.
type response struct {
	status int
	body   []byte
}

func (r response) object() map[string]any {
	var m map[string]any
	json.Unmarshal(r.body, &m)
	return m
}

// do sends one request. A transport error or a status not in want is
// counted as an error of the phase and returned; a 429 is also counted as
// throttling. Nothing is retried.
func (c *client) do(ctx context.Context, st *phaseStats, method, path string, body any, want ...int) (response, error) {
	st.requests.Add(1)
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		st.fail(err.Error())
		return response{}, err
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/scim+json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json; charset=utf-8")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		err = fmt.Errorf("%s %s: %w", method, path, err)
		st.fail(err.Error())
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		err = fmt.Errorf("%s %s: reading response: %w", method, path, err)
		st.fail(err.Error())
		return response{}, err
	}
	r := response{status: resp.StatusCode, body: b}
	if resp.StatusCode == http.StatusTooManyRequests {
		st.throttled.Add(1)
	}
	if !slices.Contains(want, resp.StatusCode) {
		err = fmt.Errorf("%s %s: %d, want %v: %s", method, path, resp.StatusCode, want, snippet(b))
		st.fail(err.Error())
		return r, err
	}
	return r, nil
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// query builds "?k=v&…" in the order given, as IdPs send them.
func query(kv ...string) string {
	var sb strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i == 0 {
			sb.WriteByte('?')
		} else {
			sb.WriteByte('&')
		}
		sb.WriteString(kv[i] + "=" + url.QueryEscape(kv[i+1]))
	}
	return sb.String()
}

// eqFilter is `attr eq "value"` with the value quoted per RFC 7644 §3.4.2.2.
func eqFilter(attr, value string) string {
	b, _ := json.Marshal(value)
	return attr + " eq " + string(b)
}
