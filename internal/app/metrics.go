package app

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/mgmtapi"
	"github.com/scimbridge/scimbridge/internal/web"
)

// Metrics is the process's Prometheus registry and the instruments the
// app feeds (docs/operations.md, "Metrics"). There is no global registry:
// Open builds one per App and hands small hooks down to the store, the
// webhook worker and the HTTP chain.
type Metrics struct {
	Registry *prometheus.Registry

	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	authRefused *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	shed        *prometheus.CounterVec
	txRetries   prometheus.Counter
	batchSize   prometheus.Histogram
	deliveries  *prometheus.CounterVec

	// apiRoutes classifies management API paths into their route
	// templates (ServeMux.Handler matches without serving).
	apiRoutes *http.ServeMux
	// series caches the request counter and duration histogram of each
	// label set (a bounded set: routes are templates, methods and status
	// classes are few), sparing two lookups by label values per request.
	series sync.Map // seriesKey → *requestSeries
}

// seriesKey is the label values of a request's series.
type seriesKey struct{ surface, route, method, class string }

// requestSeries is one label set's request counter and duration.
type requestSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// requestSeries returns the series of k.
func (m *Metrics) requestSeries(k seriesKey) *requestSeries {
	if v, ok := m.series.Load(k); ok {
		return v.(*requestSeries)
	}
	s := &requestSeries{
		requests: m.requests.WithLabelValues(k.surface, k.route, k.method, k.class),
		duration: m.duration.WithLabelValues(k.surface, k.route, k.method, k.class),
	}
	v, _ := m.series.LoadOrStore(k, s)
	return v.(*requestSeries)
}

// statusClass is the code label of a status: "2xx" and so on.
func statusClass(status int) string {
	switch status / 100 {
	case 1:
		return "1xx"
	case 2:
		return "2xx"
	case 3:
		return "3xx"
	case 4:
		return "4xx"
	case 5:
		return "5xx"
	}
	return strconv.Itoa(status/100) + "xx"
}

// newMetrics builds the registry and registers every instrument, and the
// collector that reads the database and the request log at scrape time.
func newMetrics(a *App, apiPatterns []string) *Metrics {
	reg := prometheus.NewRegistry()
	labels := []string{"surface", "route", "method", "code"}
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "scimbridge_http_requests_total",
			Help: "HTTP requests answered, by surface, route template, method and status class."}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "scimbridge_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by surface, route template, method and status class.", Buckets: prometheus.DefBuckets}, labels),
		authRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "scimbridge_auth_refused_total",
			Help: "Requests refused for missing or wrong credentials (401), by surface."}, []string{"surface"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "scimbridge_rate_limited_total",
			Help: "Requests answered 429 (the failed-authentication limiter), by surface."}, []string{"surface"}),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "scimbridge_load_shed_total",
			Help: "Requests shed with 503 by the in-flight cap (--max-in-flight), by surface."}, []string{"surface"}),
		txRetries: prometheus.NewCounter(prometheus.CounterOpts{Name: "scimbridge_db_tx_retries_total",
			Help: "PostgreSQL transactions run again after a deadlock or serialization failure."}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "scimbridge_db_group_commit_batch_size",
			Help: "Writes committed together by SQLite's group commit.", Buckets: prometheus.ExponentialBuckets(1, 2, 9)}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "scimbridge_webhook_attempts_total",
			Help: "Webhook delivery attempts recorded, by outcome: succeeded, retrying, failed (given up)."}, []string{"outcome"}),
		apiRoutes: http.NewServeMux(),
	}
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for _, p := range apiPatterns {
		m.apiRoutes.Handle(p, noop)
	}
	reg.MustRegister(m.requests, m.duration, m.authRefused, m.rateLimited, m.shed, m.txRetries, m.batchSize, m.deliveries,
		newScrapeCollector(a))
	return m
}

// TxRetried implements sqlstore.Observer.
func (m *Metrics) TxRetried() { m.txRetries.Inc() }

// BatchCommitted implements sqlstore.Observer.
func (m *Metrics) BatchCommitted(n int) { m.batchSize.Observe(float64(n)) }

// webhookAttempt is the webhook worker's OnAttempt.
func (m *Metrics) webhookAttempt(outcome string) { m.deliveries.WithLabelValues(outcome).Inc() }

