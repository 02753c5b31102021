package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/scimbridge/scimbridge/client"
)

// command is one entry of the command table: a group of subcommands, or a
// leaf that runs. The usage text, the messages about a missing or unknown
// subcommand, and dispatch all derive from the table, so they cannot drift
// apart.
type command struct {
	name    string
	aliases []string
	// pos names the positional arguments: usage shows them, and an API leaf
	// takes exactly these (see apiCmd.parse).
	pos []string
	// flagsHint is what usage shows after pos, e.g. "--name NAME [--external-id ID]".
	flagsHint string
	summary   string
	// required lists the flags an API leaf cannot run without; each must be
	// non-empty.
	required []string

	subs  []command                                               // a group
	local func(ctx context.Context, args []string, env Env) error // a leaf that runs in this process
	api   func(a *apiCmd) apiFunc                                 // a leaf that calls the management API
}

// apiFunc is the body of an API leaf. The leaf's setup function defines its
// flags on apiCmd.fs and returns its apiFunc, which runs once the flags and
// positional arguments are parsed and checked.
type apiFunc func(ctx context.Context, c *client.Client) error

// commands is the command table, in the order usage lists it.
func commands() []command {
	return []command{
		{name: "serve", flagsHint: "[flags]", summary: "run the server (SQLite in ./scimbridge-data by default)", local: serve},
		{name: "migrate", flagsHint: "[flags]", summary: "apply database migrations and exit", local: migrate},
		{name: "backup", flagsHint: "--to FILE [flags]", summary: "write a consistent snapshot of the SQLite database, while serving", local: backupCmd},
		{name: "restore", flagsHint: "--from FILE [flags]", summary: "put a backup in place as the database of a stopped server", local: restoreCmd},
		apikeysCommand(),
		{name: "simulate", flagsHint: "--idp I --endpoint URL --token T",
			summary: "drive a SCIM endpoint the way an IdP does, then verify it", local: simulateCmd},
		{name: "version", aliases: []string{"--version", "-version"}, summary: "print the version", local: printVersion},
		orgsCommand(),
		directoriesCommand(),
		holdsCommand(),
		tokensCommand(),
		usersCommand(),
		groupsCommand(),
		rolesCommand(),
		roleMappingsCommand(),
		customAttributesCommand(),
		attributeMappingsCommand(),
		eventsCommand(),
		webhooksCommand(),
		portalLinkCommand(),
		auditLogCommand(),
	}
}

// find returns the command of cmds called name.
func find(cmds []command, name string) (command, bool) {
	for _, c := range cmds {
		if c.name == name || contains(c.aliases, name) {
			return c, true
		}
	}
	return command{}, false
}

// isAPI reports whether c talks to a running server.
func (c command) isAPI() bool {
	if len(c.subs) > 0 {
		return c.subs[0].isAPI()
	}
	return c.api != nil
}

// exec runs c, called as "scimbridge PATH", with the arguments after PATH.
func (c command) exec(ctx context.Context, path string, args []string, env Env) error {
	switch {
	case len(c.subs) > 0:
		return c.execGroup(ctx, path, args, env)
	case c.api != nil:
		return runAPI(ctx, path, c, args, env)
	default:
		return c.local(ctx, args, env)
	}
}

func (c command) execGroup(ctx context.Context, path string, args []string, env Env) error {
	if len(args) > 0 && isHelpFlag(args[0]) {
		fmt.Fprint(env.Stdout, groupUsage(path, c))
		return flag.ErrHelp
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageError{fmt.Sprintf("%s needs a subcommand: %s", path, c.subList())}
	}
	sub, ok := find(c.subs, args[0])
	if !ok {
		return usageError{fmt.Sprintf("unknown %s subcommand %q: want %s", path, args[0], c.subList())}
	}
	return sub.exec(ctx, path+" "+sub.name, args[1:], env)
}

func isHelpFlag(s string) bool { return s == "-h" || s == "-help" || s == "--help" }

// subNames returns the names of a group's subcommands.
func (c command) subNames() []string {
	names := make([]string, len(c.subs))
	for i, s := range c.subs {
		names[i] = s.name
	}
	return names
}

// subList lists a group's subcommands as "a, b or c".
func (c command) subList() string {
	names := c.subNames()
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// usage is the text "scimbridge help" prints.
func usage(cmds []command) string {
	var b strings.Builder
	b.WriteString("scimbridge: SCIM 2.0 directory sync for B2B apps\n\nUsage:\n")
	for _, c := range cmds {
		if !c.isAPI() {
			writeUsageLines(&b, "", c)
		}
	}
	b.WriteString("\nManagement commands (talk to a running server; --server or $SCIMBRIDGE_SERVER,\n" +
		"default " + defaultServer + "; --api-key or $SCIMBRIDGE_API_KEY; --json for scripts):\n")
	for _, c := range cmds {
		if c.isAPI() {
			b.WriteString("  scimbridge " + c.name + " " + strings.Join(c.subNames(), "|") + "\n")
		}
	}
	b.WriteString("\nRun \"scimbridge COMMAND -h\" for a command's subcommands or flags. Every server\n" +
		"flag also has an environment variable, shown in its help.\n")
	return b.String()
}

// groupUsage is the text "scimbridge GROUP -h" prints.
func groupUsage(path string, c command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scimbridge %s: %s\n\nUsage:\n", path, c.summary)
	for _, s := range c.subs {
		writeUsageLines(&b, path+" ", s)
	}
	fmt.Fprintf(&b, "\nRun \"scimbridge %s SUBCOMMAND -h\" for a subcommand's flags.\n", path)
	return b.String()
}

// usageColumn is where the summaries of usage lines start.
const usageColumn = 39

// writeUsageLines writes one line per leaf of c, whose parents are prefix.
func writeUsageLines(b *strings.Builder, prefix string, c command) {
	if len(c.subs) > 0 {
		for _, s := range c.subs {
			writeUsageLines(b, prefix+c.name+" ", s)
		}
		return
	}
	left := "  scimbridge " + prefix + c.name
	for _, p := range c.pos {
		left += " " + p
	}
	if c.flagsHint != "" {
		left += " " + c.flagsHint
	}
	if n := utf8.RuneCountInString(left); n < usageColumn-1 {
		left += strings.Repeat(" ", usageColumn-n)
	} else {
		left += "\n" + strings.Repeat(" ", usageColumn)
	}
	b.WriteString(left + c.summary + "\n")
}
