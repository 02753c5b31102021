package scimapi

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// field is one member of an object.
type field struct {
	key   string
	value any
}

// object is a JSON object whose members are written in order, so that a
// resource reads schemas, id, externalId, meta, then attributes in schema
// order (encoding/json would sort map keys).
type object []field

// MarshalJSON implements json.Marshaler.
func (o object) MarshalJSON() ([]byte, error) { return marshal(o) }

// marshalSize is what marshal allocates first: a user with a few groups
// and its trailing newline (writeJSON) fits.
const marshalSize = 1024

// marshal encodes v as JSON without escaping <, > and & (the values are
// the IdP's data, shown as sent; responses are never HTML). Objects are
// written in their field order straight into one buffer: no per-field
// encoders, and no re-validation of nested Marshaler output.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(marshalSize) // grown from 64 bytes, a user took five copies
	if err := newEncoder(&b).encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// jsonOut is where an encoder writes: a bytes.Buffer, or a bufio.Writer
// in front of a response (list pages are streamed, page.go).
type jsonOut interface {
	io.Writer
	io.ByteWriter
}

// encoder writes JSON values to out. Objects, lists and maps are walked
// here, so that streaming a resource never holds more than its largest
// scalar value in an extra buffer; maps are written in sorted key order,
// as encoding/json writes them.
type encoder struct {
	out     jsonOut
	buf     *bytes.Buffer // out, when it is a bytes.Buffer
	scratch bytes.Buffer  // scalars, when out is a stream
	enc     *json.Encoder // for scalars other than strings, booleans and null; made when first needed
	tmp     []byte        // a string being escaped
}

func newEncoder(out jsonOut) *encoder {
	e := &encoder{out: out}
	if b, ok := out.(*bytes.Buffer); ok {
		e.buf = b
	}
	return e
}

func encodeList[T any](e *encoder, list []T) error {
	if err := e.out.WriteByte('['); err != nil {
		return err
	}
	for i, v := range list {
		if i > 0 {
			e.out.WriteByte(',')
		}
		if err := e.encode(v); err != nil {
			return err
		}
	}
	return e.out.WriteByte(']')
}

func (e *encoder) encode(v any) error {
	switch x := v.(type) {
	case object:
		e.out.WriteByte('{')
		for i, f := range x {
			if i > 0 {
				e.out.WriteByte(',')
			}
			if err := e.str(f.key); err != nil {
				return err
			}
			e.out.WriteByte(':')
			if err := e.encode(f.value); err != nil {
				return err
			}
		}
		return e.out.WriteByte('}')
	case []object:
		return encodeList(e, x)
	case []any:
		return encodeList(e, x)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		e.out.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				e.out.WriteByte(',')
			}
			if err := e.str(k); err != nil {
				return err
			}
			e.out.WriteByte(':')
			if err := e.encode(x[k]); err != nil {
				return err
			}
		}
		return e.out.WriteByte('}')
	default:
		return e.scalar(x)
	}
}

// scalar writes a value as encoding/json encodes it (without HTML
// escaping), without the newline json.Encoder adds. Strings, booleans and
// null, nearly every scalar of a resource, are written here without
// reflection; anything else goes through json.Encoder.
func (e *encoder) scalar(v any) error {
	switch x := v.(type) {
	case string:
		return e.str(x)
	case bool:
		if x {
			_, err := e.out.Write([]byte("true"))
			return err
		}
		_, err := e.out.Write([]byte("false"))
		return err
	case nil:
		_, err := e.out.Write([]byte("null"))
		return err
	}
	if e.enc == nil {
		if e.buf != nil {
			e.enc = json.NewEncoder(e.buf)
		} else {
			e.enc = json.NewEncoder(&e.scratch)
		}
		e.enc.SetEscapeHTML(false)
	}
	if e.buf != nil {
		if err := e.enc.Encode(v); err != nil {
			return err
		}
		e.buf.Truncate(e.buf.Len() - 1)
		return nil
	}
	e.scratch.Reset()
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	_, err := e.out.Write(e.scratch.Bytes()[:e.scratch.Len()-1])
	return err
}

