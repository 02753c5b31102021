package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/client"
)

func eventsCommand() command {
	filters := "[--types T,…] [--directory DIR] [--after CURSOR]"
	return command{name: "events", summary: "the event feed", subs: []command{
		{name: "tail", flagsHint: filters, summary: "follow the feed, from the newest event", api: eventsTail},
		{name: "list", flagsHint: filters, summary: "list events, from the oldest kept", api: eventsList},
		{name: "get", pos: []string{"EVENT_ID"}, summary: "show an event as JSON", api: eventsGet},
	}}
}

// eventFilters defines the flags every events subcommand takes; types is
// the raw --types list.
func eventFilters(a *apiCmd) (opts *client.EventsOptions, types *string) {
	opts, types = &client.EventsOptions{}, new(string)
	a.fs.StringVar(&opts.After, "after", "", "start after this cursor (default: tail starts at the newest event, list at the oldest)")
	a.fs.StringVar(types, "types", "", "comma-separated event types to keep")
	a.fs.StringVar(&opts.OrganizationID, "organization", "", "only this organization's events")
	a.fs.StringVar(&opts.DirectoryID, "directory", "", "only this directory's events")
	a.fs.StringVar(&opts.SubjectID, "subject", "", "only events about this user or group")
	return opts, types
}

func eventsTail(a *apiCmd) apiFunc {
	opts, types := eventFilters(a)
	fromStart := a.fs.Bool("from-start", false, "start at the oldest kept event instead of the newest")
	poll := a.fs.Duration("poll", time.Second, "how long to wait between reads that find nothing")
	a.check(func() error {
		if *poll < 10*time.Millisecond {
			return usageError{"--poll must be at least 10ms"}
		}
		return nil
	})
	return func(ctx context.Context, c *client.Client) error {
		opts.Types = splitList(*types)
		if opts.After == "" && !*fromStart {
			opts.After = "latest"
		}
		for e, err := range c.FollowEvents(ctx, *opts, *poll) {
			if err != nil {
				return err
			}
			if err := a.printEvent(e.Event); err != nil {
				return err
			}
		}
		return nil
	}
}

func eventsList(a *apiCmd) apiFunc {
	opts, types := eventFilters(a)
	a.fs.IntVar(&opts.Limit, "limit", 100, "at most this many events (1–1000)")
	return func(ctx context.Context, c *client.Client) error {
		opts.Types = splitList(*types)
		es, next, err := c.ListEvents(ctx, *opts)
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := a.printEvent(e); err != nil {
				return err
			}
		}
		if !a.asJSON {
			fmt.Fprintf(a.env.Stderr, "next cursor: %s\n", next)
		}
		return nil
	}
}

func eventsGet(a *apiCmd) apiFunc {
	eventFilters(a) // accepted, as by tail and list, but unused
	return func(ctx context.Context, c *client.Client) error {
		e, err := c.GetEvent(ctx, a.args[0])
		if err != nil {
			return err
		}
		enc := json.NewEncoder(a.env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(e)
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// printEvent prints one line: JSON with --json, else time, type,
// directory and sequence, and what the event is about.
func (a *apiCmd) printEvent(e client.Event) error {
	if a.asJSON {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(a.env.Stdout, string(b))
		return err
	}
	line := fmt.Sprintf("%s  %-48s  %s #%d  %s", e.OccurredAt.UTC().Format(time.RFC3339), e.Type, dash(e.DirectoryID), e.Sequence, eventAbout(e))
	if changed := changedAttributes(e); len(changed) > 0 {
		line += "  (changed: " + strings.Join(changed, ", ") + ")"
	}
	_, err := fmt.Fprintln(a.env.Stdout, line)
	return err
}

// eventAbout names what an event is about: a user, a group, or a member
// of a group.
func eventAbout(e client.Event) string {
	var d struct {
		ID       string `json:"id"`
		UserName string `json:"user_name"`
		Name     string `json:"name"`
		Group    struct {
			Name string `json:"name"`
		} `json:"group"`
		Member struct {
			ID          string `json:"id"`
			DisplayName string `json:"display_name"`
		} `json:"member"`
	}
	_ = json.Unmarshal(e.Data, &d)
	switch {
	case d.UserName != "":
		return d.ID + " " + d.UserName
	case d.Member.ID != "":
		return d.Member.ID + " " + d.Member.DisplayName + " in " + d.Group.Name
	case d.Name != "":
		return d.ID + " " + d.Name
	}
	return d.ID
}

// changedAttributes lists, sorted, the attributes an update event changed.
func changedAttributes(e client.Event) []string {
	var prev map[string]json.RawMessage
	if len(e.PreviousAttributes) == 0 || json.Unmarshal(e.PreviousAttributes, &prev) != nil {
		return nil
	}
	changed := make([]string, 0, len(prev))
	for k := range prev {
		changed = append(changed, k)
	}
	sort.Strings(changed)
	return changed
}
