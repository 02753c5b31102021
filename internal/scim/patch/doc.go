// Package patch implements SCIM 2.0 PATCH (RFC 7644 §3.5.2) for scimbridge.
//
// A PATCH is handled in two stages, so that the quirks of real identity
// providers are absorbed in exactly one place and the engine that changes
// documents stays RFC-shaped:
//
//  1. Decode parses the PatchOp message and Normalize turns its operations
//     into a Plan: document operations ([]Op) in one canonical shape, with
//     resolved paths and coerced values, plus group-membership operations
//     ([]MemberOp) that the store applies as row inserts and deletes. Op
//     names in any case (Entra's "Replace"), path-less values with dotted
//     and URN-qualified keys (Okta, Entra's aadOptscim062020, authentik),
//     "True"/"False" strings, Entra's manager shapes, unqualified extension
//     attribute names and both ways of removing group members are all
//     resolved here.
//  2. Apply applies the document operations to a canonical schema.Resource
//     in place and reports whether it changed.
//
// Both stages are all-or-nothing: on error the caller discards the plan and
// the (cloned) document. Every error is a *schema.Error whose ScimType is one
// of the schema.Err* constants; surfaces answer it with status 400.
//
// The package is pure: no I/O, no clock, no randomness. It never panics on
// any input; FuzzApply checks that.
package patch
