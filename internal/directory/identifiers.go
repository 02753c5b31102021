package directory

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// MaxIdentifierBytes is the most UTF-8 bytes an indexed identifier may
// hold: a user's userName, externalId, displayName, name.familyName and
// email values, a group's displayName and externalId, and an
// organization's external_id (docs/operations.md, "Limits: identifier
// lengths and input validation").
//
// The stores index these values, lower-cased and beside the directory id.
// A PostgreSQL B-tree entry holds at most about 2,700 bytes, and
// lower-casing can make a string up to half as long again (U+023A, two
// bytes, lower-cases to U+2C65, three), so 1,024 bytes keeps every entry
// well inside it on both backends: the same request gets the same answer
// on SQLite and on PostgreSQL. Real identifiers are far shorter (an email
// address is at most 254 bytes, RFC 5321 §4.5.3.1).
const MaxIdentifierBytes = 1024

// tooLong is the error for an identifier over the limit; for the SCIM
// surface it is 400 invalidValue (RFC 7644 §3.12).
func tooLong(attr string, n int) error {
	return &Error{Kind: KindInvalid, ScimType: schema.ErrInvalidValue,
		Message: fmt.Sprintf("%s is %d bytes long; identifiers are limited to %d bytes (UTF-8)", attr, n, MaxIdentifierBytes)}
}

// checkIdentifier checks one identifier value against MaxIdentifierBytes.
func checkIdentifier(attr, v string) error {
	if len(v) > MaxIdentifierBytes {
		return tooLong(attr, len(v))
	}
	return nil
}

// checkUserIdentifiers checks the indexed values of a user document: the
// columns the stores index (userName, externalId, the display name, the
// family name, the primary email). Every email value is checked, since
// any of them can become the primary one.
func checkUserIdentifiers(doc schema.Resource) error {
	for _, attr := range []string{"userName", "externalId", "displayName"} {
		if s, ok := doc[attr].(string); ok {
			if err := checkIdentifier(attr, s); err != nil {
				return err
			}
		}
	}
	if name, ok := doc["name"].(map[string]any); ok {
		if s, ok := name["familyName"].(string); ok {
			if err := checkIdentifier("name.familyName", s); err != nil {
				return err
			}
		}
	}
	emails, _ := doc["emails"].([]any)
	for i, e := range emails {
		m, _ := e.(map[string]any)
		if s, ok := m["value"].(string); ok {
			if err := checkIdentifier(fmt.Sprintf("emails[%d].value", i), s); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkGroupIdentifiers checks the indexed values of a group document.
func checkGroupIdentifiers(doc schema.Resource) error {
	for _, attr := range []string{"displayName", "externalId"} {
		if s, ok := doc[attr].(string); ok {
			if err := checkIdentifier(attr, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// storableIDs returns ids without those no stored id can equal: text that
// is not UTF-8 or holds NUL, which PostgreSQL cannot even compare (a PATCH
// path filter such as members[value eq "\u0000"] decodes to one). Like a
// filter literal with NUL, such an id matches nothing.
func storableIDs(ids []string) []string {
	out := ids[:0:0]
	for _, id := range ids {
		if utf8.ValidString(id) && strings.IndexByte(id, 0) < 0 {
			out = append(out, id)
		}
	}
	return out
}
