// Package webhook sends events to webhook endpoints, signed as Standard
// Webhooks (https://www.standardwebhooks.com/) specifies: the delivery
// worker fans feed events out into deliveries, claims due runs of them
// with a lease, sends each (endpoint, directory) stream in sequence order,
// retries on a fixed backoff schedule with jitter, and disables endpoints
// that keep failing. It also seals signing secrets at rest (AES-256-GCM).
package webhook
