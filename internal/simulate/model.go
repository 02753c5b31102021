package simulate

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// user is what the simulator believes the server holds for one user.
type user struct {
	idx                            int
	id                             string // "" until created
	userName, externalID           string
	givenName, familyName, display string
	email, employeeNumber          string
	active, deleted                bool
	updated, toggled               bool   // changed by the updates or deactivations phase
	manager                        string // the manager's id, "" for none
}

// group is what the simulator believes the server holds for one group.
type group struct {
	idx         int
	id          string
	displayName string
	members     map[int]bool // user indexes
	deleted     bool
	large       bool
}

// model is the expected state of the run's users and groups. Phases decide
// changes on it before sending them, so a failed request shows up as a
// difference when verifying.
type model struct {
	run    string // a short random tag that prefixes every name of the run
	users  []*user
	groups []*group
}

func newModel(run string, cfg Config, lower bool) *model {
	m := &model{run: run}
	for i := range cfg.Users {
		u := &user{idx: i, active: true,
			userName:       fmt.Sprintf("%s.User.%06d@Example.com", run, i),
			externalID:     fmt.Sprintf("00u%s%06d", run, i),
			givenName:      fmt.Sprintf("Given%d", i),
			familyName:     fmt.Sprintf("Family%d", i),
			employeeNumber: fmt.Sprintf("E%06d", i),
		}
		if lower {
			u.userName = strings.ToLower(u.userName)
		}
		u.display = u.givenName + " " + u.familyName
		u.email = fmt.Sprintf("%s.user.%06d@example.com", run, i)
		m.users = append(m.users, u)
	}
	for g := range cfg.Groups {
		gr := &group{idx: g, displayName: fmt.Sprintf("%s Group %04d", run, g), members: map[int]bool{}, large: g == 0}
		if g == 0 {
			for i := range cfg.Members {
				gr.members[i] = true
			}
		} else {
			// A few members each, spread over the users.
			for k := range min(5, cfg.Users) {
				gr.members[(g*7+k*13)%cfg.Users] = true
			}
		}
		m.groups = append(m.groups, gr)
	}
	return m
}

// userPrefix matches the userName of every user of the run (sw is
// case-insensitive for userName).
func (m *model) userPrefix() string  { return m.run + ".user." }
func (m *model) groupPrefix() string { return m.run + " Group " }

func (m *model) large() *group { return m.groups[0] }

// memberUsers lists g's created members, sorted by user index.
func (m *model) memberUsers(g *group) []*user {
	var us []*user
	for _, i := range slices.Sorted(maps.Keys(g.members)) {
		if m.users[i].id != "" {
			us = append(us, m.users[i])
		}
	}
	return us
}

// pick returns about pct percent of n indexes, spread evenly, at least one.
func pick(n, pct, offset int) []int {
	k := max(1, n*pct/100)
	out := make([]int, 0, k)
	for j := range k {
		out = append(out, (j*n/k+offset)%n)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// spread returns at most k elements of s, evenly spaced.
func spread[T any](s []T, k int) []T {
	if len(s) <= k {
		return s
	}
	out := make([]T, 0, k)
	for j := range k {
		out = append(out, s[j*len(s)/k])
	}
	return out
}
