package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// eventView is one event as the Events tab and the user page show it.
type eventView struct {
	directory.Event
	Label   string // "User deactivated", …
	Subject string // who or what it is about
	Summary string // what changed, in a few words
	Kind    string // good, warn, bad: the pill colour
	JSON    string // the event as the feed carries it
	By      string // who made the change, in words
	ByTitle string // the same with ids, on hover
}

// eventTypes are the types the Events tab filters on, with their labels.
var eventTypes = []struct{ Type, Label string }{
	{directory.EventUserCreated, "User created"},
	{directory.EventUserUpdated, "User updated (incl. deactivated, role changed)"},
	{directory.EventUserDeleted, "User deleted"},
	{directory.EventGroupCreated, "Group created"},
	{directory.EventGroupUpdated, "Group updated"},
	{directory.EventGroupDeleted, "Group deleted"},
	{directory.EventGroupMemberAdded, "Member added"},
	{directory.EventGroupMemberRemoved, "Member removed"},
	{directory.EventDirectoryEnabled, "Directory enabled"},
	{directory.EventDirectoryDisabled, "Directory disabled"},
}

// eventNames is what viewEvent needs to name things: roles by key, and
// the directory's tokens by id (their last characters).
type eventNames struct {
	Roles  map[string]string
	Tokens map[string]string
}

// names reads the role names and the directory's tokens.
func (h *Handler) names(ctx context.Context, dirID string) (eventNames, error) {
	n := eventNames{Roles: map[string]string{}, Tokens: map[string]string{}}
	roles, err := h.Service.ListRoles(ctx)
	if err != nil {
		return n, err
	}
	for _, r := range roles {
		n.Roles[r.Key] = r.Name
	}
	ts, err := h.Service.Read().ListTokens(ctx, dirID)
	if err != nil {
		return n, err
	}
	for _, t := range ts {
		n.Tokens[t.ID] = t.Suffix
	}
	return n, nil
}

// actorWords says who made a change, for people, with the ids on hover.
func actorWords(a *directory.Actor, n eventNames) (by, title string) {
	if a == nil {
		return "", ""
	}
	switch a.Type {
	case directory.ActorIdP:
		by = "Identity provider"
		if a.Name != "" {
			by = a.Name + " (identity provider)"
		}
		if sfx, ok := n.Tokens[a.ID]; ok {
			by += " · token …" + sfx
		}
		return by, "Through SCIM with directory token " + a.ID
	case directory.ActorPortal:
		return "an admin in this portal", "Admin Portal session opened by link " + a.ID
	case directory.ActorAPIKey:
		return "the application (API key “" + a.Name + "”)", "Management API key " + a.ID
	case directory.ActorBootstrapKey:
		return "the application (configured API key)", "Management API, bootstrap key"
	case directory.ActorCLI:
		return "a local command", "scimbridge command line"
	default:
		return "scimbridge", "scimbridge itself"
	}
}

