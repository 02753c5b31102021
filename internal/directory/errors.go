package directory

import (
	"errors"
	"fmt"
)

// Kind is the closed set of error kinds the domain reports. Each surface maps
// kinds to its own status codes.
type Kind int

// Error kinds.
const (
	KindInternal     Kind = iota // a fault of ours; details are logged, never shown
	KindInvalid                  // the request is malformed or breaks a rule
	KindNotFound                 // the object does not exist (or is not visible to the caller)
	KindConflict                 // a uniqueness rule would be broken
	KindPrecondition             // a version precondition (If-Match) failed
	KindUnauthorized             // missing or bad credentials
	KindForbidden                // credentials are fine but the action is not allowed now
	KindTooMany                  // a limit was exceeded
)

func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindNotFound:
		return "not_found"
	case KindConflict:
		return "conflict"
	case KindPrecondition:
		return "precondition_failed"
	case KindUnauthorized:
		return "unauthorized"
	case KindForbidden:
		return "forbidden"
	case KindTooMany:
		return "too_many"
	default:
		return "internal"
	}
}

// Error is a domain error: a kind and a message safe to show to the caller.
// ScimType, when set, is the RFC 7644 §3.12 scimType the SCIM surface reports.
type Error struct {
	Kind     Kind
	Message  string
	ScimType string
	Err      error // the cause, for logs; never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted message.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of err: the Kind of the first *Error in its chain,
// KindInvalid for a SCIM protocol error, else KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// IsNotFound reports whether err is of KindNotFound.
func IsNotFound(err error) bool { return err != nil && KindOf(err) == KindNotFound }

// IsConflict reports whether err is of KindConflict.
func IsConflict(err error) bool { return err != nil && KindOf(err) == KindConflict }
