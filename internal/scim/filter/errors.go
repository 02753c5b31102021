package filter

import (
	"errors"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// unknownAttrError marks a *schema.Error that was caused by an attribute the
// resource type does not define, so that callers may choose to be lenient
// (RFC 7644 §3.5.2 lets a service provider ignore unknown PATCH targets).
// errors.As still finds the *schema.Error inside.
type unknownAttrError struct{ err *schema.Error }

func (e *unknownAttrError) Error() string { return e.err.Error() }
func (e *unknownAttrError) Unwrap() error { return e.err }

func unknownAttr(scimType, format string, args ...any) error {
	return &unknownAttrError{err: schema.Errorf(scimType, format, args...)}
}

// IsUnknownAttribute reports whether err, returned by Resolve or
// ResolvePatchPath, is about an attribute (or schema URN) that the resource
// type does not define. Such errors are still *schema.Error for errors.As.
func IsUnknownAttribute(err error) bool {
	var u *unknownAttrError
	return errors.As(err, &u)
}
