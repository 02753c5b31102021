package schema

import "fmt"

// SCIM error types for status 400 (RFC 7644 §3.12, Table 9) that the protocol
// packages produce.
const (
	ErrInvalidFilter = "invalidFilter"
	ErrTooMany       = "tooMany"
	ErrUniqueness    = "uniqueness"
	ErrMutability    = "mutability"
	ErrInvalidSyntax = "invalidSyntax"
	ErrInvalidPath   = "invalidPath"
	ErrNoTarget      = "noTarget"
	ErrInvalidValue  = "invalidValue"
	ErrSensitive     = "sensitive"
)

// Error is a client error found while reading a SCIM document, filter or
// PATCH request. ScimType is one of the Err* constants; Detail is safe to show
// to the client. Surfaces answer it with status 400.
type Error struct {
	ScimType string
	Detail   string
}

func (e *Error) Error() string { return e.ScimType + ": " + e.Detail }

// Errorf builds an *Error.
func Errorf(scimType, format string, args ...any) *Error {
	return &Error{ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}