// viewEvent describes an event for people.
func viewEvent(e directory.Event, n eventNames) eventView {
	v := eventView{Event: e, Kind: ""}
	var data map[string]any
	var prev map[string]any
	_ = json.Unmarshal(e.Data, &data)
	_ = json.Unmarshal(e.Previous, &prev)
	name := func(m map[string]any) string {
		for _, k := range []string{"display_name", "email", "user_name", "name"} {
			if s, _ := m[k].(string); s != "" {
				return s
			}
		}
		return ""
	}
	v.Subject = name(data)
	switch e.Type {
	case directory.EventUserCreated:
		v.Label, v.Kind = "User created", "good"
	case directory.EventUserUpdated:
		v.Label = "User updated"
		if was, ok := prev["active"].(bool); ok {
			if was {
				v.Label, v.Kind = "User deactivated", "bad"
			} else {
				v.Label, v.Kind = "User reactivated", "good"
			}
		} else if _, ok := prev["role"]; ok && len(prev) <= 2 {
			v.Label = "Role changed"
		}
	case directory.EventUserDeleted:
		v.Label, v.Kind = "User deleted", "bad"
	case directory.EventGroupCreated:
		v.Label, v.Kind = "Group created", "good"
	case directory.EventGroupUpdated:
		v.Label = "Group updated"
	case directory.EventGroupDeleted:
		v.Label, v.Kind = "Group deleted", "bad"
	case directory.EventGroupMemberAdded, directory.EventGroupMemberRemoved:
		v.Label = "Member added"
		if e.Type == directory.EventGroupMemberRemoved {
			v.Label, v.Kind = "Member removed", "warn"
		}
		g, _ := data["group"].(map[string]any)
		m, _ := data["member"].(map[string]any)
		gn, _ := g["name"].(string)
		mn, _ := m["display_name"].(string)
		v.Subject = mn + " in " + gn
	case directory.EventDirectoryEnabled:
		v.Label, v.Kind = "Directory enabled", "good"
	case directory.EventDirectoryDisabled:
		v.Label, v.Kind = "Directory disabled", "bad"
	default:
		v.Label = e.Type
	}
	// What changed: previous value → new value, for *_updated events.
	var keys []string
	for k := range prev {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if (k == "roles" && prev["role"] != nil) || k == "raw_attributes" || k == "updated_at" {
			continue // "role" says it; the raw document repeats the fields
		}
		if k == "role" || k == "roles" {
			parts = append(parts, "role: "+roleWords(prev[k], n)+" → "+roleWords(data[k], n))
			continue
		}
		if k == "custom_attributes" {
			parts = append(parts, customChanges(prev[k], data[k])...)
			continue
		}
		parts = append(parts, k+": "+short(prev[k])+" → "+short(data[k]))
	}
	v.By, v.ByTitle = actorWords(e.Actor, n)
	v.Summary = strings.Join(parts, "; ")
	if b, err := json.MarshalIndent(e.Payload(), "", "  "); err == nil {
		v.JSON = string(b)
	}
	return v
}

// roleWords names a role key, or a list of them, by the roles' names.
func roleWords(x any, n eventNames) string {
	name := func(k string) string {
		if s, ok := n.Roles[k]; ok {
			return s
		}
		return k
	}
	switch t := x.(type) {
	case string:
		if t == "" {
			return "none"
		}
		return name(t)
	case []any:
		var out []string
		for _, k := range t {
			if s, ok := k.(string); ok {
				out = append(out, name(s))
			}
		}
		if len(out) == 0 {
			return "none"
		}
		return strings.Join(out, ", ")
	}
	return short(x)
}

// short renders a JSON value briefly.
func short(x any) string {
	switch t := x.(type) {
	case nil:
		return "none"
	case string:
		if len(t) > 60 {
			return t[:57] + "…"
		}
		return t
	case bool, float64:
		return fmt.Sprint(t)
	}
	b, _ := json.Marshal(x)
	if len(b) > 60 {
		return string(b[:57]) + "…"
	}
	return string(b)
}

// latestEvents returns up to n of the newest events matching q, newest
// first. The feed reads forwards from a position, so it reads the window of
// the newest positions, widening it until it holds n matches or reaches the
// start; each read is an indexed range scan.
//
// With a subject, the directory is checked on the events read instead of
// in the query, so that the store looks the subject up by its indexes
// (ids are unique across directories; the filter keeps another
// directory's subject out).
func (h *Handler) latestEvents(ctx context.Context, q directory.EventQuery, n int) ([]directory.Event, error) {
	dirID := q.DirectoryID
	if q.Subject != "" {
		q.DirectoryID, q.OrganizationID = "", ""
	}
	last, err := h.Service.Read().LastEventPosition(ctx)
	if err != nil {
		return nil, err
	}
	const batch = 500
	for window := int64(512); ; window *= 8 {
		from := last - window
		if from < 0 || q.Subject != "" { // a subject's events are few: read them all
			from = 0
		}
		var keep []directory.Event
		q.After = from
		for reads := 0; reads < 200; reads++ {
			q.Limit = batch
			es, err := h.Service.Read().ListEvents(ctx, q)
			if err != nil {
				return nil, err
			}
			for _, e := range es {
				if e.DirectoryID == dirID {
					keep = append(keep, e)
				}
			}
			if len(keep) > n {
				keep = keep[len(keep)-n:]
			}
			if len(es) < batch {
				break
			}
			q.After = es[len(es)-1].Position
		}
		if len(keep) >= n || from == 0 {
			for i, j := 0, len(keep)-1; i < j; i, j = i+1, j-1 {
				keep[i], keep[j] = keep[j], keep[i]
			}
			return keep, nil
		}
	}
}

