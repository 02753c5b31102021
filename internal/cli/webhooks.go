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

// webhooksCommand is "scimbridge webhooks list|create|get|update|delete|
// rotate|deliveries|retry|test|replay". Secrets are printed only by create
// and rotate, as the API returns them only then.
func webhooksCommand() command {
	ep := []string{"ENDPOINT"}
	return command{name: "webhooks", summary: "webhook endpoints and their deliveries", subs: []command{
		{name: "list", summary: "list webhook endpoints", api: webhooksList},
		{name: "create", flagsHint: "--url URL [--types T,…] [--organizations O,…]", required: []string{"url"},
			summary: "create an endpoint (its secret printed once)", api: webhooksCreate},
		{name: "get", pos: ep, summary: "show an endpoint", api: webhooksGet},
		{name: "update", pos: ep, flagsHint: "[--url URL] [--types T,…|all] [--enabled B]", summary: "change an endpoint", api: webhooksUpdate},
		{name: "delete", pos: ep, summary: "delete an endpoint", api: webhooksDelete},
		{name: "rotate", pos: ep, summary: "rotate an endpoint's signing secret (printed once)", api: webhooksRotate},
		{name: "deliveries", pos: ep, flagsHint: "[--limit N]", summary: "list an endpoint's newest deliveries", api: webhooksDeliveries},
		{name: "retry", pos: []string{"ENDPOINT", "DELIVERY"}, summary: "send a delivery again", api: webhooksRetry},
		{name: "test", pos: ep, summary: "send a test event", api: webhooksTest},
		{name: "replay", pos: ep, flagsHint: "[--after N] [--until N] [--since T] [--before T]",
			summary: "send past events again", api: webhooksReplay},
	}}
}

func webhooksList(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		es, err := collect(c.WebhookEndpoints(ctx, client.ListOptions{PageSize: 100}))
		if err != nil {
			return err
		}
		return a.print(es, endpointHeader, endpointRows(es...))
	}
}

func webhooksCreate(a *apiCmd) apiFunc {
	url := a.fs.String("url", "", "where to send events: an absolute http(s) URL (required)")
	desc := a.fs.String("description", "", "a description")
	types := a.fs.String("types", "", "comma-separated event types to send (default: all)")
	orgs := a.fs.String("organizations", "", "comma-separated organization ids to send events of (default: all)")
	return func(ctx context.Context, c *client.Client) error {
		e, err := c.CreateWebhookEndpoint(ctx, client.WebhookEndpointCreate{URL: *url, Description: *desc,
			EventTypes: splitList(*types), OrganizationIDs: splitList(*orgs)})
		if err != nil {
			return err
		}
		return a.printSecret(e, "Created webhook endpoint "+e.ID+". This is the only time its signing secret is shown:")
	}
}

func webhooksGet(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		e, err := c.GetWebhookEndpoint(ctx, a.args[0])
		if err != nil {
			return err
		}
		return a.print(e, endpointHeader, endpointRows(e))
	}
}

func webhooksUpdate(a *apiCmd) apiFunc {
	var u client.WebhookEndpointUpdate
	url := a.fs.String("url", "", "new URL")
	desc := a.fs.String("description", "", "new description")
	types := a.fs.String("types", "", `event types to send, comma-separated ("all" to send every type)`)
	orgs := a.fs.String("organizations", "", `organization ids, comma-separated ("all" for every organization)`)
	enabled := a.fs.String("enabled", "", "true or false")
	a.check(func() error {
		if *enabled == "" {
			return nil
		}
		b, err := strconv.ParseBool(*enabled)
		if err != nil {
			return usageError{"--enabled must be true or false"}
		}
		u.Enabled = &b
		return nil
	})
	return func(ctx context.Context, c *client.Client) error {
		a.fs.Visit(func(f *flag.Flag) { // only the flags given change the endpoint
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
		e, err := c.UpdateWebhookEndpoint(ctx, a.args[0], u)
		if err != nil {
			return err
		}
		return a.print(e, endpointHeader, endpointRows(e))
	}
}

func webhooksDelete(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		if err := c.DeleteWebhookEndpoint(ctx, a.args[0]); err != nil {
			return err
		}
		fmt.Fprintf(a.env.Stderr, "Deleted webhook endpoint %s.\n", a.args[0])
		return nil
	}
}

func webhooksRotate(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		e, err := c.RotateWebhookSecret(ctx, a.args[0])
		if err != nil {
			return err
		}
		return a.printSecret(e, fmt.Sprintf("Rotated the secret of %s; the old one keeps signing until %s. The new secret, shown this once:",
			a.args[0], e.PreviousSecretExpiresAt.Format(time.RFC3339)))
	}
}

func webhooksDeliveries(a *apiCmd) apiFunc {
	limit := a.fs.Int("limit", 20, "how many of the newest deliveries (1–100)")
	a.check(func() error {
		if *limit < 1 || *limit > 100 {
			return usageError{"--limit must be from 1 to 100"}
		}
		return nil
	})
	return func(ctx context.Context, c *client.Client) error {
		ds, _, err := c.ListWebhookDeliveries(ctx, a.args[0], client.ListOptions{PageSize: *limit})
		if err != nil {
			return err
		}
		return a.print(ds, deliveryHeader, deliveryRows(ds...))
	}
}

func webhooksRetry(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		d, err := c.RetryWebhookDelivery(ctx, a.args[0], a.args[1])
		if err != nil {
			return err
		}
		return a.print(d, deliveryHeader, deliveryRows(d))
	}
}

func webhooksTest(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		d, err := c.SendTestWebhook(ctx, a.args[0])
		if err != nil {
			return err
		}
		return a.print(d, deliveryHeader, deliveryRows(d))
	}
}

func webhooksReplay(a *apiCmd) apiFunc {
	var r client.WebhookReplay
	a.fs.Int64Var(&r.After, "after", 0, "replay events after this feed position (a next_cursor)")
	a.fs.Int64Var(&r.Until, "until", 0, "…up to and including this position (default: no bound)")
	since := a.fs.String("since", "", "replay events that occurred at or after this RFC 3339 time")
	before := a.fs.String("before", "", "…and before this RFC 3339 time")
	a.check(func() (err error) {
		if r.Since, err = parseTimeFlag(*since); err != nil {
			return err
		}
		r.Before, err = parseTimeFlag(*before)
		return err
	})
	return func(ctx context.Context, c *client.Client) error {
		n, err := c.ReplayWebhookEvents(ctx, a.args[0], r)
		if err != nil {
			return err
		}
		if a.asJSON {
			return a.print(map[string]int{"enqueued": n}, "", nil)
		}
		fmt.Fprintf(a.env.Stdout, "%d events enqueued\n", n)
		return nil
	}
}

// parseTimeFlag parses an RFC 3339 time; "" is the zero time.
func parseTimeFlag(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usageError{fmt.Sprintf("%q is not an RFC 3339 time such as 2030-01-02T15:04:05Z", s)}
	}
	return t, nil
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
