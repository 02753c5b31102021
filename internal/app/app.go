package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/scimbridge/scimbridge/internal/config"
	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/mgmtapi"
	"github.com/scimbridge/scimbridge/internal/portal"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/scimapi"
	"github.com/scimbridge/scimbridge/internal/sqlstore"
	"github.com/scimbridge/scimbridge/internal/web"
	"github.com/scimbridge/scimbridge/internal/webhook"
)

// App is one scimbridge process's wiring.
type App struct {
	Config  config.Config
	Logger  *slog.Logger
	Store   *sqlstore.Store
	Service *directory.Service
	// RequestLog records SCIM requests; nil when Config.RequestLog is off.
	// Serve runs it.
	RequestLog *directory.RequestLogger
	// Webhooks manages webhook endpoints; WebhookWorker delivers (Serve
	// runs it).
	Webhooks      *directory.WebhookService
	WebhookWorker *webhook.Worker
	// Portal issues Admin Portal links and sessions.
	Portal *directory.Portal
	// Metrics is the Prometheus registry served at /metrics (metrics.go).
	Metrics *Metrics
	// Audit records administrative changes (GET /api/v1/audit_log).
	Audit *directory.AuditLog
	// Deprovision runs the delete_after deprovisioning policy (Serve runs
	// it; docs/deprovisioning-policy.md).
	Deprovision *directory.DeprovisionJob

	// Limits are the HTTP server's timeouts; zero fields take the
	// defaults (see Limits). Set them before Serve.
	Limits Limits

	portal *portal.Handler // the Admin Portal surface, templates parsed
}

// Limits bound how long one HTTP request may take. Zero fields take the
// defaults: 10 s for the request line and headers, 60 s to read the whole
// request, 60 s from the end of the headers to the end of the response,
// 120 s for an idle kept-alive connection.
type Limits struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
}

// withDefaults returns l with its zero fields set to the defaults.
func (l Limits) withDefaults() Limits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.ReadHeaderTimeout, 10*time.Second)
	def(&l.ReadTimeout, 60*time.Second)
	def(&l.WriteTimeout, 60*time.Second)
	def(&l.IdleTimeout, 120*time.Second)
	return l
}

