// Package storetest is the conformance suite every directory.Store must
// pass, in the style of dex's storage/conformance: Run executes a table of
// named subtests, each against a fresh, empty, migrated store, covering every
// Store method and the error contract written on directory.Store;
// RunFilterDifferential checks that the store's filter implementation (for
// SQL stores, the filter-to-SQL compiler) selects exactly the resources that
// filter.Eval selects over the same data rendered as SCIM documents.
//
// A backend's test calls both with a constructor:
//
//	func TestSQLite(t *testing.T) { storetest.Run(t, newSQLiteStore) }
//
// newStore must return a store that is empty and migrated, and must register
// its own cleanup (closing the store, dropping the database) with t.Cleanup.
package storetest
