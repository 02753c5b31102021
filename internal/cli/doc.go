// Package cli implements the scimbridge command line: it parses
// subcommands and flags into a config.Config and hands off to app, or calls
// a running server's management API through the public client. It holds no
// business logic. Every command is an entry of one table (commands, in
// command.go) from which the usage text, the messages about a missing or
// unknown subcommand, and dispatch derive.
package cli
