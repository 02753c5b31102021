// Package app is the composition root: it opens the store, migrates it,
// builds the domain service and mounts every surface on one HTTP server.
// Only this package knows the concrete types.
package app
