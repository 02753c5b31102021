package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// ListUsersOptions filter a directory's users; zero fields do not filter.
type ListUsersOptions struct {
	GroupID       string    // direct and nested members of this group
	UpdatedAfter  time.Time // changed after this instant
	Active        *bool     // only active (or inactive) users
	Email         string    // exact email, case-insensitive
	Q             string    // search: case-insensitive prefix of user name, email, display or family name
	IncludeDetail bool      // also return RawAttributes
	PageSize      int       // 1 to 100; 0 means the server's default
	PageToken     string    // from the previous page
}

func (o ListUsersOptions) values() url.Values {
	q := ListOptions{PageSize: o.PageSize, PageToken: o.PageToken}.values()
	set(q, "group_id", o.GroupID)
	if !o.UpdatedAfter.IsZero() {
		q.Set("updated_after", o.UpdatedAfter.UTC().Format(time.RFC3339Nano))
	}
	if o.Active != nil {
		q.Set("active", strconv.FormatBool(*o.Active))
	}
	set(q, "email", o.Email)
	set(q, "q", o.Q)
	if o.IncludeDetail {
		q.Set("include_detail", "true")
	}
	return q
}

func set(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

// ListUsers returns one page of a directory's users and the next page
// token ("" on the last page).
func (c *Client) ListUsers(ctx context.Context, dirID string, opts ListUsersOptions) ([]User, string, error) {
	return getPage[User](ctx, c, "/directories/"+esc(dirID)+"/users", opts.values())
}

// Users iterates over every user of a directory that opts select:
//
//	for u, err := range c.Users(ctx, dirID, client.ListUsersOptions{}) {
//		if err != nil { return err }
//		…
//	}
func (c *Client) Users(ctx context.Context, dirID string, opts ListUsersOptions) iter.Seq2[User, error] {
	return all(func(token string) ([]User, string, error) {
		opts.PageToken = token
		return c.ListUsers(ctx, dirID, opts)
	})
}

// GetUser returns one user; includeDetail adds RawAttributes.
func (c *Client) GetUser(ctx context.Context, dirID, userID string, includeDetail bool) (User, error) {
	var q url.Values
	if includeDetail {
		q = url.Values{"include_detail": {"true"}}
	}
	var u User
	err := c.do(ctx, http.MethodGet, "/directories/"+esc(dirID)+"/users/"+esc(userID), q, nil, &u)
	return u, err
}

// ListGroupsOptions filter a directory's groups; zero fields do not filter.
type ListGroupsOptions struct {
	UserID       string    // groups the user is a direct member of
	UpdatedAfter time.Time // changed after this instant
	Q            string    // search: case-insensitive prefix of the group name
	PageSize     int
	PageToken    string
}

func (o ListGroupsOptions) values() url.Values {
	q := ListOptions{PageSize: o.PageSize, PageToken: o.PageToken}.values()
	set(q, "user_id", o.UserID)
	if !o.UpdatedAfter.IsZero() {
		q.Set("updated_after", o.UpdatedAfter.UTC().Format(time.RFC3339Nano))
	}
	set(q, "q", o.Q)
	return q
}

// ListGroups returns one page of a directory's groups.
func (c *Client) ListGroups(ctx context.Context, dirID string, opts ListGroupsOptions) ([]Group, string, error) {
	return getPage[Group](ctx, c, "/directories/"+esc(dirID)+"/groups", opts.values())
}

// Groups iterates over every group of a directory that opts select.
func (c *Client) Groups(ctx context.Context, dirID string, opts ListGroupsOptions) iter.Seq2[Group, error] {
	return all(func(token string) ([]Group, string, error) {
		opts.PageToken = token
		return c.ListGroups(ctx, dirID, opts)
	})
}

// GetGroup returns one group with its MemberCount.
func (c *Client) GetGroup(ctx context.Context, dirID, groupID string) (Group, error) {
	var g Group
	err := c.do(ctx, http.MethodGet, "/directories/"+esc(dirID)+"/groups/"+esc(groupID), nil, nil, &g)
	return g, err
}

// ListMembers returns one page of a group's direct members: users first,
// then nested groups.
func (c *Client) ListMembers(ctx context.Context, dirID, groupID string, opts ListOptions) ([]Member, string, error) {
	return getPage[Member](ctx, c, "/directories/"+esc(dirID)+"/groups/"+esc(groupID)+"/members", opts.values())
}

// Members iterates over every direct member of a group.
func (c *Client) Members(ctx context.Context, dirID, groupID string, opts ListOptions) iter.Seq2[Member, error] {
	return all(func(token string) ([]Member, string, error) {
		opts.PageToken = token
		return c.ListMembers(ctx, dirID, groupID, opts)
	})
}

// ListRequestsOptions filter a directory's SCIM request log.
type ListRequestsOptions struct {
	StatusClass  string // "2xx", "3xx", "4xx" or "5xx"
	Method       string // GET, POST, PUT, PATCH or DELETE
	FailuresOnly bool   // status 400 and above
	PageSize     int    // 1 to 100; 0 means the server's default (50)
	PageToken    string
}

// ListRequests returns one page of a directory's SCIM request log, newest
// first.
func (c *Client) ListRequests(ctx context.Context, dirID string, opts ListRequestsOptions) ([]RequestLogEntry, string, error) {
	q := ListOptions{PageSize: opts.PageSize, PageToken: opts.PageToken}.values()
	set(q, "status_class", opts.StatusClass)
	set(q, "method", opts.Method)
	if opts.FailuresOnly {
		q.Set("failures_only", "true")
	}
	return getPage[RequestLogEntry](ctx, c, "/directories/"+esc(dirID)+"/requests", q)
}

// Requests iterates over a directory's SCIM request log, newest first.
func (c *Client) Requests(ctx context.Context, dirID string, opts ListRequestsOptions) iter.Seq2[RequestLogEntry, error] {
	return all(func(token string) ([]RequestLogEntry, string, error) {
		opts.PageToken = token
		return c.ListRequests(ctx, dirID, opts)
	})
}
