package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/scimbridge/scimbridge/client"
	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/directory"
)

func auditLogCommand() command {
	return command{name: "audit-log", summary: "the audit log of administrative changes", subs: []command{
		{name: "list", flagsHint: "[--actor ID] [--action A] [--target ID] [--organization ORG] [--since T] [--until T] [--limit N]",
			summary: "list audit entries, newest first", api: auditLogList},
	}}
}

const auditHeader = "TIME\tACTOR\tACTION\tTARGET\tORGANIZATION\tSOURCE"

func auditLogList(a *apiCmd) apiFunc {
	var opts client.AuditOptions
	var since, until string
	limit := a.fs.Int("limit", 100, "entries to show at most (0: all)")
	a.fs.StringVar(&opts.ActorID, "actor", "", "only changes by this API key id (or portal link id)")
	a.fs.StringVar(&opts.ActorType, "actor-type", "", "only changes by api_key, bootstrap_key, portal or cli")
	a.fs.StringVar(&opts.Action, "action", "", "only this action, e.g. directory.update")
	a.fs.StringVar(&opts.TargetID, "target", "", "only changes to this object id")
	a.fs.StringVar(&opts.OrganizationID, "organization", "", "only this organization's changes")
	a.fs.StringVar(&since, "since", "", "only changes at or after this RFC 3339 time")
	a.fs.StringVar(&until, "until", "", "only changes before this RFC 3339 time")
	a.check(func() error {
		for _, p := range []struct {
			flag, v string
			dst     *time.Time
		}{{"--since", since, &opts.Since}, {"--until", until, &opts.Until}} {
			if p.v == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339, p.v)
			if err != nil {
				return usageError{p.flag + " must be an RFC 3339 time, e.g. 2030-01-02T15:04:05Z"}
			}
			*p.dst = t
		}
		if *limit < 0 {
			return usageError{"--limit must not be negative"}
		}
		return nil
	})
	return func(ctx context.Context, c *client.Client) error {
		out := []client.AuditEntry{}
		for e, err := range c.AuditLog(ctx, opts) {
			if err != nil {
				return err
			}
			out = append(out, e)
			if *limit > 0 && len(out) >= *limit {
				break
			}
		}
		return a.print(out, auditHeader, func(w io.Writer) {
			for _, e := range out {
				actor := e.Actor.Type
				if e.Actor.ID != "" {
					actor += ":" + e.Actor.ID
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", e.OccurredAt.UTC().Format(time.RFC3339), actor, e.Action,
					dash(e.Target.ID), dash(e.OrganizationID), e.SourceIP)
			}
		})
	}
}

// recordLocal records a change made by a local command (it reaches the
// database directly, not through the management API) in the audit log.
func recordLocal(ctx context.Context, a *app.App, command, action, targetType, targetID string) {
	a.Audit.Record(ctx, directory.AuditEntry{ActorType: "cli", ActorID: "", Action: action, Method: "CLI",
		Route: "scimbridge " + command, TargetType: targetType, TargetID: targetID, Status: 0, SourceIP: "local"})
}
