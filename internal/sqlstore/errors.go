package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// nowUTC is used only to stamp applied migrations.
func nowUTC() time.Time { return time.Now().UTC() }

// isUnique reports whether err is a unique-constraint violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// isForeignKey reports whether err is a foreign-key violation.
func isForeignKey(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	return false
}

// retryable reports whether err is a PostgreSQL deadlock or serialization
// failure: the transaction was rolled back and may simply be run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// refusedValue maps PostgreSQL's refusals of a value the request supplied
// to directory.KindInvalid: 54000 program_limit_exceeded (an index entry
// over the B-tree limit of about 2,700 bytes, a JSON document too large),
// 22021 character_not_in_repertoire (invalid UTF-8, NUL in text) and 22P05
// untranslatable_character (\u0000 in jsonb). The surfaces validate input
// before it gets here (directory.MaxIdentifierBytes, directory.CheckText);
// this is the defence in depth that keeps a value they missed a 400 rather
// than a 500. Other errors are returned unchanged.
func refusedValue(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "54000":
		return &directory.Error{Kind: directory.KindInvalid, ScimType: schema.ErrInvalidValue, Err: err,
			Message: fmt.Sprintf("a value is too large for the database to store or index; identifiers are limited to %d bytes", directory.MaxIdentifierBytes)}
	case "22021", "22P05":
		return &directory.Error{Kind: directory.KindInvalid, ScimType: schema.ErrInvalidValue, Err: err,
			Message: "a value holds text the database cannot store: invalid UTF-8 or a NUL character"}
	}
	return err
}

// translate maps driver errors to the directory error contract.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &directory.Error{Kind: directory.KindNotFound, Message: "not found", Err: err}
	}
	return err
}

func notFound(what, id string) error {
	return directory.Errorf(directory.KindNotFound, "%s %q not found", what, id)
}

func conflict(msg string, err error) error {
	return &directory.Error{Kind: directory.KindConflict, Message: msg, ScimType: "uniqueness", Err: err}
}
