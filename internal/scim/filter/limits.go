package filter

// Limits that keep hostile input cheap. A filter arrives in a URL query or a
// request body (RFC 7644 §3.4.2.2, §3.4.3) and a PATCH path in a request body
// (RFC 7644 §3.5.2); neither needs to be large or deeply nested.
const (
	// MaxLen is the longest filter or PATCH path accepted, in bytes.
	MaxLen = 8 << 10
	// MaxDepth is the deepest nesting of "(", "not (" and "[" accepted.
	MaxDepth = 32
)
