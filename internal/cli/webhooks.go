package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/client"
)

// webhooksCmd is "scimbridge webhooks list|create|get|update|delete|rotate|
// deliveries|retry|test|replay". Secrets are printed only by create and
// rotate, as the API returns them only then.
func webhooksCmd(ctx context.Context, a *apiCmd, sub string, args []string) error {
	switch sub {
	case "list":
		if err := a.parse(args); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		es, err := collect(c.WebhookEndpoints(ctx, client.ListOptions{PageSize: 100}))
		if err != nil {
			return err
		}
		return a.print(es, endpointHeader, endpointRows(es...))
	case "create":
		url := a.fs.String("url", "", "where to send events: an absolute http(s) URL (required)")
		desc := a.fs.String("description", "", "a description")
		types := a.fs.String("types", "", "comma-separated event types to send (default: all)")
		orgs := a.fs.String("organizations", "", "comma-separated organization ids to send events of (default: all)")
		if err := a.parse(args); err != nil {
			return err
		}
		if *url == "" {
			return usageError{"webhooks create needs --url"}
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		e, err := c.CreateWebhookEndpoint(ctx, client.WebhookEndpointCreate{URL: *url, Description: *desc,
			EventTypes: splitList(*types), OrganizationIDs: splitList(*orgs)})
		if err != nil {
			return err
		}
		return a.printSecret(e, "Created webhook endpoint "+e.ID+". This is the only time its signing secret is shown:")
	case "get", "delete", "rotate", "test":
		if err := a.parse(args, "ENDPOINT"); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		id := a.args[0]
		switch sub {
		case "get":
			e, err := c.GetWebhookEndpoint(ctx, id)
			if err != nil {
				return err
			}
			return a.print(e, endpointHeader, endpointRows(e))
		case "delete":
			if err := c.DeleteWebhookEndpoint(ctx, id); err != nil {
				return err
			}
			fmt.Fprintf(a.env.Stderr, "Deleted webhook endpoint %s.\n", id)
			return nil
		case "rotate":
			e, err := c.RotateWebhookSecret(ctx, id)
			if err != nil {
				return err
			}
			return a.printSecret(e, fmt.Sprintf("Rotated the secret of %s; the old one keeps signing until %s. The new secret, shown this once:",
				id, e.PreviousSecretExpiresAt.Format(time.RFC3339)))
		default:
			d, err := c.SendTestWebhook(ctx, id)
			if err != nil {
				return err
			}
			return a.print(d, deliveryHeader, deliveryRows(d))
		}
	case "update":
		var u client.WebhookEndpointUpdate
		url := a.fs.String("url", "", "new URL")
		desc := a.fs.String("description", "", "new description")
		types := a.fs.String("types", "", `event types to send, comma-separated ("all" to send every type)`)
		orgs := a.fs.String("organizations", "", `organization ids, comma-separated ("all" for every organization)`)
		enabled := a.fs.String("enabled", "", "true or false")
		if err := a.parse(args, "ENDPOINT"); err != nil {
			return err
		}
		a.fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "url":
				u.URL = url
			case "description":
				u.Description = desc
			case "types":
				u.EventTypes = allOrList(*types)
			case "organizations":
				u.OrganizationIDs = allOrList(*orgs)
			}
		})
		if *enabled != "" {
			b, err := strconv.ParseBool(*enabled)
			if err != nil {
				return usageError{"--enabled must be true or false"}
			}
			u.Enabled = &b
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		e, err := c.UpdateWebhookEndpoint(ctx, a.args[0], u)
		if err != nil {
			return err
		}
		return a.print(e, endpointHeader, endpointRows(e))
	case "deliveries":
		limit := a.fs.Int("limit", 20, "how many of the newest deliveries (1–100)")
		if err := a.parse(args, "ENDPOINT"); err != nil {
			return err
		}
		if *limit < 1 || *limit > 100 {
			return usageError{"--limit must be from 1 to 100"}
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		ds, _, err := c.ListWebhookDeliveries(ctx, a.args[0], client.ListOptions{PageSize: *limit})
		if err != nil {
			return err
		}
		return a.print(ds, deliveryHeader, deliveryRows(ds...))
	case "retry":
		if err := a.parse(args, "ENDPOINT", "DELIVERY"); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		d, err := c.RetryWebhookDelivery(ctx, a.args[0], a.args[1])
		if err != nil {
			return err
		}
		return a.print(d, deliveryHeader, deliveryRows(d))
	case "replay":
		after := a.fs.Int64("after", 0, "replay events after this feed position (a next_cursor)")
		until := a.fs.Int64("until", 0, "…up to and including this position (default: no bound)")
		since := a.fs.String("since", "", "replay events that occurred at or after this RFC 3339 time")
		before := a.fs.String("before", "", "…and before this RFC 3339 time")
		if err := a.parse(args, "ENDPOINT"); err != nil {
			return err
		}
		r := client.WebhookReplay{After: *after, Until: *until}
		for _, t := range []struct {
			s   string
			dst *time.Time
		}{{*since, &r.Since}, {*before, &r.Before}} {
			if t.s == "" {
				continue
			}
			v, err := time.Parse(time.RFC3339, t.s)
			if err != nil {
				return usageError{fmt.Sprintf("%q is not an RFC 3339 time such as 2030-01-02T15:04:05Z", t.s)}
			}
			*t.dst = v
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		n, err := c.ReplayWebhookEvents(ctx, a.args[0], r)
		if err != nil {
			return err
		}
		if a.asJSON {
			return a.print(map[string]int{"enqueued": n}, "", nil)
		}
		fmt.Fprintf(a.env.Stdout, "%d events enqueued\n", n)
		return nil
	default:
		return unknownSub("webhooks", sub)
	}
}

// printSecret prints an endpoint with its secret: the secret alone on
// stdout (for scripts) and the notice on stderr, or all as JSON.
func (a *apiCmd) printSecret(e client.WebhookEndpoint, notice string) error {
	if a.asJSON {
		return a.print(e, "", nil)
	}
	fmt.Fprintln(a.env.Stderr, notice)
	fmt.Fprintln(a.env.Stdout, e.Secret)
	return nil
}

func allOrList(s string) *[]string {
	l := splitList(s)
	if strings.TrimSpace(s) == "all" || l == nil {
		l = []string{}
	}
	return &l
}

const endpointHeader = "ID\tURL\tENABLED\tTYPES\tORGANIZATIONS\tFAILING SINCE\tDESCRIPTION"

func endpointRows(es ...client.WebhookEndpoint) func(io.Writer) {
	return func(w io.Writer) {
		for _, e := range es {
			enabled := strconv.FormatBool(e.Enabled)
			if e.DisabledReason != "" {
				enabled += " (" + e.DisabledReason + ")"
			}
			failing := "-"
			if !e.FailingSince.IsZero() {
				failing = fmtTime(e.FailingSince)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.URL, enabled, or(strings.Join(e.EventTypes, ","), "all"),
				or(strings.Join(e.OrganizationIDs, ","), "all"), failing, dash(e.Description))
		}
	}
}

const deliveryHeader = "ID\tEVENT\tTYPE\tDIRECTORY\tSEQ\tSTATUS\tATTEMPTS\tLAST RESULT\tNEXT ATTEMPT"

func deliveryRows(ds ...client.WebhookDelivery) func(io.Writer) {
	return func(w io.Writer) {
		for _, d := range ds {
			last := "-"
			if n := len(d.Attempts); n > 0 {
				a := d.Attempts[n-1]
				last = or(a.Error, strconv.Itoa(a.StatusCode))
				if a.Error == "" {
					last = fmt.Sprintf("%d in %.1f ms", a.StatusCode, a.LatencyMS)
				}
			}
			next := "-"
			if d.Status == "pending" {
				next = fmtTime(d.NextAttemptAt)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\n", d.ID, d.EventID, d.EventType, dash(d.DirectoryID), d.Sequence,
				d.Status, d.AttemptCount, last, next)
		}
	}
}
