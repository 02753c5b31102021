// Package config holds scimbridge's one typed configuration: loaded once
// from flags and environment variables by the cli package, validated with
// every problem reported at once, and passed down explicitly.
package config
