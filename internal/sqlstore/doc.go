// Package sqlstore implements directory.Store over database/sql for SQLite
// (modernc.org/sqlite, pure Go, no cgo) and PostgreSQL (pgx). Queries are
// written by hand with explicit columns using $N placeholders; on SQLite
// they are rewritten to SQLite's numbered ?N form, and every other dialect
// difference is an explicit per-dialect string. SCIM filters are compiled to
// SQL with bound parameters through an allowlist of attribute paths
// (filtersql.go). Migrations are embedded, numbered .sql files per dialect.
//
// On SQLite all writes go through one connection with group commit: writers
// that arrive while a transaction is committing are batched into the next
// one, each inside its own savepoint, so that every write is durable
// (synchronous=FULL) without paying one fsync per write.
package sqlstore
