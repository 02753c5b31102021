// Package cli implements the scimbridge command line: it parses
// subcommands and flags into a config.Config and hands off to app. It holds
// no business logic.
package cli
