// Package directory is the domain of scimbridge: organizations, directories,
// their bearer tokens, the users and groups an identity provider provisions
// into them, and the Store interface every storage backend implements.
//
// It knows SCIM documents (through internal/scim/...) but nothing of HTTP or
// SQL: surfaces call its services, and backends implement its Store.
package directory
