package replicatest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// event is a feed event (docs/events.md) as the API and webhooks render it.
type event struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	OrganizationID *string         `json:"organization_id"`
	DirectoryID    *string         `json:"directory_id"`
	Sequence       *int64          `json:"sequence"`
	Data           json.RawMessage `json:"data"`
}

func (e event) dir() string {
	if e.DirectoryID == nil {
		return ""
	}
	return *e.DirectoryID
}

// readFeed reads the events feed from after to its end, each page through
// the next replica, and returns the events and the final cursor.
func (c *cluster) readFeed(after string) ([]event, string) {
	c.t.Helper()
	var all []event
	for {
		var page struct {
			Data       []event `json:"data"`
			NextCursor string  `json:"next_cursor"`
		}
		c.api("GET", "/api/v1/events?limit=1000&after="+url.QueryEscape(after), nil, 200, &page)
		all = append(all, page.Data...)
		if len(page.Data) == 0 {
			return all, page.NextCursor
		}
		after = page.NextCursor
	}
}

// feedPage reads one page of the feed after cursor through the next
// replica; safe to call from any goroutine.
func (c *cluster) feedPage(after string) ([]event, string, error) {
	resp, err := c.do(c.pick(), "GET", "/api/v1/events?limit=100&after="+url.QueryEscape(after), "Bearer "+c.key, nil)
	if err != nil {
		return nil, "", err
	}
	if resp.status != 200 {
		return nil, "", fmt.Errorf("GET /api/v1/events: %d %s", resp.status, resp.body)
	}
	var page struct {
		Data       []event `json:"data"`
		NextCursor string  `json:"next_cursor"`
	}
	if err := json.Unmarshal(resp.body, &page); err != nil {
		return nil, "", err
	}
	return page.Data, page.NextCursor, nil
}

// readFeedQuiet is readFeed for goroutines other than the test's: it
// returns errors instead of failing the test.
func (c *cluster) readFeedQuiet(after string) ([]event, error) {
	var all []event
	for {
		page, next, err := c.feedPage(after)
		if err != nil || len(page) == 0 {
			return all, err
		}
		all, after = append(all, page...), next
	}
}

// gapless checks that the feed holds no event twice and that each
// directory's sequences run 1, 2, 3… in feed order; it returns one line
// per problem.
func gapless(events []event) []string {
	var problems []string
	seen := map[string]bool{}
	last := map[string]int64{}
	for _, e := range events {
		if seen[e.ID] {
			problems = append(problems, "event "+e.ID+" appears twice in the feed")
		}
		seen[e.ID] = true
		if e.DirectoryID == nil {
			continue
		}
		if e.Sequence == nil {
			problems = append(problems, fmt.Sprintf("event %s of %s has no sequence", e.ID, e.dir()))
			continue
		}
		if want := last[e.dir()] + 1; *e.Sequence != want {
			problems = append(problems, fmt.Sprintf("directory %s: sequence %d follows %d in the feed (event %s %s)",
				e.dir(), *e.Sequence, last[e.dir()], e.ID, e.Type))
		}
		last[e.dir()] = *e.Sequence
	}
	return problems
}

// state is what a directory holds, as far as the feed tells it.
type state struct {
	users   map[string]map[string]any // id → compared fields
	groups  map[string]string         // id → name
	members map[string]bool           // group id + " " + user id
}

// compared are the user fields checked against the feed.
var compared = []string{"user_name", "active", "email", "display_name", "external_id", "roles"}

func pick(m map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range compared {
		out[k] = m[k]
	}
	return out
}

// replay builds each directory's state from the feed, as a consumer that
// applies every event in order would.
func replay(events []event) (map[string]*state, error) {
	out := map[string]*state{}
	for _, e := range events {
		if e.DirectoryID == nil || !strings.HasPrefix(e.Type, "organization.directory.") {
			continue
		}
		st := out[e.dir()]
		if st == nil {
			st = &state{users: map[string]map[string]any{}, groups: map[string]string{}, members: map[string]bool{}}
			out[e.dir()] = st
		}
		var d map[string]any
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return nil, fmt.Errorf("event %s: %w", e.ID, err)
		}
		id, _ := d["id"].(string)
		switch strings.TrimPrefix(e.Type, "organization.directory.") {
		case "user_created", "user_updated":
			st.users[id] = pick(d)
		case "user_deleted":
			delete(st.users, id)
			for k := range st.members {
				if strings.HasSuffix(k, " "+id) {
					delete(st.members, k)
				}
			}
		case "group_created", "group_updated":
			st.groups[id], _ = d["name"].(string)
		case "group_deleted":
			delete(st.groups, id)
			for k := range st.members {
				if strings.HasPrefix(k, id+" ") {
					delete(st.members, k)
				}
			}
		case "group_member_added", "group_member_removed":
			var m struct {
				Group  struct{ ID string } `json:"group"`
				Member struct{ Type, ID string }
			}
			if err := json.Unmarshal(e.Data, &m); err != nil {
				return nil, fmt.Errorf("event %s: %w", e.ID, err)
			}
			if m.Member.Type != "user" {
				continue
			}
			k := m.Group.ID + " " + m.Member.ID
			if strings.HasSuffix(e.Type, "added") {
				st.members[k] = true
			} else {
				delete(st.members, k)
			}
		}
	}
	return out, nil
}

// current reads a directory's state through the management API, each
// page through the next replica.
func (c *cluster) current(dir string) *state {
	c.t.Helper()
	st := &state{users: map[string]map[string]any{}, groups: map[string]string{}, members: map[string]bool{}}
	for tok := ""; ; {
		var page struct {
			Data          []map[string]any `json:"data"`
			NextPageToken *string          `json:"next_page_token"`
		}
		c.api("GET", "/api/v1/directories/"+dir+"/users?page_size=100&page_token="+url.QueryEscape(tok), nil, 200, &page)
		for _, u := range page.Data {
			id := u["id"].(string)
			st.users[id] = pick(u)
			gs, _ := u["groups"].([]any)
			for _, g := range gs {
				st.members[g.(map[string]any)["id"].(string)+" "+id] = true
			}
		}
		if page.NextPageToken == nil {
			break
		}
		tok = *page.NextPageToken
	}
	for tok := ""; ; {
		var page struct {
			Data []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"data"`
			NextPageToken *string `json:"next_page_token"`
		}
		c.api("GET", "/api/v1/directories/"+dir+"/groups?page_size=100&page_token="+url.QueryEscape(tok), nil, 200, &page)
		for _, g := range page.Data {
			st.groups[g.ID] = g.Name
		}
		if page.NextPageToken == nil {
			break
		}
		tok = *page.NextPageToken
	}
	return st
}

// diff lists how got (the replayed feed) differs from want (the API).
func diff(want, got *state) []string {
	var out []string
	for id, u := range want.users {
		if g, ok := got.users[id]; !ok {
			out = append(out, "user "+id+" is not in the replayed feed")
		} else if !reflect.DeepEqual(g, u) {
			out = append(out, fmt.Sprintf("user %s: feed says %v, API says %v", id, g, u))
		}
	}
	for id := range got.users {
		if _, ok := want.users[id]; !ok {
			out = append(out, "user "+id+" is in the replayed feed but not in the directory")
		}
	}
	if !reflect.DeepEqual(want.groups, got.groups) {
		out = append(out, fmt.Sprintf("groups: feed says %v, API says %v", got.groups, want.groups))
	}
	if !reflect.DeepEqual(want.members, got.members) {
		out = append(out, fmt.Sprintf("memberships: feed says %v, API says %v", keys(got.members), keys(want.members)))
	}
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return slices.Compact(out)
}
