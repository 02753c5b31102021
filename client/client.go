package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Client calls the scimbridge management API. It is safe for concurrent
// use. Its String and GoString never show the API key.
type Client struct {
	base   string
	apiKey string
	hc     *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc (for
// timeouts, proxies or TLS settings). The default is http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.hc = hc }
}

// New returns a client of the server at baseURL (such as
// https://scim.example.com; a trailing slash or /api/v1 are accepted) that
// authenticates with apiKey.
func New(baseURL, apiKey string, opts ...Option) *Client {
	base := strings.TrimRight(baseURL, "/")
	base = strings.TrimSuffix(base, "/api/v1")
	c := &Client{base: base, apiKey: apiKey, hc: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

// String describes the client without its API key.
func (c *Client) String() string { return "scimbridge client for " + c.base }

// GoString is String, so %#v does not print the API key either.
func (c *Client) GoString() string { return c.String() }

// APIError is a non-2xx answer of the API: its HTTP status and the
// {"error": {"code", "message", "details"}} body. Inspect it with
// errors.As, or with IsNotFound, IsConflict and IsUnauthorized.
type APIError struct {
	Status  int
	Code    string // invalid, not_found, conflict, precondition_failed, unauthorized, forbidden, too_many, too_large, internal
	Message string
	Details []any
}

func (e *APIError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("scimbridge API: HTTP %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("scimbridge API: %s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

func hasStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}

// IsNotFound reports whether err is an APIError with status 404.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsConflict reports whether err is an APIError with status 409.
func IsConflict(err error) bool { return hasStatus(err, http.StatusConflict) }

// IsUnauthorized reports whether err is an APIError with status 401.
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

// do sends a request to /api/v1+path with in (if not nil) as JSON and
// decodes the answer into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encoding %s %s request: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	u := c.base + "/api/v1" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("building %s %s request: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading response: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		ae := &APIError{Status: resp.StatusCode}
		var eb struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Details []any  `json:"details"`
			} `json:"error"`
		}
		if json.Unmarshal(data, &eb) == nil && eb.Error.Message != "" {
			ae.Code, ae.Message, ae.Details = eb.Error.Code, eb.Error.Message, eb.Error.Details
		} else {
			ae.Message = strings.TrimSpace(string(data))
			if ae.Message == "" {
				ae.Message = http.StatusText(resp.StatusCode)
			}
		}
		return ae
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decoding response: %w", method, path, err)
	}
	return nil
}

// page is a list response.
type page[T any] struct {
	Data          []T     `json:"data"`
	NextPageToken *string `json:"next_page_token"`
}

func getPage[T any](ctx context.Context, c *Client, path string, q url.Values) ([]T, string, error) {
	var p page[T]
	if err := c.do(ctx, http.MethodGet, path, q, nil, &p); err != nil {
		return nil, "", err
	}
	next := ""
	if p.NextPageToken != nil {
		next = *p.NextPageToken
	}
	return p.Data, next, nil
}

// all turns a page function into an iterator that follows next page
// tokens. It yields a non-nil error once, as its last element.
func all[T any](fetch func(token string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		token := ""
		for {
			items, next, err := fetch(token)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			token = next
		}
	}
}

// ListOptions are the paging options shared by every list.
type ListOptions struct {
	PageSize  int    // 1 to 100; 0 means the server's default (20)
	PageToken string // the next page token of the previous page; "" for the first
}

func (o ListOptions) values() url.Values {
	q := url.Values{}
	if o.PageSize > 0 {
		q.Set("page_size", strconv.Itoa(o.PageSize))
	}
	if o.PageToken != "" {
		q.Set("page_token", o.PageToken)
	}
	return q
}

func esc(s string) string { return url.PathEscape(s) }
