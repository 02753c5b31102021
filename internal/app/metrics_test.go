package app_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/client"
	"github.com/scimbridge/scimbridge/internal/app"
	"github.com/scimbridge/scimbridge/internal/config"
)

// scrape reads /metrics at url with auth (if not "") and returns each
// sample's value by its series line ("name{labels}").
func scrape(t *testing.T, url, auth string) (int, map[string]float64, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out := map[string]float64{}
	if resp.StatusCode != 200 {
		return resp.StatusCode, out, string(body)
	}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return resp.StatusCode, out, string(body)
}

// TestMetricsMoveUnderTraffic scrapes /metrics during SCIM, management API
// and webhook traffic: the named series exist and move, labels carry route
// templates (never a directory id), and the main listener refuses a scrape
// without an API key while the debug listener serves it without one.
func TestMetricsMoveUnderTraffic(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	key := strings.Repeat("k", 40)
	cfg := config.Config{DataDir: filepath.Join(t.TempDir(), "data"), Addr: ln.Addr().String(), PublicURL: base,
		APIKey: key, LogLevel: "warn", LogFormat: "text", ShutdownTimeout: 10 * time.Second, RequestLog: true,
		AuthFailureRate: 0.001, AuthFailureBurst: 2, MaxInFlight: 1, InFlightWait: 20 * time.Millisecond}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.ServeWithDebug(ctx, ln, dln) }()
	defer func() { cancel(); <-done; a.Close() }()

	if code, _, _ := scrape(t, base+"/metrics", ""); code != 401 {
		t.Errorf("/metrics without credentials: %d, want 401", code)
	}
	if code, _, _ := scrape(t, base+"/metrics", "wrong"); code != 401 {
		t.Errorf("/metrics with a wrong key: %d, want 401", code)
	}
	if code, _, _ := scrape(t, "http://"+dln.Addr().String()+"/metrics", ""); code != 200 {
		t.Errorf("/metrics on the debug listener: %d, want 200", code)
	}
	_, m0, _ := scrape(t, base+"/metrics", key)

	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer rcv.Close()
	c := client.New(base, key)
	ep, err := c.CreateWebhookEndpoint(ctx, client.WebhookEndpointCreate{URL: rcv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ListOrganizations(ctx, client.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	scimURL, token := provision(t, a, base)
	dirID := scimURL[strings.LastIndexByte(scimURL, '/')+1:]
	post := func(tok, name string) int {
		req, _ := http.NewRequest("POST", scimURL+"/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+name+`"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 5 {
		if code := post(token, fmt.Sprintf("u%d@example.com", i)); code != 201 {
			t.Fatalf("create: %d", code)
		}
	}
	// Refused tokens: 401 until the failed-auth limiter answers 429.
	saw429 := false
	for range 5 {
		if post("wrong-token", "x@example.com") == 429 {
			saw429 = true
		}
	}
	if !saw429 {
		t.Error("the failed-auth limiter never answered 429")
	}
	// A request whose body is still arriving holds the only in-flight slot:
	// the next request is shed with 503. On a busy machine one of the
	// probing requests can take the slot before the slow one's headers
	// are read, and then the slow one is shed instead: it is tried again.
	slow := func() (shed bool, status int) {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"slow@example.com"}`
		fmt.Fprintf(conn, "POST %s/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/scim+json\r\nContent-Length: %d\r\n\r\n%s",
			strings.TrimPrefix(scimURL, base), token, len(body), body[:10])
		deadline := time.Now().Add(10 * time.Second)
		for !shed && time.Now().Before(deadline) {
			shed = post(token, "shed@example.com") == 503
		}
		fmt.Fprint(conn, body[10:])
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("slow request: %v", err)
		}
		resp.Body.Close()
		return shed, resp.StatusCode
	}
	for attempt := 1; ; attempt++ {
		shed, status := slow()
		if status == 201 {
			if !shed {
				t.Error("no request was shed while the slot was held")
			}
			break
		}
		if status != 503 || attempt == 5 {
			t.Fatalf("slow request, attempt %d: %d", attempt, status)
		}
	}

	// Wait for the webhook deliveries to be recorded.
	var m1 map[string]float64
	var text string
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, m1, text = scrape(t, base+"/metrics", key)
		if m1[`scimbridge_webhook_attempts_total{outcome="succeeded"}`] >= 1 && m1[`scimbridge_webhook_backlog{endpoint_id="`+ep.ID+`"}`] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no webhook delivery recorded:\n%s", text)
		}
		time.Sleep(20 * time.Millisecond)
	}
	moved := []string{
		`scimbridge_http_requests_total{code="2xx",method="POST",route="/scim/v2/{dir_id}/Users",surface="scim"}`,
		`scimbridge_http_request_duration_seconds_count{code="2xx",method="POST",route="/scim/v2/{dir_id}/Users",surface="scim"}`,
		`scimbridge_http_requests_total{code="2xx",method="GET",route="/api/v1/organizations",surface="api"}`,
		`scimbridge_http_requests_total{code="2xx",method="POST",route="/api/v1/webhook_endpoints",surface="api"}`,
		`scimbridge_auth_refused_total{surface="scim"}`,
		`scimbridge_rate_limited_total{surface="scim"}`,
		`scimbridge_load_shed_total{surface="scim"}`,
		`scimbridge_db_group_commit_batch_size_count`,
		`scimbridge_events_written_total`,
		`scimbridge_webhook_attempts_total{outcome="succeeded"}`,
	}
	for _, s := range moved {
		if m1[s] <= m0[s] {
			t.Errorf("%s did not move: %v → %v", s, m0[s], m1[s])
		}
	}
	if m0[`scimbridge_auth_refused_total{surface="ops"}`] != 2 {
		t.Errorf("the two refused scrapes were not counted: %v", m0[`scimbridge_auth_refused_total{surface="ops"}`])
	}
	present := []string{
		`scimbridge_webhook_feed_lag_events{endpoint_id="` + ep.ID + `"}`,
		`scimbridge_webhook_oldest_undelivered_age_seconds{endpoint_id="` + ep.ID + `"}`,
		`scimbridge_request_log_queue_entries`,
		`scimbridge_request_log_queue_bytes`,
		`scimbridge_request_log_dropped_total`,
		`scimbridge_db_connections{pool="write",state="in_use"}`,
		`scimbridge_db_waits_total{pool="read"}`,
		`scimbridge_db_tx_retries_total`,
		`scimbridge_scrape_errors`,
	}
	for _, s := range present {
		if _, ok := m1[s]; !ok {
			t.Errorf("series %s missing", s)
		}
	}
	if strings.Contains(text, dirID) || strings.Contains(text, "@example.com") {
		t.Error("a label carries a directory id or request input")
	}
	for line := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(line, "# TYPE ") && !strings.HasPrefix(line, "# TYPE scimbridge_") {
			t.Errorf("metric without the scimbridge_ prefix: %s", line)
		}
	}
}
