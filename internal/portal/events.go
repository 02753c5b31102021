package portal

import (
	"net/http"
	"net/url"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// eventView is one event as the Events tab and the user page show it.
type eventView struct {
	directory.Event
	Label   string // "User created", …
	Summary string // what changed, in a few words
}

// recentEvents returns a user's or group's latest events, and whether the
// events feed is available.
func (h *Handler) recentEvents(r *http.Request, d directory.Directory, subject string) ([]eventView, bool, error) {
	return nil, false, nil
}

type requestsData struct {
	Entries  []directory.RequestLog
	Failures bool
	Next     string
	Enabled  bool
}

// eventsTab is GET /portal/events.
func (h *Handler) eventsTab(w http.ResponseWriter, r *http.Request) error {
	target := "/portal/events/requests"
	if q := r.URL.RawQuery; q != "" {
		target += "?" + q
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// requestsTab is GET /portal/events/requests: the SCIM request log, newest
// first, optionally failures only.
func (h *Handler) requestsTab(w http.ResponseWriter, r *http.Request) error {
	d, dirs, ok, err := h.selectedDir(r)
	if err != nil {
		return err
	}
	p := page{Title: "SCIM request log", Tab: "events", Dirs: dirs, Dir: d}
	if !ok {
		return h.render(w, r, http.StatusOK, "requests", p)
	}
	v := r.URL.Query()
	data := requestsData{Failures: v.Get("failures") == "1", Enabled: h.RequestLogEnabled}
	before := v.Get("before")
	if err := checkID(before, directory.PrefixRequest); err != nil {
		return err
	}
	q := directory.RequestQuery{Before: before, Limit: pageSize + 1}
	if data.Failures {
		q.MinStatus = 400
	}
	es, err := h.Service.Store.ListRequests(r.Context(), d.ID, q)
	if err != nil {
		return err
	}
	if len(es) > pageSize {
		es = es[:pageSize]
		nv := url.Values{"dir": {d.ID}, "before": {es[len(es)-1].ID}}
		if data.Failures {
			nv.Set("failures", "1")
		}
		data.Next = "/portal/events/requests?" + nv.Encode()
	}
	data.Entries = es
	p.Data = data
	return h.render(w, r, http.StatusOK, "requests", p)
}
