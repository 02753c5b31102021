package filter

// Limits that keep hostile input cheap. A filter arrives in a URL query or a
// request body (RFC 7644 §3.4.2.2, §3.4.3) and a PATCH path in a request body
// (RFC 7644 §3.5.2); neither needs to be large or deeply nested.
const (
	// MaxLen is the longest filter or PATCH path accepted, in bytes. Its
	// canonical form (Format, PatchPath.String) must fit too, so that what
	// Parse accepts always survives a round trip.
	MaxLen = 8 << 10
	// MaxDepth is the deepest nesting of "(", "not (" and "[" accepted.
	MaxDepth = 32
)

// canonicalCheckLen is the input length from which Parse and ParsePatchPath
// also measure the canonical form: Format adds at most a few bytes per input
// byte (quotes, separating spaces, \uXXXX escapes), so shorter input cannot
// reach MaxLen.
const canonicalCheckLen = MaxLen / 8