// instrument counts and times every request of next.
func (m *Metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &web.StatusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := rec.Status
		if status == 0 {
			status = http.StatusOK
		}
		surface, route := m.classify(r)
		series := m.requestSeries(seriesKey{surface, route, method(r.Method), statusClass(status)})
		series.requests.Inc()
		series.duration.Observe(time.Since(start).Seconds())
		switch {
		case status == http.StatusUnauthorized:
			m.authRefused.WithLabelValues(surface).Inc()
		case status == http.StatusTooManyRequests:
			m.rateLimited.WithLabelValues(surface).Inc()
		case status == http.StatusServiceUnavailable && (surface == "scim" || surface == "api"):
			m.shed.WithLabelValues(surface).Inc()
		}
	})
}

// scimRoute reports whether seg is a SCIM endpoint a route label may name
// (RFC 7644 §3.2, §3.4.3, §3.7, §4); any other path is "other".
func scimRoute(seg string) bool {
	switch seg {
	case "Users", "Groups", "Bulk", ".search", "Schemas", "ResourceTypes", "ServiceProviderConfig", "Me":
		return true
	}
	return false
}

// scimRouteLabel is the route label of a SCIM endpoint, with or without
// an id; the common ones are constants.
func scimRouteLabel(endpoint string, withID bool) string {
	switch {
	case endpoint == "Users" && withID:
		return "/scim/v2/{dir_id}/Users/{id}"
	case endpoint == "Users":
		return "/scim/v2/{dir_id}/Users"
	case endpoint == "Groups" && withID:
		return "/scim/v2/{dir_id}/Groups/{id}"
	case endpoint == "Groups":
		return "/scim/v2/{dir_id}/Groups"
	case withID:
		return "/scim/v2/{dir_id}/" + endpoint + "/{id}"
	}
	return "/scim/v2/{dir_id}/" + endpoint
}

// classify names r's surface and route template. Labels never carry a
// directory id or anything else taken from the request.
func (m *Metrics) classify(r *http.Request) (surface, route string) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/scim/v2/"):
		// {dir}/{endpoint}[/{id}…], read without splitting (allocating).
		_, rest, ok := strings.Cut(strings.TrimPrefix(p, "/scim/v2/"), "/")
		endpoint, id, hasID := strings.Cut(rest, "/")
		if !ok || !scimRoute(endpoint) {
			return "scim", "/scim/v2/{dir_id}/other"
		}
		if hasID {
			id, _, _ = strings.Cut(id, "/")
		}
		return "scim", scimRouteLabel(endpoint, id != "")
	case strings.HasPrefix(p, "/api/v1/"):
		if _, pat := m.apiRoutes.Handler(r); pat != "" {
			_, path, _ := strings.Cut(pat, " ")
			return "api", path
		}
		return "api", "other"
	case strings.HasPrefix(p, "/portal/"):
		return "portal", "/portal"
	case p == "/healthz" || p == "/readyz" || p == "/metrics":
		return "ops", p
	}
	return "other", "other"
}

