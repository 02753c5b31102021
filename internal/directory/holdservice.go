package directory

import (
	"context"
	"time"
)

// DeprovisionChange is a partial update of a directory's deprovisioning
// settings: nil fields are left as they are.
type DeprovisionChange struct {
	GuardEnabled    *bool
	GuardMin        *int
	GuardPercent    *int
	GuardWindowMin  *int
	OnDelete        *string
	OnDeactivate    *string // "keep" or "delete_after"
	DeleteAfterDays *int
}

// Empty reports whether the change changes nothing.
func (c DeprovisionChange) Empty() bool { return c == DeprovisionChange{} }

// On-deactivation policies (the API's on_deactivate).
const (
	OnDeactivateKeep        = "keep"
	OnDeactivateDeleteAfter = "delete_after"
)

// UpdateDeprovisionSettings applies c to the directory's settings.
// on_deactivate=delete_after needs delete_after_days (in c or already set);
// keep clears it.
func (s *Service) UpdateDeprovisionSettings(ctx context.Context, dirID string, c DeprovisionChange) (DeprovisionSettings, error) {
	if c.OnDeactivate != nil && *c.OnDeactivate != OnDeactivateKeep && *c.OnDeactivate != OnDeactivateDeleteAfter {
		return DeprovisionSettings{}, Errorf(KindInvalid, "settings.on_deactivate must be %q or %q, got %q", OnDeactivateKeep, OnDeactivateDeleteAfter, *c.OnDeactivate)
	}
	return s.Store.UpdateDeprovisionSettings(ctx, dirID, func(d *DeprovisionSettings) error {
		if c.GuardEnabled != nil {
			d.GuardEnabled = *c.GuardEnabled
		}
		if c.GuardMin != nil {
			d.GuardMin = *c.GuardMin
		}
		if c.GuardPercent != nil {
			d.GuardPercent = *c.GuardPercent
		}
		if c.GuardWindowMin != nil {
			d.GuardWindow = time.Duration(*c.GuardWindowMin) * time.Minute
		}
		if c.OnDelete != nil {
			d.OnDelete = *c.OnDelete
		}
		if c.DeleteAfterDays != nil {
			d.DeleteAfterDays = *c.DeleteAfterDays
			if d.DeleteAfterDays == 0 {
				return Errorf(KindInvalid, "settings.delete_after_days must be between 1 and 3650, got 0 (use on_deactivate \"keep\" to keep deactivated users)")
			}
		}
		if c.OnDeactivate != nil {
			switch {
			case *c.OnDeactivate == OnDeactivateKeep:
				d.DeleteAfterDays = 0
			case d.DeleteAfterDays == 0:
				return Errorf(KindInvalid, "settings.on_deactivate \"delete_after\" needs settings.delete_after_days (1 to 3650)")
			}
		}
		return d.Validate()
	})
}

// OnDeactivate names the settings' on-deactivation policy.
func (s DeprovisionSettings) OnDeactivate() string {
	if s.DeleteAfterDays > 0 {
		return OnDeactivateDeleteAfter
	}
	return OnDeactivateKeep
}

// ReleaseHold releases an open hold of the directory: the app gets the
// held events, in order, with their original times. by says who asked.
func (s *Service) ReleaseHold(ctx context.Context, dirID, holdID, by string) (Hold, error) {
	return s.Store.ReleaseHold(ctx, dirID, holdID, by, s.now())
}

// DiscardHold discards an open hold of the directory: the app keeps its
// users as it saw them, marked diverged.
func (s *Service) DiscardHold(ctx context.Context, dirID, holdID, by string) (Hold, error) {
	return s.Store.DiscardHold(ctx, dirID, holdID, by, s.now())
}

// AppOnlyUser returns the app's record of a user the IdP no longer has
// (deleted while held, diverged or retained), or KindNotFound.
func AppOnlyUser(ctx context.Context, r Reader, dirID, id string) (UserRecord, error) {
	app, err := r.AppUsers(ctx, dirID, []string{id})
	if err != nil {
		return UserRecord{}, err
	}
	a, ok := app[id]
	if !ok {
		return UserRecord{}, Errorf(KindNotFound, "user %q not found in directory %q", id, dirID)
	}
	return a.UserRecord()
}

// DeprovisionJob runs the delete_after policy: every Interval it deletes
// the users that stayed inactive longer than their directory allows. It is
// safe to run in several processes at once (the store's deletes are
// conditional).
type DeprovisionJob struct {
	Service  *Service
	Interval time.Duration // 0: one minute
	// Batch bounds the deletes of one run (0: 1000).
	Batch int
}

// RunOnce deletes what is due now and returns how many users it deleted.
func (j *DeprovisionJob) RunOnce(ctx context.Context) (int, error) {
	batch := j.Batch
	if batch <= 0 {
		batch = 1000
	}
	total := 0
	for total < batch {
		n, err := j.Service.Store.ExpireInactiveUsers(ctx, j.Service.now(), batch-total)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
	return total, nil
}

// Run calls RunOnce every Interval until ctx ends; failures are logged and
// retried at the next tick.
func (j *DeprovisionJob) Run(ctx context.Context) error {
	every := j.Interval
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := j.RunOnce(ctx); err != nil && ctx.Err() == nil {
			j.Service.Logger.WarnContext(ctx, "deprovisioning policy: deleting inactive users", "error", err)
		} else if n > 0 {
			j.Service.Logger.InfoContext(ctx, "deprovisioning policy: deleted inactive users", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
