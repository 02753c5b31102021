// Package netdelay is a TCP proxy that adds latency and counts round trips,
// for tests and benchmarks that need a database "on another host" on one
// machine.
//
// Every chunk of bytes read from either side is written to the other side
// Delay later (so a request and its response cost 2×Delay more than on the
// loopback), keeping the order of each direction. The proxy also counts,
// over all its connections, the client's round trips: the times a client
// sends after it last received (or for the first time). A pipelined batch of
// statements is one round trip; a statement and its separate COMMIT are two.
package netdelay
