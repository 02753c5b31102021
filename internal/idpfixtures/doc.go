// Package idpfixtures replays hand-written recordings of how real identity
// providers talk SCIM (testdata/idp/<idp>/<scenario>.json) against the whole
// HTTP stack (app.App.Handler) on SQLite and, when
// SCIMBRIDGE_TEST_POSTGRES_URL is set, PostgreSQL.
//
// The package has no non-test code: this file only documents it.
//
// # Fixture format
//
// One JSON file per scenario, decoded strictly (an unknown field is an
// error, so a typo cannot silently disable an assertion):
//
//	{
//	  "idp": "okta",                     // directory of testdata/idp it lives in
//	  "provider": "okta",                // optional: directory provider; default from idp
//	  "description": "…",
//	  "source": "where the behaviour is documented",
//	  "base_query": "aadOptscim062020",  // optional: appended to every request's query
//	  "headers": {"User-Agent": "…"},    // optional: default headers of every step
//	  "steps": [ step, … ]
//	}
//
// A step:
//
//	{
//	  "name": "create user",
//	  "method": "POST",
//	  "path": "/Users?filter=…",         // relative to the directory's SCIM base URL
//	  "headers": {"Authorization": "{{bearer}}", "Content-Type": "application/scim+json"},
//	  "body": { … } | "raw_body": "…",   // at most one
//	  "repeat": 5,                       // optional: run the step 5 times with {{i}} = 1..5
//	  "expect": {
//	    "status": 201,                   // required
//	    "json": { … },                   // subset match, see below
//	    "json_contains": { … },          // subset match where arrays need only contain
//	    "absent": ["/password"],         // JSON Pointers (RFC 6901) that must not exist
//	    "present": ["/id"],              // JSON Pointers that must exist (any value)
//	    "headers": {"Content-Type": "application/scim+json"},
//	    "empty_body": true               // the response body must be empty (204)
//	  },
//	  "capture": {"alice": "/id"},       // save a response value under a name
//	  "known_bug": "…"                   // see below
//	}
//
// A step's headers override the scenario's of the same name (an empty
// value removes it). Headers are sent exactly as written: no default User-Agent is added, so a
// step without one sends none (as Entra does). Go's client cannot send an
// empty header value; "User-Agent": "" also sends none.
//
// # Placeholders
//
// "{{name}}" is replaced in paths, header values, bodies (every JSON string,
// keys excluded), raw bodies and expectations. Names: bearer ("Bearer
// <token>"), bare ("<token>"), basic ("Basic base64(<idp>:<token>)"), token,
// base (the SCIM base URL), dir (the directory id), i (the repeat counter)
// and every captured name. A JSON string that is exactly one placeholder
// takes the captured value with its JSON type. An unknown placeholder fails
// the test.
//
// # Matching
//
// Expectations are hand-written, not goldens: there is no -update flag.
// An expected object matches an actual object that has every expected key
// with a matching value (other keys are ignored). An expected array in
// "json" matches an actual array of the same length whose elements can be
// paired one-to-one with the expected ones, in any order (SCIM multi-valued
// attributes are unordered); in "json_contains" the actual array may hold
// more elements. Numbers compare numerically, strings exactly, null only
// matches null. An expected header matches the actual value exactly or up
// to its parameters ("application/scim+json" matches
// "application/scim+json; charset=utf-8"); an expected "" means absent.
//
// # Known bugs
//
// A step with "known_bug" is still sent (and its captures taken), but its
// mismatches are logged with t.Log instead of failing. If such a step
// passes, the test fails, asking for the marker to be removed.
package idpfixtures