func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// handler serves the registry in the Prometheus text format.
func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// metricsWithKey serves /metrics on the main listener to a caller with an
// API key as bearer token (Prometheus' authorization scrape setting).
func (a *App) metricsWithKey() http.Handler {
	h := a.Metrics.handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, secret, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			secret = ""
		}
		if err := a.Service.AuthenticateAPIKey(r.Context(), strings.TrimSpace(secret), a.Config.APIKey); err != nil {
			status, msg := http.StatusUnauthorized, "an API key is required as bearer token"
			var de *directory.Error
			if errors.As(err, &de) && de.Kind == directory.KindTooMany {
				status, msg = http.StatusTooManyRequests, de.Message
			} else if !errors.As(err, &de) || de.Kind != directory.KindUnauthorized {
				status, msg = http.StatusInternalServerError, "internal error (request id "+web.RequestID(r.Context())+")"
				a.Logger.ErrorContext(r.Context(), "authenticating a metrics scrape", "error", err)
			}
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="scimbridge"`)
			}
			web.WriteJSON(w, status, "application/json", map[string]any{"error": map[string]any{"code": "unauthorized", "message": msg, "details": []any{}}})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// scrapeCollector reads, at each scrape, what lives in the database and
// the request log rather than in counters: pool statistics, the feed head,
// webhook backlogs, the request log's queue.
type scrapeCollector struct {
	a                                                                                                                                                   *App
	descDBConns, descDBWaits, descDBWaitSeconds, descEvents, descFeedLag, descBacklog, descOldest, descRLQueue, descRLBytes, descRLDrops, descScrapeErr *prometheus.Desc
}

func newScrapeCollector(a *App) *scrapeCollector {
	return &scrapeCollector{a: a,
		descDBConns: prometheus.NewDesc("scimbridge_db_connections", "Database connections by pool and state (in_use, idle).",
			[]string{"pool", "state"}, nil),
		descDBWaits: prometheus.NewDesc("scimbridge_db_waits_total", "Times a query waited for a free connection, by pool.",
			[]string{"pool"}, nil),
		descDBWaitSeconds: prometheus.NewDesc("scimbridge_db_wait_seconds_total", "Time spent waiting for a free connection, by pool.",
			[]string{"pool"}, nil),
		descEvents: prometheus.NewDesc("scimbridge_events_written_total", "Events written to the feed since the database was created (the newest feed position).",
			nil, nil),
		descFeedLag: prometheus.NewDesc("scimbridge_webhook_feed_lag_events", "Feed events not yet fanned out to an enabled webhook endpoint, by endpoint.",
			[]string{"endpoint_id"}, nil),
		descBacklog: prometheus.NewDesc("scimbridge_webhook_backlog", "Webhook deliveries not yet delivered (pending), by endpoint.",
			[]string{"endpoint_id"}, nil),
		descOldest: prometheus.NewDesc("scimbridge_webhook_oldest_undelivered_age_seconds", "Age of the oldest pending delivery, by endpoint (0 when none).",
			[]string{"endpoint_id"}, nil),
		descRLQueue:   prometheus.NewDesc("scimbridge_request_log_queue_entries", "Request log entries queued, not yet written.", nil, nil),
		descRLBytes:   prometheus.NewDesc("scimbridge_request_log_queue_bytes", "Bytes of request log entries queued, not yet written.", nil, nil),
		descRLDrops:   prometheus.NewDesc("scimbridge_request_log_dropped_total", "Request log entries dropped (queue full or refused by the database).", nil, nil),
		descScrapeErr: prometheus.NewDesc("scimbridge_scrape_errors", "1 when this scrape could not read the database (the database series are missing), else 0.", nil, nil),
	}
}

func (c *scrapeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.descDBConns, c.descDBWaits, c.descDBWaitSeconds, c.descEvents, c.descFeedLag, c.descBacklog, c.descOldest,
		c.descRLQueue, c.descRLBytes, c.descRLDrops, c.descScrapeErr} {
		ch <- d
	}
}

func (c *scrapeCollector) Collect(ch chan<- prometheus.Metric) {
	for pool, st := range c.a.Store.PoolStats() {
		ch <- prometheus.MustNewConstMetric(c.descDBConns, prometheus.GaugeValue, float64(st.InUse), pool, "in_use")
		ch <- prometheus.MustNewConstMetric(c.descDBConns, prometheus.GaugeValue, float64(st.Idle), pool, "idle")
		ch <- prometheus.MustNewConstMetric(c.descDBWaits, prometheus.CounterValue, float64(st.WaitCount), pool)
		ch <- prometheus.MustNewConstMetric(c.descDBWaitSeconds, prometheus.CounterValue, st.WaitDuration.Seconds(), pool)
	}
	if rl := c.a.RequestLog; rl != nil {
		n, b := rl.QueueDepth()
		ch <- prometheus.MustNewConstMetric(c.descRLQueue, prometheus.GaugeValue, float64(n))
		ch <- prometheus.MustNewConstMetric(c.descRLBytes, prometheus.GaugeValue, float64(b))
		ch <- prometheus.MustNewConstMetric(c.descRLDrops, prometheus.CounterValue, float64(rl.Dropped()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	snap, err := c.a.Store.OpsSnapshot(ctx)
	if err != nil {
		c.a.Logger.Warn("metrics: reading the database", "error", err)
		ch <- prometheus.MustNewConstMetric(c.descScrapeErr, prometheus.GaugeValue, 1)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.descScrapeErr, prometheus.GaugeValue, 0)
	ch <- prometheus.MustNewConstMetric(c.descEvents, prometheus.CounterValue, float64(snap.LastEventPosition))
	now := c.a.Service.IDs.Now()
	for _, e := range snap.Endpoints {
		ch <- prometheus.MustNewConstMetric(c.descFeedLag, prometheus.GaugeValue, float64(e.FeedLag), e.EndpointID)
		ch <- prometheus.MustNewConstMetric(c.descBacklog, prometheus.GaugeValue, float64(e.Pending), e.EndpointID)
		age := 0.0
		if !e.Oldest.IsZero() {
			age = max(now.Sub(e.Oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(c.descOldest, prometheus.GaugeValue, age, e.EndpointID)
	}
}

// setupMetrics builds the registry and connects the store's and the
// webhook worker's hooks to it.
func (a *App) setupMetrics() {
	mgmt := &mgmtapi.Handler{}
	a.Metrics = newMetrics(a, mgmt.RoutePatterns())
	a.Store.SetObserver(a.Metrics)
	a.WebhookWorker.OnAttempt = a.Metrics.webhookAttempt
}
