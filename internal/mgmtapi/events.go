package mgmtapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// Feed page sizes.
const (
	defaultEventPage = 100
	maxEventPage     = 1000
)

// eventsPage is the body of GET /api/v1/events.
type eventsPage struct {
	Data []directory.EventPayload `json:"data"`
	// NextCursor is where the next read starts: the position of the last
	// event returned, or the cursor given when there was none. Consumers
	// store it and pass it back as after.
	NextCursor string `json:"next_cursor"`
}

// listEvents is GET /api/v1/events: the feed in commit order. A consumer
// that stores next_cursor and passes it back as after never misses or
// repeats an event (docs/events.md).
func (h *Handler) listEvents(w http.ResponseWriter, r *http.Request) error {
	v, err := queryParams(r, "after", "limit", "types", "organization_id", "directory_id", "subject_id")
	if err != nil {
		return err
	}
	q := directory.EventQuery{Limit: defaultEventPage, OrganizationID: v.Get("organization_id"), DirectoryID: v.Get("directory_id"), Subject: v.Get("subject_id")}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxEventPage {
			return directory.Errorf(directory.KindInvalid, "limit must be an integer from 1 to %d, got %q", maxEventPage, s)
		}
		q.Limit = n
	}
	for _, t := range strings.Split(v.Get("types"), ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if !directory.ValidEventType(t) {
			return directory.Errorf(directory.KindInvalid, "types: %q is not an event type; use a comma-separated list of %s", t, strings.Join(directory.EventTypes(), ", "))
		}
		q.Types = append(q.Types, t)
	}
	for name, prefix := range map[string]string{"organization_id": directory.PrefixOrganization, "directory_id": directory.PrefixDirectory} {
		if s := v.Get(name); s != "" && (!strings.HasPrefix(s, prefix+"_") || !isIDChars(s)) {
			return directory.Errorf(directory.KindInvalid, "%s %q is not a valid id (it starts with %s_)", name, s, prefix)
		}
	}
	switch after := v.Get("after"); after {
	case "":
	case "latest":
		// Start from now: no events, and the cursor of the newest one.
		last, err := h.Service.Read().LastEventPosition(r.Context())
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, eventsPage{Data: []directory.EventPayload{}, NextCursor: strconv.FormatInt(last, 10)})
	default:
		n, err := strconv.ParseInt(after, 10, 64)
		if err != nil || n < 0 {
			return directory.Errorf(directory.KindInvalid, "after must be a cursor returned as next_cursor (or \"latest\"), got %q", after)
		}
		q.After = n
	}
	// Read a chunk at a time within the page byte budget (an event holds
	// a whole user document, and its previous attributes); next_cursor
	// continues after the last event returned.
	buf := h.newPageBuf()
	limit, cursor, prev := q.Limit, q.After, 0
	for buf.len() < limit && !buf.budget.Full {
		q.Limit = buf.budget.NextChunk(prev, limit-buf.len())
		q.After = cursor
		es, err := h.Service.Read().ListEvents(r.Context(), q)
		if err != nil {
			return err
		}
		for _, e := range es {
			ok, err := buf.add(e.Payload())
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			cursor = e.Position
		}
		if len(es) < q.Limit {
			break
		}
		prev = q.Limit
	}
	return buf.write(w, map[string]any{"next_cursor": strconv.FormatInt(cursor, 10)})
}

// getEvent is GET /api/v1/events/{event_id}.
func (h *Handler) getEvent(w http.ResponseWriter, r *http.Request) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	e, err := h.Service.Read().GetEvent(r.Context(), r.PathValue("event_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e.Payload())
}
