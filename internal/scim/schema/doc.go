// Package schema holds the SCIM 2.0 schemas of RFC 7643 as Go values: attribute
// characteristics (§2.2, §7), the core User and Group schemas (§4), the
// Enterprise User extension (§4.3), the resource types we serve (§6), and the
// Resource document type with the functions that read and write it by schema.
//
// Everything here is pure: no I/O, no clock, no randomness.
package schema