// recentEvents returns the newest events of a user or group.
func (h *Handler) recentEvents(r *http.Request, d directory.Directory, subject string) ([]eventView, bool, error) {
	es, err := h.latestEvents(r.Context(), directory.EventQuery{DirectoryID: d.ID, Subject: subject}, 10)
	if err != nil {
		return nil, true, err
	}
	n, err := h.names(r.Context(), d.ID)
	if err != nil {
		return nil, true, err
	}
	out := make([]eventView, len(es))
	for i, e := range es {
		out[i] = viewEvent(e, n)
	}
	return out, true, nil
}

type eventsData struct {
	Events  []eventView
	Types   []struct{ Type, Label string }
	Type    string
	Who     string    // the subject filter as typed
	Matches []subject // the users and groups it matches
	TooMany bool      // more than maxSubjects match: the first are shown
	Unknown bool      // Who matches no user or group
	Limit   int
	More    string
}

// subject is a user or group the filter matched.
type subject struct{ ID, Name string }

// maxSubjects bounds the users and groups one filter shows events of.
const maxSubjects = 20

// resolveSubjects turns what the admin typed into users and groups, as the
// Users search does: an id names itself; otherwise users whose user name,
// email or name, and groups whose name, start with it (case-insensitive).
// An exact user name, email or group name comes first.
func (h *Handler) resolveSubjects(ctx context.Context, d directory.Directory, who string) ([]subject, bool, error) {
	if strings.HasPrefix(who, directory.PrefixUser+"_") || strings.HasPrefix(who, directory.PrefixGroup+"_") {
		return []subject{{ID: who, Name: who}}, false, nil
	}
	pg, err := h.Service.Read().ListUsers(ctx, d.ID, directory.Query{Search: who, Limit: maxSubjects + 1, SkipTotal: true})
	if err != nil {
		return nil, false, err
	}
	gp, err := h.Service.Read().ListGroups(ctx, d.ID, directory.Query{Search: who, Limit: maxSubjects + 1, SkipTotal: true})
	if err != nil {
		return nil, false, err
	}
	want := schema.FoldString(who)
	var exact, rest []subject
	for _, u := range pg.Users {
		s := subject{ID: u.ID, Name: u.UserName}
		if strings.EqualFold(u.UserName, who) || strings.EqualFold(primaryEmail(u), who) {
			exact = append(exact, s)
		} else {
			rest = append(rest, s)
		}
	}
	// Group names compare folded (RFC 7643 §4.1.1: caseExact false).
	for _, g := range gp.Groups {
		s := subject{ID: g.ID, Name: g.DisplayName}
		if schema.FoldString(g.DisplayName) == want {
			exact = append(exact, s)
		} else {
			rest = append(rest, s)
		}
	}
	all := append(exact, rest...)
	if len(all) > maxSubjects {
		return all[:maxSubjects], true, nil
	}
	return all, false, nil
}

// subjectsEvents returns the newest n events of any of the subjects,
// newest first: each subject's are read by its index and merged.
func (h *Handler) subjectsEvents(ctx context.Context, q directory.EventQuery, subjects []subject, n int) ([]directory.Event, error) {
	seen := map[string]bool{}
	var all []directory.Event
	for _, s := range subjects {
		q.Subject = s.ID
		es, err := h.latestEvents(ctx, q, n)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if !seen[e.ID] {
				seen[e.ID] = true
				all = append(all, e)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Position > all[j].Position })
	if len(all) > n {
		all = all[:n]
	}
	return all, nil
}

