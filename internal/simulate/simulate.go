package simulate

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Summary is the outcome of a run; --json prints it.
type Summary struct {
	IdP         string   `json:"idp"`
	Endpoint    string   `json:"endpoint"`
	Run         string   `json:"run"` // the tag prefixing every name created
	Users       int      `json:"users"`
	Groups      int      `json:"groups"`
	Members     int      `json:"members"`
	Concurrency int      `json:"concurrency"`
	Phases      []Phase  `json:"phases"`
	Requests    int64    `json:"requests"`
	Errors      int64    `json:"errors"`
	Throttled   int64    `json:"throttled"`
	Checked     int      `json:"checked"`     // resources and properties compared when verifying
	Differences int      `json:"differences"` // how many did not match the model
	FirstDiffs  []string `json:"first_differences,omitempty"`
	Pass        bool     `json:"pass"`
}

// Phase is the outcome of one phase.
type Phase struct {
	Name        string   `json:"name"`
	Requests    int64    `json:"requests"`
	Errors      int64    `json:"errors"`
	Throttled   int64    `json:"throttled"`
	Seconds     float64  `json:"seconds"`
	PerSecond   float64  `json:"requests_per_second"`
	Notes       []string `json:"notes,omitempty"`
	FirstErrors []string `json:"first_errors,omitempty"`
}

// runner carries one run's state through its phases.
type runner struct {
	cfg Config
	d   *dialect
	c   *client
	m   *model
	out io.Writer
	st  *phaseStats // the current phase's counters

	mu    sync.Mutex
	notes []string
	diffs []string
	ndiff int
	check atomic.Int64
}

// Run drives cfg.Endpoint the way cfg.IdP does and writes one line per
// phase to out as it finishes. The error is for a run that could not
// start; a server that misbehaves gives a Summary with Pass false.
func Run(ctx context.Context, cfg Config, out io.Writer) (Summary, error) {
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	cfg = cfg.withDefaults()
	d := lookupDialect(cfg.IdP)
	c, err := newClient(cfg, d)
	if err != nil {
		return Summary{}, err
	}
	tag := make([]byte, 4)
	if _, err := io.ReadFull(cfg.Rand, tag); err != nil {
		return Summary{}, fmt.Errorf("naming the run: %w", err)
	}
	r := &runner{cfg: cfg, d: d, c: c, out: out, m: newModel("sim"+hex.EncodeToString(tag), cfg, d.lower)}
	s := Summary{IdP: cfg.IdP, Endpoint: c.base, Run: r.m.run, Users: cfg.Users, Groups: cfg.Groups,
		Members: cfg.Members, Concurrency: cfg.Concurrency}
	fmt.Fprintf(out, "simulating %s against %s: %d users, %d groups, %d members in the largest, %d workers, run %s\n",
		cfg.IdP, c.base, cfg.Users, cfg.Groups, cfg.Members, cfg.Concurrency, r.m.run)
	phases := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"connect", r.testConnection},
		{"import-users", r.importUsers},
		{"import-groups", r.importGroups},
		{"updates", r.updates},
		{"renames", r.renames},
		{"deactivations", r.deactivations},
		{"removals", r.removals},
		{"deletes", r.deletes},
		{"verify", r.verify},
	}
	for _, p := range phases {
		r.st, r.notes = &phaseStats{}, nil
		start := cfg.Now()
		err := p.fn(ctx)
		ph := r.finish(p.name, cfg.Now().Sub(start))
		s.Phases = append(s.Phases, ph)
		s.Requests += ph.Requests
		s.Errors += ph.Errors
		s.Throttled += ph.Throttled
		if ctx.Err() != nil {
			return s, ctx.Err()
		}
		if err != nil {
			// Only a failed test connection stops a run: an IdP would
			// not save the configuration.
			fmt.Fprintf(out, "  stopping: %v\n", err)
			break
		}
	}
	s.Checked, s.Differences, s.FirstDiffs = int(r.check.Load()), r.ndiff, r.diffs
	s.Pass = s.Errors == 0 && s.Differences == 0 && len(s.Phases) == len(phases)
	verdict := "FAIL"
	if s.Pass {
		verdict = "PASS"
	}
	fmt.Fprintf(out, "%s: %d requests, %d errors (%d throttled), %d checks, %d differences\n",
		verdict, s.Requests, s.Errors, s.Throttled, s.Checked, s.Differences)
	for _, d := range s.FirstDiffs {
		fmt.Fprintf(out, "  difference: %s\n", d)
	}
	return s, nil
}

func (r *runner) finish(name string, dur time.Duration) Phase {
	ph := Phase{Name: name, Requests: r.st.requests.Load(), Errors: r.st.errors.Load(),
		Throttled: r.st.throttled.Load(), Seconds: dur.Seconds(), Notes: r.notes, FirstErrors: r.st.firstErrors}
	if dur > 0 {
		ph.PerSecond = float64(ph.Requests) / dur.Seconds()
	}
	fmt.Fprintf(r.out, "%-14s %7d req %6d err %10s %9.1f req/s\n", name, ph.Requests, ph.Errors,
		dur.Round(time.Millisecond), ph.PerSecond)
	if ph.Throttled > 0 {
		fmt.Fprintf(r.out, "  %d answered 429 Too Many Requests\n", ph.Throttled)
	}
	for _, n := range ph.Notes {
		fmt.Fprintf(r.out, "  note: %s\n", n)
	}
	for _, e := range ph.FirstErrors {
		fmt.Fprintf(r.out, "  error: %s\n", e)
	}
	return ph
}

func (r *runner) note(format string, args ...any) {
	r.mu.Lock()
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

const keepDiffs = 10

func (r *runner) diff(format string, args ...any) {
	r.mu.Lock()
	r.ndiff++
	if len(r.diffs) < keepDiffs {
		r.diffs = append(r.diffs, fmt.Sprintf(format, args...))
	}
	r.mu.Unlock()
}

func (r *runner) do(ctx context.Context, method, path string, body any, want ...int) (response, error) {
	return r.c.do(ctx, r.st, method, path, body, want...)
}

// parallel runs f for 0..n-1 on the configured number of workers.
func (r *runner) parallel(ctx context.Context, n int, f func(ctx context.Context, i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(r.cfg.Concurrency, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(ctx, i)
			}
		})
	}
	wg.Wait()
}
