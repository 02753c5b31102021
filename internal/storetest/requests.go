package storetest

import (
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// requestTests check the request log: batches, newest-first keyset pages,
// filters, pruning and directory scoping.
func requestTests() []subtest {
	return []subtest{
		{"RequestLogRoundTrip", testRequestLogRoundTrip},
		{"RequestLogPages", testRequestLogPages},
		{"RequestLogFilters", testRequestLogFilters},
		{"RequestLogPrune", testRequestLogPrune},
		{"RequestLogUnknownDirectory", testRequestLogUnknownDirectory},
		{"RequestLogBudgetPrunesOldest", testRequestLogBudgetPrunesOldest},
		{"RequestLogDropsCounted", testRequestLogDropsCounted},
		{"RequestLogMetadataAndSummaries", testRequestLogMetadataAndSummaries},
	}
}

// appendRequests stores n entries in dirID with statuses from statuses (in
// turn) and returns them in the order appended.
func (f *fixture) appendRequests(dirID string, n int, statuses ...int) []directory.RequestLog {
	f.t.Helper()
	if len(statuses) == 0 {
		statuses = []int{200}
	}
	methods := []string{"GET", "POST", "PATCH", "PUT", "DELETE"}
	var es []directory.RequestLog
	for i := 0; i < n; i++ {
		id, err := f.svc.IDs.New(directory.PrefixRequest)
		if err != nil {
			f.t.Fatal(err)
		}
		es = append(es, directory.RequestLog{
			ID: id, DirectoryID: dirID, OccurredAt: f.clock.Now(), Method: methods[i%len(methods)],
			Path: "/scim/v2/" + dirID + "/Users?filter=userName%20eq%20%22a%22", Status: statuses[i%len(statuses)],
			Duration: 1234 * time.Microsecond, RequestBody: `{"userName":"ü"}`, ResponseBody: `{"id":"x"}`,
			RequestTruncated: i%2 == 0, RequestID: "rid", UserAgent: "Okta SCIM Client 1.0.0", RemoteAddr: "192.0.2.1",
		})
	}
	if err := f.s.AppendRequests(f.ctx, es); err != nil {
		f.t.Fatalf("AppendRequests: %v", err)
	}
	return es
}

func (f *fixture) listRequests(dirID string, q directory.RequestQuery) []directory.RequestLog {
	f.t.Helper()
	got, err := f.s.ListRequests(f.ctx, dirID, q)
	if err != nil {
		f.t.Fatalf("ListRequests(%+v): %v", q, err)
	}
	return got
}

func requestIDs(es []directory.RequestLog) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func newestFirst(es []directory.RequestLog) []directory.RequestLog {
	out := make([]directory.RequestLog, len(es))
	for i, e := range es {
		out[len(es)-1-i] = e
	}
	return out
}

func testRequestLogRoundTrip(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	es := f.appendRequests(f.dir.ID, 3)
	if err := s.AppendRequests(f.ctx, nil); err != nil {
		t.Fatalf("AppendRequests(nil): %v", err)
	}
	got := f.listRequests(f.dir.ID, directory.RequestQuery{})
	if d := diff(newestFirst(es), got); d != "" {
		t.Errorf("ListRequests (-want +got):\n%s", d)
	}
	other := f.newDir()
	if got := f.listRequests(other.ID, directory.RequestQuery{}); len(got) != 0 {
		t.Errorf("another directory's log holds %d entries, want 0", len(got))
	}
	// An entry of a directory that does not exist is skipped, and the
	// rest of the batch is stored.
	ghost := directory.RequestLog{ID: "req_ghost", DirectoryID: "dir_nope", OccurredAt: f.clock.Now(), Method: "GET", Path: "/"}
	live := es[0]
	live.ID = "req_live"
	if err := s.AppendRequests(f.ctx, []directory.RequestLog{ghost, live}); err != nil {
		t.Fatalf("AppendRequests with an unknown directory: %v", err)
	}
	if got := f.listRequests(f.dir.ID, directory.RequestQuery{Limit: 1}); len(got) != 1 || got[0].ID != "req_live" {
		t.Errorf("after a batch with an unknown directory, newest = %v, want [req_live]", requestIDs(got))
	}
}

func testRequestLogPages(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	es := newestFirst(f.appendRequests(f.dir.ID, 7))
	var all []directory.RequestLog
	q := directory.RequestQuery{Limit: 3}
	for page := 0; page < 5; page++ {
		got := f.listRequests(f.dir.ID, q)
		all = append(all, got...)
		if len(got) < q.Limit {
			break
		}
		q.Before = got[len(got)-1].ID
	}
	if d := diff(requestIDs(es), requestIDs(all)); d != "" {
		t.Errorf("pages (-want +got):\n%s", d)
	}
	if got := f.listRequests(f.dir.ID, directory.RequestQuery{Before: "req_unknown"}); len(got) != 0 {
		t.Errorf("Before an unknown id: %d entries, want 0", len(got))
	}
	if got := f.listRequests(f.dir.ID, directory.RequestQuery{}); len(got) != 7 {
		t.Errorf("Limit 0: %d entries, want all 7 (default 50)", len(got))
	}
}

func testRequestLogFilters(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	es := f.appendRequests(f.dir.ID, 10, 200, 201, 404, 500, 409)
	count := func(keep func(directory.RequestLog) bool) []string {
		var out []directory.RequestLog
		for _, e := range newestFirst(es) {
			if keep(e) {
				out = append(out, e)
			}
		}
		return requestIDs(out)
	}
	for _, tc := range []struct {
		name string
		q    directory.RequestQuery
		keep func(directory.RequestLog) bool
	}{
		{"2xx", directory.RequestQuery{MinStatus: 200, MaxStatus: 299}, func(e directory.RequestLog) bool { return e.Status/100 == 2 }},
		{"failures", directory.RequestQuery{MinStatus: 400}, func(e directory.RequestLog) bool { return e.Status >= 400 }},
		{"PATCH", directory.RequestQuery{Method: "PATCH"}, func(e directory.RequestLog) bool { return e.Method == "PATCH" }},
		{"4xx POST", directory.RequestQuery{MinStatus: 400, MaxStatus: 499, Method: "POST"}, func(e directory.RequestLog) bool {
			return e.Status/100 == 4 && e.Method == "POST"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := diff(count(tc.keep), requestIDs(f.listRequests(f.dir.ID, tc.q))); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func testRequestLogPrune(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	other := f.newDir()
	old := f.appendRequests(f.dir.ID, 2)
	oldOther := f.appendRequests(other.ID, 1)
	cut := f.clock.Now()
	kept := f.appendRequests(f.dir.ID, 2)
	n, err := s.PruneRequests(f.ctx, cut)
	if err != nil {
		t.Fatalf("PruneRequests: %v", err)
	}
	if want := len(old) + len(oldOther); n != want {
		t.Errorf("PruneRequests deleted %d, want %d", n, want)
	}
	if d := diff(requestIDs(newestFirst(kept)), requestIDs(f.listRequests(f.dir.ID, directory.RequestQuery{}))); d != "" {
		t.Errorf("after pruning (-want +got):\n%s", d)
	}
	if n, err := s.PruneRequests(f.ctx, cut); err != nil || n != 0 {
		t.Errorf("second PruneRequests = %d, %v; want 0, nil", n, err)
	}
}

func testRequestLogUnknownDirectory(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	_, err := s.ListRequests(f.ctx, "dir_nope", directory.RequestQuery{})
	wantNotFound(t, err, "ListRequests of an unknown directory")
}

// testRequestLogBudgetPrunesOldest: a directory whose log outgrows the
// budget loses its oldest entries, down to nine tenths of the budget;
// another directory within the budget keeps everything; the usage total
// follows appends and both kinds of pruning exactly.
func testRequestLogBudgetPrunesOldest(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	small := f.newDir()
	es := f.appendRequests(f.dir.ID, 100)
	f.appendRequests(small.ID, 3)
	var size int64
	for i := range es {
		size += es[i].Size()
	}
	st, err := s.RequestLogStats(f.ctx, f.dir.ID)
	if err != nil || st.Bytes != size || st.Entries != 100 {
		t.Fatalf("RequestLogStats = %+v, %v; want %d bytes, 100 entries", st, err, size)
	}
	budget := size / 2
	n, err := s.PruneRequestsOverBudget(f.ctx, budget)
	if err != nil {
		t.Fatalf("PruneRequestsOverBudget: %v", err)
	}
	got := f.listRequests(f.dir.ID, directory.RequestQuery{Limit: 1000})
	if n != 100-len(got) {
		t.Errorf("PruneRequestsOverBudget = %d, but %d of 100 entries are left", n, len(got))
	}
	var left int64
	for i := range got {
		left += got[i].Size()
	}
	if left > budget-budget/10 || left < budget-budget/10-2*es[0].Size() {
		t.Errorf("%d bytes left, want just under nine tenths of the budget of %d", left, budget)
	}
	// The newest are the ones kept.
	if d := diff(requestIDs(newestFirst(es))[:len(got)], requestIDs(got)); d != "" {
		t.Errorf("kept entries are not the newest (-want +got):\n%s", d)
	}
	if st, _ := s.RequestLogStats(f.ctx, f.dir.ID); st.Bytes != left || st.Entries != int64(len(got)) {
		t.Errorf("RequestLogStats after pruning = %+v, want %d bytes, %d entries", st, left, len(got))
	}
	if got := f.listRequests(small.ID, directory.RequestQuery{}); len(got) != 3 {
		t.Errorf("a directory within the budget lost entries: %d left of 3", len(got))
	}
	// Pruning by age keeps the total right too.
	f.clock.advance(time.Hour)
	if _, err := s.PruneRequests(f.ctx, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.RequestLogStats(f.ctx, f.dir.ID); st.Bytes != 0 || st.Entries != 0 {
		t.Errorf("RequestLogStats after pruning everything = %+v, want zero", st)
	}
	if _, err := s.RequestLogStats(f.ctx, "dir_nope"); !directory.IsNotFound(err) {
		t.Errorf("RequestLogStats(dir_nope) = %v, want not found", err)
	}
}

// testRequestLogDropsCounted: drop counts add up per directory and keep
// the time of the first drop; unknown directories are skipped.
func testRequestLogDropsCounted(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	t1 := f.clock.Now()
	if err := s.NoteRequestsDropped(f.ctx, map[string]int64{f.dir.ID: 5, "dir_nope": 7}, t1); err != nil {
		t.Fatalf("NoteRequestsDropped: %v", err)
	}
	f.clock.advance(time.Minute)
	if err := s.NoteRequestsDropped(f.ctx, map[string]int64{f.dir.ID: 2}, f.clock.Now()); err != nil {
		t.Fatalf("NoteRequestsDropped: %v", err)
	}
	st, err := s.RequestLogStats(f.ctx, f.dir.ID)
	if err != nil || st.Dropped != 7 || !st.DroppedSince.Equal(t1) {
		t.Errorf("RequestLogStats = %+v, %v; want 7 dropped since %v", st, err, t1)
	}
	if st, err := s.RequestLogStats(f.ctx, f.newDir().ID); err != nil || st != (directory.RequestLogStats{}) {
		t.Errorf("RequestLogStats of a new directory = %+v, %v; want zero", st, err)
	}
}

// testRequestLogMetadataAndSummaries: the metadata-only mark and the
// repeats of a summary entry are stored.
func testRequestLogMetadataAndSummaries(t *testing.T, s directory.Store) {
	f := newFixture(t, s)
	es := []directory.RequestLog{
		{ID: "req_a", DirectoryID: f.dir.ID, OccurredAt: f.clock.Now(), Method: "GET", Path: "/x", Status: 200, MetadataOnly: true},
		{ID: "req_b", DirectoryID: f.dir.ID, OccurredAt: f.clock.Now(), Method: "GET", Path: "99 more", Status: 401, MetadataOnly: true, Repeats: 99},
	}
	if err := s.AppendRequests(f.ctx, es); err != nil {
		t.Fatal(err)
	}
	if d := diff(newestFirst(es), f.listRequests(f.dir.ID, directory.RequestQuery{})); d != "" {
		t.Errorf("ListRequests (-want +got):\n%s", d)
	}
}