// eventsTab is GET /portal/events: the directory's provisioning events,
// newest first, filterable by type and by user or group.
func (h *Handler) eventsTab(w http.ResponseWriter, r *http.Request) error {
	d, dirs, ok, err := h.selectedDir(r)
	if err != nil {
		return err
	}
	p := page{Title: "Provisioning events", Tab: "events", Dirs: dirs, Dir: d}
	if !ok {
		return h.render(w, r, http.StatusOK, "events", p)
	}
	v := r.URL.Query()
	data := eventsData{Types: eventTypes, Type: v.Get("type"), Who: strings.TrimSpace(v.Get("who")), Limit: 50}
	if data.Type != "" && !directory.ValidEventType(data.Type) {
		return directory.Errorf(directory.KindInvalid, "%q is not an event type.", data.Type)
	}
	if len(data.Who) > 200 {
		return directory.Errorf(directory.KindInvalid, "The user or group must be at most 200 characters.")
	}
	if s := v.Get("limit"); s == "200" {
		data.Limit = 200
	}
	q := directory.EventQuery{OrganizationID: d.OrganizationID, DirectoryID: d.ID}
	if data.Type != "" {
		q.Types = []string{data.Type}
	}
	var es []directory.Event
	if data.Who != "" {
		data.Matches, data.TooMany, err = h.resolveSubjects(r.Context(), d, data.Who)
		if err != nil {
			return err
		}
		if len(data.Matches) == 0 {
			data.Unknown = true
			p.Data = data
			return h.render(w, r, http.StatusOK, "events", p)
		}
		es, err = h.subjectsEvents(r.Context(), q, data.Matches, data.Limit)
	} else {
		es, err = h.latestEvents(r.Context(), q, data.Limit)
	}
	if err != nil {
		return err
	}
	n, err := h.names(r.Context(), d.ID)
	if err != nil {
		return err
	}
	for _, e := range es {
		data.Events = append(data.Events, viewEvent(e, n))
	}
	if len(es) == data.Limit && data.Limit == 50 {
		nv := url.Values{"dir": {d.ID}, "limit": {"200"}}
		for _, k := range []string{"type", "who"} {
			if v.Get(k) != "" {
				nv.Set(k, v.Get(k))
			}
		}
		data.More = "/portal/events?" + nv.Encode()
	}
	p.Data = data
	return h.render(w, r, http.StatusOK, "events", p)
}

type requestsData struct {
	Entries  []directory.RequestLog
	Failures bool
	Next     string
	Enabled  bool
	Bodies   directory.RequestBodies // the directory's setting
	Stats    directory.RequestLogStats
}

// requestsTab is GET /portal/events/requests: the SCIM request log, newest
// first, optionally failures only.
func (h *Handler) requestsTab(w http.ResponseWriter, r *http.Request) error {
	d, dirs, ok, err := h.selectedDir(r)
	if err != nil {
		return err
	}
	p := page{Title: "SCIM request log", Tab: "events", Dirs: dirs, Dir: d}
	if !ok {
		return h.render(w, r, http.StatusOK, "requests", p)
	}
	v := r.URL.Query()
	data := requestsData{Failures: v.Get("failures") == "1", Enabled: h.RequestLogEnabled, Bodies: d.Settings.RequestLogBodies.OrDefault()}
	before := v.Get("before")
	if err := checkID(before, directory.PrefixRequest); err != nil {
		return err
	}
	q := directory.RequestQuery{Before: before, Limit: pageSize + 1}
	if data.Failures {
		q.MinStatus = 400
	}
	es, err := h.Service.Read().ListRequests(r.Context(), d.ID, q)
	if err != nil {
		return err
	}
	if data.Stats, err = h.Service.Read().RequestLogStats(r.Context(), d.ID); err != nil {
		return err
	}
	if len(es) > pageSize {
		es = es[:pageSize]
		nv := url.Values{"dir": {d.ID}, "before": {es[len(es)-1].ID}}
		if data.Failures {
			nv.Set("failures", "1")
		}
		data.Next = "/portal/events/requests?" + nv.Encode()
	}
	data.Entries = es
	p.Data = data
	return h.render(w, r, http.StatusOK, "requests", p)
}

// customChanges lists the custom attributes that differ between two
// custom_attributes objects, as "key: before → after".
func customChanges(before, after any) []string {
	b, _ := before.(map[string]any)
	a, _ := after.(map[string]any)
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []string
	for _, k := range sorted {
		x, _ := json.Marshal(b[k])
		y, _ := json.Marshal(a[k])
		if string(x) != string(y) {
			out = append(out, k+": "+short(b[k])+" → "+short(a[k]))
		}
	}
	return out
}