// Open opens and migrates the database and builds the service.
func Open(ctx context.Context, cfg config.Config, logger *slog.Logger) (*App, error) {
	schemas := schema.New()
	st, err := sqlstore.OpenWith(ctx, cfg.DatabaseDSN(), sqlstore.Options{Schemas: schemas, MaxConns: cfg.DatabaseMaxConns})
	if err != nil {
		return nil, err
	}
	n, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	if n > 0 {
		logger.Info("database migrated", "dialect", st.Dialect(), "applied", n)
	}
	if dbv, binv, err := st.SchemaVersions(ctx); err == nil && dbv > binv {
		logger.Warn("database schema is newer than this binary (a rolling upgrade in progress?): running on it; upgrade this process",
			"database_version", dbv, "binary_version", binv)
	}
	svc := &directory.Service{
		Store:              st,
		Schemas:            schemas,
		IDs:                directory.IDs{Now: time.Now, Rand: rand.Reader},
		Logger:             logger,
		MaxPatchOperations: 1000,
		Limits:             directory.Limits{MaxValueBytes: cfg.MaxValueBytes, MaxResourceBytes: cfg.MaxResourceBytes},
		// A custom attribute re-mapping rests as long as each chunk took:
		// SCIM traffic keeps at least half of the time (docs/performance.md).
		AttributeRemapRest: 1,
	}
	if st.Dialect() == "sqlite" {
		// One process owns an SQLite database, so every token or directory
		// change passes through svc, which invalidates the cache.
		svc.AuthCache = directory.NewAuthCache(2 * time.Second)
	}
	a := &App{Config: cfg, Logger: logger, Store: st, Service: svc}
	if err := a.openWebhooks(); err != nil {
		st.Close()
		return nil, err
	}
	a.Portal = &directory.Portal{Store: st, Orgs: st, IDs: svc.IDs,
		Config: directory.PortalConfig{IdleTimeout: cfg.PortalSessionIdle, MaxLifetime: cfg.PortalSessionMax}}
	if cfg.RequestLog {
		a.RequestLog = &directory.RequestLogger{Store: st, Logger: logger, IDs: svc.IDs, Retention: cfg.RequestLogRetention,
			Redactor: directory.Redactor{Literals: nonEmpty(cfg.APIKey)}, Budget: cfg.RequestLogBudget,
			RefusedPerMinute: cfg.RequestLogRefusedPerMinute, ReadsPerMinute: cfg.RequestLogReadsPerMinute}
	}
	a.setupMetrics()
	a.Audit = &directory.AuditLog{Store: st, IDs: svc.IDs, Logger: logger}
	a.Deprovision = &directory.DeprovisionJob{Service: svc}
	a.portal, err = portal.New(portal.Handler{
		Service: svc, Portal: a.Portal, Logger: logger, PublicURL: cfg.PublicURL,
		Branding:          portal.Branding{Name: cfg.PortalName, LogoURL: cfg.PortalLogoURL, Accent: cfg.PortalAccent},
		FrameAncestors:    cfg.PortalFrameAncestors,
		RequestLogEnabled: a.RequestLog != nil,
		Audit:             a.Audit,
		Forms:             &directory.PortalForms{Store: st, IDs: svc.IDs},
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// nonEmpty returns the non-empty ones of ss.
func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// openWebhooks loads (or, on first start, creates) the key that seals
// webhook secrets and builds the webhook service and worker.
func (a *App) openWebhooks() error {
	keyFile := a.Config.SecretKeyFile
	if keyFile == "" {
		keyFile = filepath.Join(a.Config.DataDir, "secret.key")
	}
	key, err := webhook.LoadOrCreateKey(keyFile, rand.Reader)
	if err != nil {
		return err
	}
	box, err := webhook.NewBox(key, rand.Reader)
	if err != nil {
		return err
	}
	a.Webhooks = &directory.WebhookService{Store: a.Store, Events: a.Store, Secrets: box, IDs: a.Service.IDs, Logger: a.Logger}
	a.WebhookWorker = &webhook.Worker{
		Store: a.Store, Events: a.Store, Secrets: box, HTTP: webhook.NewHTTPClient(), IDs: a.Service.IDs,
		Logger: a.Logger, Pruner: a.Store, Retention: a.Config.EventRetention, DisableAfter: a.Config.WebhookDisableAfter,
	}
	return nil
}

// Close releases the database.
func (a *App) Close() error { return a.Store.Close() }

// Handler returns the root HTTP handler: health probes, the SCIM surface,
// the management API and the Admin Portal.
func (a *App) Handler() http.Handler {

	// One limiter for the SCIM surface and the management API: the cap
	// bounds the memory of every request in flight together. Health
	// probes and the portal are outside it.
	var lim *web.Limiter
	if a.Config.MaxInFlight > 0 {
		lim = web.NewLimiter(a.Config.MaxInFlight, a.Config.InFlightWait)
	}
	scim := &scimapi.Handler{Service: a.Service, Logger: a.Logger, PublicURL: a.Config.PublicURL, RequestLog: a.RequestLog,
		AuthFailureRate: a.Config.AuthFailureRate, AuthFailureBurst: a.Config.AuthFailureBurst,
		PageBytes: a.Config.ListPageBytes, Limiter: lim, CacheBytes: a.Config.SCIMCacheBytes}
	mgmt := &mgmtapi.Handler{Service: a.Service, Webhooks: a.Webhooks, Logger: a.Logger, PublicURL: a.Config.PublicURL, APIKey: a.Config.APIKey, Portal: a.Portal,
		PageBytes: a.Config.ListPageBytes, Limiter: lim, Audit: a.Audit}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		web.WriteJSON(w, http.StatusOK, "application/json", map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.Store.Ping(ctx); err != nil {
			a.Logger.WarnContext(ctx, "not ready", "error", err)
			web.WriteJSON(w, http.StatusServiceUnavailable, "application/json", map[string]string{"status": "unavailable", "error": err.Error()})
			return
		}
		web.WriteJSON(w, http.StatusOK, "application/json", map[string]string{"status": "ready"})
	})
	mux.HandleFunc("GET /{$}", a.root)
	mux.Handle("GET /metrics", a.metricsWithKey())
	mux.Handle("/api/v1/", mgmt.Routes())
	mux.Handle("/portal/", web.LimitHeaders(web.MaxHeaderBytes, plainError)(a.portal.Routes()))
	scimRoutes := scim.Routes()
	// SCIM requests bypass the mux's path cleaning: a base URL pasted with a
	// trailing slash yields "/scim/v2/dir_x//Users", which the SCIM surface
	// answers itself instead of with a redirect IdPs do not follow.
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/scim/v2/") {
			scimRoutes.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
	return a.Metrics.instrument(web.Chain(root, web.WithRequestID, web.SecurityHeaders, web.AccessLog(a.Logger, time.Now)))
}

// plainError answers requests outside the surfaces (the Admin Portal's
// header limit) in plain text.
func plainError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	var hte *web.HeaderTooLargeError
	if errors.As(err, &hte) {
		status = http.StatusRequestHeaderFieldsTooLarge
	}
	http.Error(w, err.Error(), status)
}

// ServeWithDebug is Serve plus Go's pprof handlers on dln, for profiling a
// running server. dln should not be reachable from outside the host.
func (a *App) ServeWithDebug(ctx context.Context, ln, dln net.Listener) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.Handle("GET /metrics", a.Metrics.handler()) // no auth: dln is private to the host
	dsrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	a.Logger.Info("pprof listening", "addr", dln.Addr().String())
	return a.serve(ctx, ln, func(g *errgroup.Group) (stop func()) {
		g.Go(func() error {
			dsrv.Serve(dln) // returns http.ErrServerClosed once closed
			return nil
		})
		return func() { dsrv.Close() }
	})
}

