package scimapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/scimapi"
	"github.com/scimbridge/scimbridge/internal/sqlstore"
	"github.com/scimbridge/scimbridge/internal/testenv"
)

// env is one SCIM server over a real SQLite store, with one organization,
// one directory and its token.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	handler *scimapi.Handler
	svc     *directory.Service
	store   *sqlstore.Store
	dir     string
	token   string
	base    string // srv.URL + "/scim/v2/" + dir
	logs    *syncBuffer
	calls   *countingStore
}

// countingStore counts the store calls whose number the SCIM surface must
// keep small.
type countingStore struct {
	directory.Store
	credential, tokenByHash, getDirectory, countDirectory atomic.Int64
	credentialWithUser, getUserWithGroups                 atomic.Int64
	userGroups, membersOf, listMembers                    atomic.Int64
	listUsers, credentialWithUserNamed                    atomic.Int64
}

func (s *countingStore) TokenByHash(ctx context.Context, hash []byte) (directory.Token, error) {
	s.tokenByHash.Add(1)
	return s.Store.TokenByHash(ctx, hash)
}

func (s *countingStore) Credential(ctx context.Context, hash []byte) (directory.Token, directory.Directory, error) {
	s.credential.Add(1)
	return s.Store.Credential(ctx, hash)
}

func (s *countingStore) CredentialWithUser(ctx context.Context, hash []byte, userID string) (directory.Token, directory.Directory, directory.UserRead, error) {
	s.credentialWithUser.Add(1)
	return s.Store.CredentialWithUser(ctx, hash, userID)
}

func (s *countingStore) CredentialWithUserNamed(ctx context.Context, hash []byte, nameFold string) (directory.Token, directory.Directory, directory.UserRead, error) {
	s.credentialWithUserNamed.Add(1)
	return s.Store.CredentialWithUserNamed(ctx, hash, nameFold)
}

func (s *countingStore) GetUserWithGroups(ctx context.Context, dir, id string) (directory.User, []directory.GroupRef, error) {
	s.getUserWithGroups.Add(1)
	return s.Store.GetUserWithGroups(ctx, dir, id)
}

func (s *countingStore) GetDirectory(ctx context.Context, id string) (directory.Directory, error) {
	s.getDirectory.Add(1)
	return s.Store.GetDirectory(ctx, id)
}

func (s *countingStore) CountDirectory(ctx context.Context, id string) (int, int, error) {
	s.countDirectory.Add(1)
	return s.Store.CountDirectory(ctx, id)
}

func (s *countingStore) UserGroups(ctx context.Context, dir string, ids []string) (map[string][]directory.GroupRef, error) {
	s.userGroups.Add(1)
	return s.Store.UserGroups(ctx, dir, ids)
}

func (s *countingStore) ListUsers(ctx context.Context, dir string, q directory.Query) (directory.UserPage, error) {
	s.listUsers.Add(1)
	return s.Store.ListUsers(ctx, dir, q)
}

func (s *countingStore) MembersOf(ctx context.Context, dir string, ids []string) (map[string][]directory.Member, error) {
	s.membersOf.Add(1)
	return s.Store.MembersOf(ctx, dir, ids)
}

func (s *countingStore) ListMembers(ctx context.Context, dir, group, after string, limit int) ([]directory.Member, error) {
	s.listMembers.Add(1)
	return s.Store.ListMembers(ctx, dir, group, after, limit)
}

// reset zeroes the counters.
func (s *countingStore) reset() {
	for _, c := range []*atomic.Int64{&s.credential, &s.credentialWithUser, &s.getUserWithGroups, &s.tokenByHash, &s.getDirectory, &s.countDirectory, &s.userGroups, &s.membersOf, &s.listMembers, &s.listUsers, &s.credentialWithUserNamed} {
		c.Store(0)
	}
}

// syncBuffer is a log sink safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T, configure ...func(*scimapi.Handler)) *env {
	t.Helper()
	return newEnvOn(t, testenv.Store(t), configure...)
}

