package directory

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Connection health (docs/portal.md, "Connection status"): what an IT admin
// and the app are told about a directory's IdP connection, with a reason
// they can act on. It is computed from the directory and a few counters the
// request log keeps per directory as it appends entries (RequestHealth), so
// that reading it costs one row, never a scan of the log.

// Health states, most urgent first.
const (
	HealthDisabled  = "disabled"  // the directory is disabled: requests are refused
	HealthRefused   = "refused"   // the IdP's recent requests carry a token that does not work
	HealthErrors    = "errors"    // requests failed in the last FailureWindow
	HealthStalled   = "stalled"   // connected once, silent for longer than StalledAfter
	HealthWaiting   = "waiting"   // no request with a valid token yet
	HealthConnected = "connected" // requests arrive and succeed
)

// HealthStates lists the states in order of urgency (for documentation and
// tests).
var HealthStates = []string{HealthDisabled, HealthRefused, HealthErrors, HealthStalled, HealthWaiting, HealthConnected}

// Health thresholds.
const (
	// FailureWindow is how long failed requests keep a directory in the
	// errors state after the last of them.
	FailureWindow = time.Hour
	// StalledAfter is how long a connected directory may go without a
	// request before it is called stalled. IdPs that push only changes
	// (Okta) can be quiet for days when nobody changes, hence a week.
	StalledAfter = 7 * 24 * time.Hour
)

// RequestHealth is what the request log remembers, per directory, of how
// the IdP's requests went. The request log updates it with each batch it
// appends (Note, entry by entry, in the order they occurred); it is kept
// only while the request log is on.
type RequestHealth struct {
	AcceptedAt time.Time // newest request whose token was accepted
	// Refused counts the refused requests (401: missing, wrong, revoked or
	// expired token; 429: too many of those) since AcceptedAt.
	Refused   int64
	RefusedAt time.Time // newest refused request
	// Failed counts the failed requests (any other 4xx or 5xx) since
	// FailedSince; a failure more than FailureWindow after FailedSince
	// starts the count again.
	Failed      int64
	FailedSince time.Time
	FailedAt    time.Time // newest failed request
}

// Note counts one request log entry (and the requests a summary entry
// stands for). A refused request older than the newest accepted one is not
// counted: the IdP has sent a working token since.
func (h *RequestHealth) Note(e *RequestLog) {
	n := int64(1 + max(e.Repeats, 0))
	at := e.OccurredAt
	switch {
	case e.Status == 401 || e.Status == 429:
		if !at.After(h.AcceptedAt) {
			return
		}
		h.Refused += n
		if at.After(h.RefusedAt) {
			h.RefusedAt = at
		}
		return
	case e.Status >= 400 && e.Status != 403:
		// 403 is a disabled directory (its own state) or a refused
		// discovery filter: the token worked, nothing is failing.
		if h.FailedSince.IsZero() || at.Sub(h.FailedSince) > FailureWindow {
			h.FailedSince, h.Failed = at, 0
		}
		h.Failed += n
		if at.After(h.FailedAt) {
			h.FailedAt = at
		}
	}
	if at.After(h.AcceptedAt) {
		h.AcceptedAt = at
		if !h.RefusedAt.After(at) {
			h.Refused = 0
		}
	}
}

// Health is a directory's connection state with its reason.
type Health struct {
	State  string // one of HealthStates
	Reason string // a sentence an IT admin can act on
	// The counts behind the refused and errors states.
	Refused   int64
	RefusedAt time.Time
	Failed    int64
	FailedAt  time.Time
}

// DirectoryHealth computes the health of d at now from its request
// counters.
func DirectoryHealth(d Directory, rh RequestHealth, now time.Time) Health {
	idp := ProviderName(d.Provider)
	h := Health{Refused: rh.Refused, RefusedAt: rh.RefusedAt, Failed: rh.Failed, FailedAt: rh.FailedAt}
	last := d.LastRequestAt
	if rh.AcceptedAt.After(last) {
		last = rh.AcceptedAt
	}
	switch {
	case !d.Enabled:
		h.State = HealthDisabled
		h.Reason = "The directory is disabled: " + idp + "'s requests are refused until you enable it."
	case rh.Refused > 0 && rh.RefusedAt.After(rh.AcceptedAt):
		h.State = HealthRefused
		h.Reason = fmt.Sprintf("Your IdP is sending a token that doesn't work: %s, last at %s. Generate a new token and paste it into %s.",
			plural(rh.Refused, "refused request", "refused requests"), clock(rh.RefusedAt, now), idp)
	case rh.Failed > 0 && now.Sub(rh.FailedAt) < FailureWindow:
		h.State = HealthErrors
		h.Reason = fmt.Sprintf("%s failed since %s, last at %s. Open the failing requests to see what %s sent and why it was refused.",
			plural(rh.Failed, "request", "requests"), clock(rh.FailedSince, now), clock(rh.FailedAt, now), idp)
	case last.IsZero():
		h.State = HealthWaiting
		h.Reason = "No request from " + idp + " yet: paste the Endpoint URL and the Bearer Token into " + idp + " and test the connection."
	case now.Sub(last) > StalledAfter:
		h.State = HealthStalled
		h.Reason = fmt.Sprintf("No request from %s since %s. If people changed in %s since then, check that provisioning is still turned on there.",
			idp, clock(last, now), idp)
	default:
		h.State = HealthConnected
		h.Reason = strings.ToUpper(idp[:1]) + idp[1:] + "'s requests arrive and succeed; last request at " + clock(last, now) + "."
	}
	return h
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// clock formats t for a reason: the time of day in UTC when it is the
// same day as now, else the date too.
func clock(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04 UTC")
	}
	return t.Format("2 Jan 2006 15:04 UTC")
}