// Serve serves on ln and runs the webhook worker until ctx is cancelled,
// then shuts down gracefully: in-flight requests finish (up to the
// shutdown timeout), then the request log writes what it still holds; the
// worker records what it sent and releases the rest.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	return a.serve(ctx, ln, nil)
}

// serve is Serve; extra, if not nil, starts more goroutines in the group
// and returns how to stop them once the HTTP server has shut down.
//
// The HTTP server runs on the calling goroutine; the webhook worker, the
// request log and the extras run in one errgroup, joined before serve
// returns. The worker stops with ctx, as the server starts to drain. The
// request log outlives the HTTP server: it is stopped only after the last
// request has finished, so that it records that one too. A goroutine's
// failure does not stop the others (a stopped webhook worker is logged,
// the server goes on serving), so every error is kept and joined.
func (a *App) serve(ctx context.Context, ln net.Listener, extra func(*errgroup.Group) (stop func())) error {
	wctx, stopWorker := context.WithCancel(ctx)
	defer stopWorker()
	lctx, stopLog := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLog()
	var g errgroup.Group
	var workerErr, logErr error
	g.Go(func() error {
		if err := a.WebhookWorker.Run(wctx); err != nil {
			a.Logger.Error("webhook worker stopped: webhooks are not delivered", "error", err)
			workerErr = fmt.Errorf("webhook worker: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		a.remapAttributes(wctx)
		return nil
	})
	if a.RequestLog != nil {
		g.Go(func() error {
			if err := a.RequestLog.Run(lctx); err != nil {
				logErr = fmt.Errorf("request log: %w", err)
			}
			return nil
		})
	}
	if a.Deprovision != nil {
		g.Go(func() error { return a.Deprovision.Run(wctx) })
	}
	stopExtra := func() {}
	if extra != nil {
		stopExtra = extra(&g)
	}
	err := a.serveHTTP(ctx, ln)
	stopWorker()
	stopLog()
	stopExtra()
	g.Wait() // the goroutines return nil; their errors are joined below
	return errors.Join(err, logErr, workerErr)
}

// attributeRemapEvery is how often the server looks for custom attribute
// mapping changes that their PUT did not finish.
const attributeRemapEvery = 5 * time.Second

// remapAttributes finishes custom attribute mapping changes in the
// background (directory.Service.ApplyPendingAttributes) until ctx ends.
func (a *App) remapAttributes(ctx context.Context) {
	t := time.NewTicker(attributeRemapEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := a.Service.ApplyPendingAttributes(ctx); err != nil && ctx.Err() == nil {
			a.Logger.Error("re-mapping custom attributes", "error", err)
		} else if n > 0 {
			a.Logger.Info("re-mapped custom attributes in the background", "users_changed", n)
		}
	}
}

// serveHTTP is Serve without the request log.
func (a *App) serveHTTP(ctx context.Context, ln net.Listener) error {
	lim := a.Limits
	if lim.WriteTimeout == 0 {
		lim.WriteTimeout = a.Config.WriteTimeout // --write-timeout
	}
	lim = lim.withDefaults()
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       lim.IdleTimeout,
		// Above the surfaces' own limit (web.MaxHeaderBytes), so that a
		// long URL gets their error format rather than Go's plain text.
		MaxHeaderBytes: web.ServerMaxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Logger.Info("scimbridge listening", "addr", ln.Addr().String(), "public_url", a.Config.PublicURL, "database", a.Store.Dialect())
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	a.Logger.Info("shutting down: finishing in-flight requests")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.Config.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