// newEnvOn is newEnv on store st.
func newEnvOn(t *testing.T, st *sqlstore.Store, configure ...func(*scimapi.Handler)) *env {
	t.Helper()
	ctx := context.Background()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	calls := &countingStore{Store: st}
	svc := testenv.Service(calls)
	svc.Logger = logger
	svc.MaxPatchOperations = 1000
	org, err := svc.CreateOrganization(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDirectory(ctx, org.ID, "okta", "Okta")
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := svc.CreateToken(ctx, d.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	h := &scimapi.Handler{Service: svc, Logger: logger}
	for _, fn := range configure {
		fn(h)
	}
	srv := httptest.NewUnstartedServer(nil)
	switch h.PublicURL {
	case "":
		h.PublicURL = "http://" + srv.Listener.Addr().String()
	case "-": // test the fallback to the request's Host
		h.PublicURL = ""
	}
	srv.Config.Handler = h.Routes()
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, handler: h, svc: svc, store: st, dir: d.ID, token: token,
		base: srv.URL + "/scim/v2/" + d.ID, logs: logs, calls: calls}
}

// newDirectory creates a second directory with its own token.
func (e *env) newDirectory() (dirID, token string) {
	e.t.Helper()
	ctx := context.Background()
	org, err := e.svc.CreateOrganization(ctx, "Other", "")
	if err != nil {
		e.t.Fatal(err)
	}
	d, err := e.svc.CreateDirectory(ctx, org.ID, "entra_id", "Entra")
	if err != nil {
		e.t.Fatal(err)
	}
	_, tok, err := e.svc.CreateToken(ctx, d.ID, time.Time{})
	if err != nil {
		e.t.Fatal(err)
	}
	return d.ID, tok
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any // nil when the body is empty
}

// str returns the string at a dotted path of the body, "" when absent.
func (r *response) str(path string) string {
	s, _ := r.get(path).(string)
	return s
}

// num returns the number at a dotted path of the body, -1 when absent.
func (r *response) num(path string) int {
	n, ok := r.get(path).(json.Number)
	if !ok {
		return -1
	}
	i, err := strconv.Atoi(n.String())
	if err != nil {
		return -1
	}
	return i
}

// get walks a dotted path of the body; numeric segments index lists.
func (r *response) get(path string) any {
	var v any = r.body
	for _, seg := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// resources returns the Resources of a ListResponse.
func (r *response) resources() []map[string]any {
	list, _ := r.body["Resources"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		out = append(out, m)
	}
	return out
}

// header pairs for do: name, value, …; a value of "-" deletes the header.
type hdr []string

// do sends a request to path (relative to the directory's base URL unless
// it starts with "/" or "http") with the directory token, and checks what
// every SCIM response must satisfy: a body is application/scim+json and
// valid JSON; an error status carries the Error schema with the status
// as a string.
func (e *env) do(method, path string, body any, headers ...string) *response {
	e.t.Helper()
	url := path
	switch {
	case strings.HasPrefix(path, "http"):
	case strings.HasPrefix(path, "/"):
		url = e.srv.URL + path
	default:
		url = e.base + "/" + path
	}
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		if headers[i+1] == "-" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	// Errorf rather than Fatal: do may run on goroutines other than the
	// test's; the status -1 then fails any want.
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Errorf("%s %s: %v", method, path, err)
		return &response{status: -1}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Errorf("%s %s: reading the body: %v", method, path, err)
		return &response{status: -1}
	}
	out := &response{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		if ct := res.Header.Get("Content-Type"); ct != "application/scim+json" {
			e.t.Errorf("%s %s: Content-Type %q, want application/scim+json; body %s", method, path, ct, raw)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&out.body); err != nil {
			e.t.Errorf("%s %s: body is not a JSON object: %v: %s", method, path, err, raw)
		}
	} else if res.StatusCode != http.StatusNoContent && res.StatusCode != http.StatusNotModified && method != http.MethodHead {
		e.t.Errorf("%s %s: status %d with an empty body", method, path, res.StatusCode)
	}
	if res.StatusCode >= 400 {
		if got := out.str("schemas.0"); got != schema.ErrorURN {
			e.t.Errorf("%s %s: error schemas[0] = %q, want %q; body %s", method, path, got, schema.ErrorURN, raw)
		}
		if got := out.str("status"); got != strconv.Itoa(res.StatusCode) {
			e.t.Errorf("%s %s: error status %q, want %q", method, path, got, strconv.Itoa(res.StatusCode))
		}
		if out.str("detail") == "" {
			e.t.Errorf("%s %s: error without detail: %s", method, path, raw)
		}
	}
	return out
}

// want fails the test unless the response has the status (and, for
// errors, the scimType).
func (r *response) want(t *testing.T, status int, scimType ...string) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	if len(scimType) > 0 {
		if got := r.str("scimType"); got != scimType[0] {
			t.Fatalf("scimType %q, want %q; body %s", got, scimType[0], r.raw)
		}
	}
	return r
}

// createUser POSTs a minimal user and returns its id.
func (e *env) createUser(userName string, extra ...map[string]any) string {
	e.t.Helper()
	body := map[string]any{
		"schemas":  []string{schema.UserURN},
		"userName": userName,
		"name":     map[string]any{"givenName": "Given " + userName, "familyName": "Family"},
		"emails":   []any{map[string]any{"value": userName, "type": "work", "primary": true}},
		"active":   true,
	}
	for _, m := range extra {
		for k, v := range m {
			body[k] = v
		}
	}
	r := e.do("POST", "Users", body).want(e.t, http.StatusCreated)
	return r.str("id")
}

// createGroup POSTs a group with the given member ids and returns its id.
func (e *env) createGroup(name string, members ...string) string {
	e.t.Helper()
	list := make([]any, len(members))
	for i, m := range members {
		list[i] = map[string]any{"value": m}
	}
	r := e.do("POST", "Groups", map[string]any{
		"schemas": []string{schema.GroupURN}, "displayName": name, "members": list,
	}).want(e.t, http.StatusCreated)
	return r.str("id")
}

// memberIDs returns the values of a group's members in a response.
func memberIDs(r *response) []string {
	list, _ := r.get("members").([]any)
	out := []string{}
	for _, e := range list {
		m, _ := e.(map[string]any)
		s, _ := m["value"].(string)
		out = append(out, s)
	}
	return out
}