// str writes a JSON string (a member name or a string value): taking it
// as a string, not an any, spares boxing it.
func (e *encoder) str(s string) error {
	e.tmp = appendJSONString(e.tmp[:0], s)
	_, err := e.out.Write(e.tmp)
	return err
}

// appendJSONString appends s as a JSON string the way encoding/json writes
// it with HTML escaping off: '"' and '\' escaped, control characters as
// \b, \f, \n, \r, \t or \u00XX, invalid UTF-8 as \ufffd, and U+2028 and
// U+2029 escaped (RFC 8259 §7).
func appendJSONString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// timestamp renders a time as RFC 3339 in UTC (RFC 7643 §2.3.5).
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// resource is what render needs of a stored user or group.
type resource struct {
	rt       *schema.ResourceType
	id       string
	doc      schema.Resource
	version  int64
	created  time.Time
	modified time.Time
	// derived is the attribute whose value comes from the store rather
	// than the document: a user's "groups", a group's "members"; its value
	// is derivedValue (nil: none).
	derived      string
	derivedValue any
}

// render builds the SCIM representation of a resource (RFC 7643 §3),
// projected by p. Only the core schema and the resource type's declared
// extensions are rendered; extension data under URNs we do not declare is
// kept for the app but not echoed to the IdP. Attributes returned "never"
// (password, which is not stored anyway) are never rendered.
func (c *call) render(res resource, p *projection) object {
	rt := res.rt
	// o[0] is "schemas", filled in last.
	o := make(object, 2, 4+len(rt.Schema.Attributes)+len(rt.Extensions))
	o[1] = field{"id", res.id}
	add := func(urn, name string, v any) {
		if v = p.pick(urn, name, v); v != nil {
			o = append(o, field{name, v})
		}
	}
	if ext, ok := res.doc["externalId"].(string); ok && ext != "" {
		add("", "externalId", ext)
	}
	add("", "meta", object{
		{"resourceType", rt.ID},
		{"created", timestamp(res.created)},
		{"lastModified", timestamp(res.modified)},
		{"location", c.location(rt, res.id)},
		{"version", directory.ETag(res.version)},
	})
	for _, a := range rt.Schema.Attributes {
		if a.Returned == schema.Never {
			continue
		}
		var v any
		if a.Name == res.derived {
			v = res.derivedValue
		} else {
			v = res.doc[a.Name]
		}
		if v != nil {
			add("", a.Name, v)
		}
	}
	urns := []string{rt.Schema.ID}
	for _, e := range rt.Extensions {
		m, _ := res.doc[e.Schema.ID].(map[string]any)
		if len(m) == 0 {
			continue
		}
		out := make(map[string]any, len(m))
		for _, a := range e.Schema.Attributes {
			if a.Returned == schema.Never {
				continue
			}
			if v := p.pick(e.Schema.ID, a.Name, m[a.Name]); v != nil {
				out[a.Name] = v
			}
		}
		if len(out) > 0 {
			o = append(o, field{e.Schema.ID, out})
			urns = append(urns, e.Schema.ID)
		}
	}
	// RFC 7643 §3: "schemas" lists the schemas the representation holds.
	o[0] = field{"schemas", urns}
	return o
}

// user renders a user. groups are its direct groups (RFC 7643 §4.1.2);
// nil when it has none or the projection does not want them.
func (c *call) user(u directory.User, groups []directory.GroupRef, p *projection) object {
	return c.render(c.listedUser(u, groups), p)
}

// group renders a group with its members (RFC 7643 §4.2); members is nil
// when it has none or the projection does not want them.
func (c *call) group(g directory.Group, members []directory.Member, p *projection) object {
	return c.render(c.listedGroup(g, members), p)
}
