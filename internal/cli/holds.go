package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/scimbridge/scimbridge/client"
)

// The deprovisioning guard's holds (docs/deprovisioning-guard.md).

func holdsCommand() command {
	return command{name: "holds", summary: "a directory's deprovisioning holds: list, release, discard", subs: []command{
		{name: "list", pos: []string{"DIR_ID"}, summary: "list a directory's holds, newest first", api: holdsList},
		{name: "show", pos: []string{"DIR_ID", "HOLD_ID"}, summary: "show a hold's users: what the IdP did, when, by which request", api: holdsShow},
		{name: "release", pos: []string{"DIR_ID", "HOLD_ID"}, summary: "deliver the held events to the app, in order", api: holdAction((*client.Client).ReleaseHold)},
		{name: "discard", pos: []string{"DIR_ID", "HOLD_ID"}, summary: "drop the held events; the app keeps the users (diverged)", api: holdAction((*client.Client).DiscardHold)},
	}}
}

const holdHeader = "ID\tSTATUS\tUSERS\tEVENTS\tTHRESHOLD\tOPENED\tCLOSED\tCLOSED BY"

func holdRows(hs ...client.Hold) func(io.Writer) {
	return func(w io.Writer) {
		for _, h := range hs {
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", h.ID, h.Status, h.UserCount, h.EventCount, h.Threshold,
				fmtTime(h.OpenedAt), fmtTime(h.ClosedAt), h.ClosedBy)
		}
	}
}

func holdsList(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		hs, err := c.ListHolds(ctx, a.args[0])
		if err != nil {
			return err
		}
		return a.print(hs, holdHeader, holdRows(hs...))
	}
}

func holdsShow(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		hs, err := c.ListHolds(ctx, a.args[0])
		if err != nil {
			return err
		}
		for _, h := range hs {
			if h.ID != a.args[1] {
				continue
			}
			return a.print(h, "USER\tUSER NAME\tSTATE\tACTION\tAT\tREQUEST", func(w io.Writer) {
				for _, u := range h.Users {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.UserName, u.State, u.Action, fmtTime(u.At), u.RequestID)
				}
			})
		}
		return fmt.Errorf("no hold %s in directory %s (scimbridge holds list %s)", a.args[1], a.args[0], a.args[0])
	}
}

func holdAction(do func(*client.Client, context.Context, string, string) (client.Hold, error)) func(*apiCmd) apiFunc {
	return func(a *apiCmd) apiFunc {
		return func(ctx context.Context, c *client.Client) error {
			h, err := do(c, ctx, a.args[0], a.args[1])
			if err != nil {
				return err
			}
			return a.print(h, holdHeader, holdRows(h))
		}
	}
}

// deprovisionFlags adds the deprovisioning settings' flags to
// "directories update".
func deprovisionFlags(a *apiCmd, settings func() *client.DirectorySettingsUpdate) {
	guard := func() *client.DeprovisionGuardUpdate {
		s := settings()
		if s.DeprovisionGuard == nil {
			s.DeprovisionGuard = &client.DeprovisionGuardUpdate{}
		}
		return s.DeprovisionGuard
	}
	intFlag := func(name, usage string, set func(int)) {
		a.fs.Func(name, usage, func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil {
				return errors.New("must be an integer")
			}
			set(n)
			return nil
		})
	}
	a.fs.Func("on-delete", "what an IdP delete does: delete or deactivate", func(s string) error { settings().OnDelete = &s; return nil })
	a.fs.Func("on-deactivate", "keep, or delete_after (with --delete-after-days)", func(s string) error { settings().OnDeactivate = &s; return nil })
	intFlag("delete-after-days", "days a deactivated user is kept with on_deactivate delete_after", func(n int) { settings().DeleteAfterDays = &n })
	a.fs.Func("guard", "the deprovisioning guard: on or off", func(s string) error {
		if s != "on" && s != "off" {
			return errors.New("must be on or off")
		}
		on := s == "on"
		guard().Enabled = &on
		return nil
	})
	intFlag("guard-min-users", "the guard's threshold floor", func(n int) { guard().MinUsers = &n })
	intFlag("guard-percent", "the guard's threshold as a percentage of the active users", func(n int) { guard().Percent = &n })
	intFlag("guard-window-minutes", "the guard's window", func(n int) { guard().WindowMinutes = &n })
}
