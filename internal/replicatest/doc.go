// Package replicatest proves that several `scimbridge serve` processes on
// one PostgreSQL database behave as one service. Its test builds the real
// binary, starts three replicas on a fresh schema, drives IdP traffic
// round-robin through them (the simulate profiles and targeted races) and
// checks uniqueness, group membership, the events feed, webhook delivery,
// token revocation, portal sessions and a replica killed with SIGKILL.
//
// It runs in `go test ./...` when SCIMBRIDGE_TEST_POSTGRES_URL names a
// PostgreSQL server and skips, saying so, otherwise. It has no code
// outside its tests.
package replicatest
