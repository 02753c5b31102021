package directory

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// Default size limits of a stored resource (docs/operations.md, "Limits:
// resource sizes, response pages and concurrency"). They are far above what
// any identity provider sends (the largest string in testdata/idp is a few
// hundred bytes), and low enough that one directory cannot make a list
// response, an event or a webhook delivery cost the process gigabytes.
const (
	DefaultMaxValueBytes    = 64 << 10
	DefaultMaxResourceBytes = 1 << 20
)

// Limits bound the size of a user or group document. Zero values take the
// defaults above.
type Limits struct {
	// MaxValueBytes bounds each string value (UTF-8 bytes) anywhere in a
	// document, extension attributes and sub-attributes included.
	MaxValueBytes int
	// MaxResourceBytes bounds a whole document as JSON. A group's members
	// are not part of its document (they are rows) and do not count.
	MaxResourceBytes int
}

func (l Limits) withDefaults() Limits {
	if l.MaxValueBytes <= 0 {
		l.MaxValueBytes = DefaultMaxValueBytes
	}
	if l.MaxResourceBytes <= 0 {
		l.MaxResourceBytes = DefaultMaxResourceBytes
	}
	return l
}

// docSize is what checkSize learns of a document in one walk.
type docSize struct {
	total     int            // approximate JSON length of the whole document
	top       map[string]int // JSON length of each top-level attribute (extension attributes as urn:…:name)
	oversized []oversized    // string values over the limit
}

type oversized struct {
	path  string // attribute path, e.g. "title", "emails.value", "urn:…:User:department"
	value string
}

// measure walks a document. Group members are skipped: they are rows.
func measure(doc schema.Resource, maxValue int) docSize {
	s := docSize{total: 2, top: map[string]int{}}
	for k, v := range doc {
		if k == "members" {
			continue
		}
		if isURNKey(k) {
			if ext, ok := v.(map[string]any); ok {
				s.total += len(k) + 6 // "k":{},
				for name, ev := range ext {
					n := len(name) + 4 + s.walk(k+":"+name, ev, maxValue)
					s.top[k+":"+name] += n
					s.total += n
				}
				continue
			}
		}
		n := len(k) + 4 + s.walk(k, v, maxValue)
		s.top[k] += n
		s.total += n
	}
	return s
}

// walk returns the approximate JSON length of v and records oversized
// strings under path.
func (s *docSize) walk(path string, v any, maxValue int) int {
	switch x := v.(type) {
	case string:
		if len(x) > maxValue {
			s.oversized = append(s.oversized, oversized{path: path, value: x})
		}
		return jsonStringLen(x)
	case map[string]any:
		n := 2
		for k, e := range x {
			n += len(k) + 4 + s.walk(path+"."+k, e, maxValue)
		}
		return n
	case []any:
		n := 2
		for _, e := range x {
			n += 1 + s.walk(path, e, maxValue)
		}
		return n
	case json.Number:
		if len(x) > maxValue {
			s.oversized = append(s.oversized, oversized{path: path, value: string(x)})
		}
		return len(x)
	case bool:
		return 5
	default:
		return 4 // null, or a number of another type
	}
}

// jsonStringLen is the length of s as a JSON string: quotes, and escapes
// for quotes, backslashes and control characters.
func jsonStringLen(s string) int {
	n := len(s) + 2
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			n++
		case c < 0x20:
			n += 5
		}
	}
	return n
}

func isURNKey(k string) bool { return len(k) > 4 && strings.EqualFold(k[:4], "urn:") }

// checkSize enforces the size limits on a document about to be stored:
// every string value at most MaxValueBytes, the document at most
// MaxResourceBytes. old is the stored document a replace or patch starts
// from (nil for a creation): a resource stored before the limits existed
// (or under higher ones) can still be updated, for instance deactivated,
// as long as the update adds no oversized value and does not make the
// document larger. The error is 400 invalidValue (RFC 7644 §3.12) naming
// the attribute.
func (s *Service) checkSize(kind string, doc, old schema.Resource) error {
	lim := s.Limits.withDefaults()
	got := measure(doc, lim.MaxValueBytes)
	if len(got.oversized) > 0 {
		var had map[string]bool
		if old != nil {
			prev := measure(old, lim.MaxValueBytes)
			had = make(map[string]bool, len(prev.oversized))
			for _, o := range prev.oversized {
				had[o.path+"\x00"+o.value] = true
			}
		}
		var worst *oversized
		for i, o := range got.oversized {
			if had[o.path+"\x00"+o.value] {
				continue
			}
			if worst == nil || len(o.value) > len(worst.value) || len(o.value) == len(worst.value) && o.path < worst.path {
				worst = &got.oversized[i]
			}
		}
		if worst != nil {
			return &Error{Kind: KindInvalid, ScimType: schema.ErrInvalidValue, Message: fmt.Sprintf(
				"%s is %d bytes; the limit is %d bytes per string value", worst.path, len(worst.value), lim.MaxValueBytes)}
		}
	}
	if got.total <= lim.MaxResourceBytes {
		return nil
	}
	if old != nil && got.total <= measure(old, lim.MaxValueBytes).total {
		return nil
	}
	largest, size := "", 0
	for k, n := range got.top {
		if n > size || n == size && k < largest {
			largest, size = k, n
		}
	}
	return &Error{Kind: KindInvalid, ScimType: schema.ErrInvalidValue, Message: fmt.Sprintf(
		"the %s is %d bytes as JSON; the limit is %d bytes per resource (group members not counted); its largest attribute is %s (%d bytes)",
		kind, got.total, lim.MaxResourceBytes, largest, size)}
}
