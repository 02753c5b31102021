package cli

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestUsageListsTheCommandTable checks that "scimbridge help" lists every
// command and subcommand of the table, so usage cannot drift from dispatch.
func TestUsageListsTheCommandTable(t *testing.T) {
	code, out, _ := run(t, nil, "help")
	if code != 0 {
		t.Fatalf("help: exit %d", code)
	}
	// words[c] holds every word of the usage lines of command c.
	words := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '|' })
		if len(f) >= 2 && f[0] == "scimbridge" {
			words[f[1]] = append(words[f[1]], f[2:]...)
		}
	}
	names := map[string]bool{}
	for _, c := range commands() {
		if names[c.name] {
			t.Errorf("two commands called %q", c.name)
		}
		names[c.name] = true
		w, ok := words[c.name]
		if !ok {
			t.Errorf("usage has no line for %q:\n%s", c.name, out)
			continue
		}
		subs := map[string]bool{}
		for _, s := range c.subs {
			if subs[s.name] {
				t.Errorf("%s has two subcommands called %q", c.name, s.name)
			}
			subs[s.name] = true
			if !slices.Contains(w, s.name) {
				t.Errorf("usage does not list %s %s:\n%s", c.name, s.name, out)
			}
		}
	}
	if len(words) != len(names) {
		t.Errorf("usage lists %d commands, the table has %d", len(words), len(names))
	}
}

// TestGroupMessages checks the messages of each group: -h lists every
// subcommand with its arguments, and a missing or unknown subcommand names
// them all.
func TestGroupMessages(t *testing.T) {
	for _, g := range commands() {
		if len(g.subs) == 0 {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			code, out, stderr := run(t, nil, g.name, "-h")
			if code != 0 || stderr != "" {
				t.Errorf("%s -h: exit %d, stderr %q", g.name, code, stderr)
			}
			for _, s := range g.subs {
				line := strings.TrimSpace(strings.Join(append([]string{"scimbridge", g.name, s.name}, s.pos...), " "))
				if !strings.Contains(out, "  "+line) || !strings.Contains(out, s.summary) {
					t.Errorf("%s -h lacks %q (%s):\n%s", g.name, line, s.summary, out)
				}
			}
			want := g.subList()
			code, _, stderr = run(t, nil, g.name)
			if code != 2 || stderr != fmt.Sprintf("scimbridge: %s needs a subcommand: %s\n", g.name, want) {
				t.Errorf("%s: exit %d, stderr %q", g.name, code, stderr)
			}
			code, _, stderr = run(t, nil, g.name, "bogus")
			if code != 2 || stderr != fmt.Sprintf("scimbridge: unknown %s subcommand \"bogus\": want %s\n", g.name, want) {
				t.Errorf("%s bogus: exit %d, stderr %q", g.name, code, stderr)
			}
		})
	}
	// The derived messages are the ones the hand-written ones were.
	for args, want := range map[string]string{
		"orgs":            "scimbridge: orgs needs a subcommand: create, list, get, update, delete or default-role\n",
		"apikeys":         "scimbridge: apikeys needs a subcommand: create, list or revoke\n",
		"webhooks --json": "scimbridge: webhooks needs a subcommand: list, create, get, update, delete, rotate, deliveries, retry, test or replay\n",
		"users delete":    "scimbridge: unknown users subcommand \"delete\": want list or get\n",
		"roles create":    "scimbridge: roles create needs --key and --name\n",
	} {
		if code, _, stderr := run(t, map[string]string{"SCIMBRIDGE_API_KEY": "k"}, strings.Fields(args)...); code != 2 || stderr != want {
			t.Errorf("%s: exit %d, stderr %q, want %q", args, code, stderr, want)
		}
	}
}

// TestEveryLeafTakesHelp runs "scimbridge COMMAND [SUB] -h" for every leaf
// of the table: its flags are defined without a clash and help exits 0.
func TestEveryLeafTakesHelp(t *testing.T) {
	for _, c := range commands() {
		leaves := c.subs
		if len(leaves) == 0 {
			leaves = []command{c}
		}
		for _, l := range leaves {
			args := []string{c.name}
			if l.name != c.name {
				args = append(args, l.name)
			}
			code, _, stderr := run(t, nil, append(args, "-h")...)
			if code != 0 {
				t.Errorf("%v -h: exit %d, stderr %q", args, code, stderr)
			}
			if l.api != nil && !strings.Contains(stderr, "-api-key") {
				t.Errorf("%v -h does not show the common flags:\n%s", args, stderr)
			}
		}
	}
}
