package sqlstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// The event log. Every write method that changes a directory's users,
// groups, memberships, settings or roles appends its events inside its own
// transaction through an eventWriter, so that there is no change without
// its event and no event without its change. An eventWriter is the one
// way to append a directory's events: open it in the transaction
// (openEvents), add the events (add), flush them (flushEvents).
//
// Sequence and position are given in commit order, by whoever serializes
// commits:
//   - on SQLite the single writer: the group commit numbers each batch's
//     events just before committing it (dialect_sqlite.go, numberEvents);
//     the position is the rowid;
//   - on PostgreSQL writers of a directory commit in parallel (dirlock.go)
//     and no value taken during a transaction follows the order they
//     commit in, so events are inserted with neither, and readers seal
//     them after commit: one sealer at a time numbers the committed events
//     that have none, positions and per-directory sequences together
//     (dialect_postgres.go, seal).

// eventWriter collects one transaction's events for one directory.
type eventWriter struct {
	dirID, orgID string
	// def is the role users with no mapped group get, as of this
	// transaction.
	def string
	at  time.Time
	// actor is who makes the change (directory.EventActor), as JSON.
	actor []byte
	rows  []eventRow
	// raw writers skip the deprovisioning guard (holds.go): a hold's
	// release, and the policies' own deletes.
	raw bool
	// appKnown and hasApp: whether the directory has users the app sees
	// differently (app_users), when openEvents read it (PostgreSQL, in
	// its round trip), so that the guard need not ask.
	appKnown, hasApp bool
}

type eventRow struct {
	dirID, orgID         string
	at                   time.Time
	typ, subject, member string
	data, previous       []byte
	actor                []byte
	seq                  int64 // SQLite only: given at commit (PostgreSQL: by seal)
	pos                  int64 // SQLite only: the position, given at commit
	// life is what the event does to its user (the guard's input).
	life directory.Lifecycle
}

// size is about the memory the row holds, for bounding buffers of them.
func (r *eventRow) size() int {
	return len(r.data) + len(r.previous) + len(r.actor) + len(r.subject) + len(r.member) + 160
}

// openEvents returns a writer for the directory's events in tx, with the
// directory's organization and default role read. Every write transaction
// of a directory calls it first. On PostgreSQL it takes the directory's
// lock in shared mode, which excludes role changes but not other writers
// (dirlock.go); more are single-row queries the caller needs next, sent in
// the same round trip.
func (s *Store) openEvents(ctx context.Context, tx *txn, dirID string, more ...pgRow) (*eventWriter, error) {
	w := s.newEventWriter(ctx, dirID)
	if err := s.d.openEvents(ctx, tx, w, more...); err != nil {
		return nil, err
	}
	return w, nil
}

// newEventWriter starts the events of a write to directory dirID, at
// the store's clock and by the context's actor.
func (s *Store) newEventWriter(ctx context.Context, dirID string) *eventWriter {
	return &eventWriter{dirID: dirID, at: s.clock().UTC().Truncate(time.Microsecond), actor: actorJSON(ctx)}
}

// directoryDefaultRole is the default role of the directory d's users.
const directoryDefaultRole = `COALESCE((SELECT o.default_role FROM organization_roles o WHERE o.organization_id = d.organization_id), (SELECT r.key FROM roles r WHERE r.is_default), '')`

// eventDirectoryRow reads the directory's organization and its default
// role into w.
func (s *Store) eventDirectoryRow(w *eventWriter) pgRow {
	return pgRow{query: `SELECT d.organization_id, ` + directoryDefaultRole + `
		FROM directories d WHERE d.id = $1`, args: []any{w.dirID}, dest: []any{&w.orgID, &w.def},
		check: func(err error) error {
			if err == sql.ErrNoRows {
				return notFound("directory", w.dirID)
			}
			if err != nil {
				return fmt.Errorf("reading the directory: %w", err)
			}
			return nil
		}}
}

// dirInfo is what openEvents reads of a directory, cached for one SQLite
// batch (role changes clear it: they may change the default role).
type dirInfo struct{ orgID, def string }

func (s *Store) clock() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// add queues events the domain's rules decided (directory.EventSpec). Data and Previous are rendered to JSON; a
// nil Previous is stored as NULL.
func (w *eventWriter) add(specs ...directory.EventSpec) error {
	for _, e := range specs {
		d, err := json.Marshal(e.Data)
		if err != nil {
			return fmt.Errorf("encoding %s event: %w", e.Type, err)
		}
		var p []byte
		if e.Previous != nil {
			if p, err = json.Marshal(e.Previous); err != nil {
				return fmt.Errorf("encoding %s event: %w", e.Type, err)
			}
		}
		w.rows = append(w.rows, eventRow{dirID: w.dirID, orgID: w.orgID, at: w.at, typ: e.Type, subject: e.Subject, member: e.Member,
			data: d, previous: p, actor: w.actor, life: directory.LifecycleOf(e)})
	}
	return nil
}

// addRendered queues an event rendered earlier (its data and previous
// attributes already JSON; previous may be nil), to be numbered like the
// others: for events held and released later.
func (w *eventWriter) addRendered(typ, subject, member string, data, previous []byte) {
	w.rows = append(w.rows, eventRow{dirID: w.dirID, orgID: w.orgID, at: w.at, typ: typ, subject: subject, member: member,
		data: data, previous: previous, actor: w.actor})
}

// eventsPerInsert bounds the rows of one multi-row INSERT (11 parameters
// each, far under both databases' limits).
const eventsPerInsert = 64

// flushEvents writes the queued events and the directory's new last
// sequence (on SQLite: hands them to the group commit).
func (s *Store) flushEvents(ctx context.Context, tx *txn, w *eventWriter) error {
	if w == nil || len(w.rows) == 0 {
		return nil
	}
	if err := s.guard(ctx, tx, w); err != nil || len(w.rows) == 0 {
		return err // the guard may have kept every event from the app
	}
	return s.d.flushEvents(ctx, tx, w)
}

// insertEvents inserts numbered rows, several per statement.
func (s *Store) insertEvents(ctx context.Context, tx *txn, rows []eventRow) error {
	for start := 0; start < len(rows); start += eventsPerInsert {
		query, args := s.insertEventsQuery(rows[start:min(start+eventsPerInsert, len(rows))])
		if _, err := s.txExec(ctx, tx, query, args...); err != nil {
			return fmt.Errorf("appending events: %w", err)
		}
	}
	return nil
}

// insertEventsQuery is the INSERT of up to eventsPerInsert numbered rows,
// with its arguments.
func (s *Store) insertEventsQuery(chunk []eventRow) (string, []any) {
	var b strings.Builder
	head, cols := s.d.insertEventsHead()
	b.WriteString(head)
	args := make([]any, 0, cols*len(chunk)+2)
	for i, r := range chunk {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + placeholders(len(args)+1, cols) + ")")
		var prev any
		if r.previous != nil {
			prev = string(r.previous)
		}
		var seq any
		if r.seq != 0 {
			seq = r.seq
		}
		args = s.d.eventArgs(args, r)
		args = append(args, r.typ, micros(r.at), r.orgID, nullString(r.dirID), seq,
			nullString(r.subject), nullString(r.member), string(r.data), prev, string(r.actor))
	}
	return b.String(), args
}

// eventID derives an event's id from its time, directory and sequence:
// (directory, sequence) is unique, so the id is too, it needs no
// randomness, and ids still sort by time like every other id.
func eventID(at time.Time, dirID string, seq int64) string {
	h := sha256.Sum256([]byte(dirID + "/" + strconv.FormatInt(seq, 10)))
	id, _ := directory.IDs{Now: func() time.Time { return at }, Rand: bytes.NewReader(h[:10])}.New(directory.PrefixEvent)
	return id
}

// positionEventID is an event id on SQLite, where the position is known
// when the event is written: it encodes the time and the position, so that
// GetEvent finds the event by its position and the table needs no index on
// id (one b-tree fewer to update on every commit).
func positionEventID(at time.Time, pos int64) string {
	var b [10]byte
	b[0], b[1] = 0xE5, 0x0A // marks a position id
	binary.BigEndian.PutUint64(b[2:], uint64(pos))
	id, _ := directory.IDs{Now: func() time.Time { return at }, Rand: bytes.NewReader(b[:])}.New(directory.PrefixEvent)
	return id
}

// positionOfEventID decodes a positionEventID; ok is false for anything
// else.
func positionOfEventID(id string) (int64, bool) {
	rest, found := strings.CutPrefix(id, directory.PrefixEvent+"_")
	if !found || len(rest) != 26 {
		return 0, false
	}
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	var hi, lo uint64 // 130 bits: 2 in hi's low bits, 128 across hi:lo
	for i := 0; i < len(rest); i++ {
		v := strings.IndexByte(alphabet, rest[i])
		if v < 0 {
			return 0, false
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(v)
	}
	// lo is the position; the marker is the bottom 16 bits of hi.
	if uint16(hi) != 0xE50A {
		return 0, false
	}
	return int64(lo), true
}

// appendNotice appends an event that belongs to no directory (for example
// webhook_endpoint.disabled) to tx. It has no sequence; the store gives it
// its id (e.ID is ignored).
func (s *Store) appendNotice(ctx context.Context, tx *txn, e directory.Event) error {
	r := eventRow{orgID: e.OrganizationID, at: e.OccurredAt.UTC().Truncate(time.Microsecond), typ: e.Type, data: e.Data, previous: e.Previous, actor: actorJSON(ctx)}
	if len(r.data) == 0 {
		r.data = []byte("{}")
	}
	return s.d.appendNotice(ctx, tx, r)
}

// ---- Reading the feed. ----

const eventColumns = `position, id, type, occurred_at, organization_id, directory_id, sequence, data, previous, actor`

// actorJSON is who the events written in ctx are attributed to, as the
// actor column stores it.
func actorJSON(ctx context.Context) []byte {
	b, _ := json.Marshal(directory.EventActor(ctx)) // strings only: cannot fail
	return b
}

// scanActor decodes the actor column; NULL (events recorded before actors
// were kept) is nil.
func scanActor(col sql.NullString) *directory.Actor {
	var a directory.Actor
	if !col.Valid || json.Unmarshal([]byte(col.String), &a) != nil {
		return nil
	}
	return &a
}

func scanEvent(row interface{ Scan(...any) error }) (directory.Event, error) {
	var e directory.Event
	var at int64
	var dir sql.NullString
	var seq, pos sql.NullInt64
	var data string
	var prev, actor sql.NullString
	if err := row.Scan(&pos, &e.ID, &e.Type, &at, &e.OrganizationID, &dir, &seq, &data, &prev, &actor); err != nil {
		return e, err
	}
	e.Actor = scanActor(actor)
	e.Position, e.OccurredAt, e.DirectoryID, e.Sequence = pos.Int64, fromMicros(at), dir.String, seq.Int64
	e.Data = json.RawMessage(data)
	if prev.Valid {
		e.Previous = json.RawMessage(prev.String)
	}
	return e, nil
}

// defaultEventLimit is how many events a feed read returns when the
// query names no limit.
const defaultEventLimit = 100

// ListEvents implements directory.EventLog.
func (s *Store) ListEvents(ctx context.Context, q directory.EventQuery) ([]directory.Event, error) {
	if err := s.d.sealed(ctx); err != nil {
		return nil, err
	}
	args := []any{q.After}
	cond := `position > $1`
	if len(q.Types) > 0 {
		list, err := json.Marshal(q.Types)
		if err != nil {
			return nil, fmt.Errorf("listing events: %w", err)
		}
		args = append(args, string(list))
		cond += ` AND type IN (` + s.d.jsonStrings(fmt.Sprintf("$%d", len(args))) + `)`
	}
	if q.OrganizationID != "" {
		// No index on organization_id (one less b-tree for every write to
		// update): the organization's directories, by the directory index,
		// and its notices.
		args = append(args, q.OrganizationID)
		cond += fmt.Sprintf(` AND (directory_id IN (SELECT id FROM directories WHERE organization_id = $%d) OR (directory_id IS NULL AND organization_id = $%d))`, len(args), len(args))
	}
	if q.DirectoryID != "" {
		args = append(args, q.DirectoryID)
		cond += fmt.Sprintf(` AND directory_id = $%d`, len(args))
	}
	from := `events`
	if q.Subject != "" {
		args = append(args, q.Subject)
		from, cond = s.d.subjectEvents(from, cond, len(args))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultEventLimit
	}
	args = append(args, limit)
	rows, err := s.readRows(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE %s ORDER BY position LIMIT $%d`, eventColumns, from, cond, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("listing events: %w", err)
	}
	defer rows.Close()
	out := []directory.Event{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("listing events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing events: %w", err)
	}
	return out, nil
}

// GetEvent implements directory.EventLog.
func (s *Store) GetEvent(ctx context.Context, id string) (directory.Event, error) {
	if err := s.d.sealed(ctx); err != nil {
		return directory.Event{}, err
	}
	query, args, ok := s.d.eventByID(id)
	if !ok {
		return directory.Event{}, notFound("event", id)
	}
	e, err := scanEvent(s.readRow(ctx, query, args...))
	if err == sql.ErrNoRows {
		return e, notFound("event", id)
	}
	if err != nil {
		return e, fmt.Errorf("reading event: %w", err)
	}
	return e, nil
}

// LastEventPosition implements directory.EventLog.
func (s *Store) LastEventPosition(ctx context.Context) (int64, error) {
	if err := s.d.sealed(ctx); err != nil {
		return 0, err
	}
	var n int64
	if err := s.readRow(ctx, s.d.lastPositionQuery()).Scan(&n); err != nil {
		return 0, fmt.Errorf("reading the last event position: %w", err)
	}
	return n, nil
}

// ---- Rendering records inside a transaction. ----

type queryFunc func(ctx context.Context, query string, args ...any) (*sql.Rows, error)

func (s *Store) txQuery(tx *txn) queryFunc {
	return func(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
		return s.txRows(ctx, tx, query, args...)
	}
}

// userRecords renders users as events carry them: with their groups and
// effective roles as tx sees them. Events carry the normalized user, not
// the SCIM document (GET the user with include_detail=true for that): the
// document would double what every event stores, and the write path's cost.
func (s *Store) userRecords(ctx context.Context, tx *txn, w *eventWriter, users []directory.User) ([]directory.UserRecord, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	groups, err := s.userGroups(ctx, s.txQuery(tx), s.d.forKeyShare(), w.dirID, ids)
	if err != nil {
		return nil, err
	}
	grants, err := s.userRoles(ctx, s.txQuery(tx), w.dirID, ids, 0)
	if err != nil {
		return nil, err
	}
	out := make([]directory.UserRecord, len(users))
	for i, u := range users {
		eff := directory.EffectiveRoles(grants[u.ID], w.def)
		out[i] = directory.NewUserRecord(u, w.orgID, groups[u.ID], &eff)
	}
	return out, nil
}

// ---- Role changes. ----

// groupGrants returns the roles a group maps to.
func (s *Store) groupGrants(ctx context.Context, tx *txn, groupPK int64) ([]directory.RoleGrant, error) {
	rows, err := s.txRows(ctx, tx, `SELECT role_key, priority FROM role_mappings WHERE group_pk = $1`, groupPK)
	if err != nil {
		return nil, fmt.Errorf("reading group mappings: %w", err)
	}
	defer rows.Close()
	var out []directory.RoleGrant
	for rows.Next() {
		var g directory.RoleGrant
		if err := rows.Scan(&g.Role, &g.Priority); err != nil {
			return nil, fmt.Errorf("reading group mappings: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// membershipRoleEvents appends user_updated events for the users whose
// effective roles changed because their membership of one mapped group
// changed: was and is say, per user id, whether it was a member before
// the transaction and is one now. Other groups' grants are read once.
func (s *Store) membershipRoleEvents(ctx context.Context, tx *txn, w *eventWriter, groupPK int64, gg []directory.RoleGrant, was, is map[string]bool) error {
	if len(gg) == 0 || len(was) == 0 {
		return nil
	}
	ids := directory.MembershipFlips(was, is)
	if len(ids) == 0 {
		return nil
	}
	// Lock the users first (in id order): another write of a mapped
	// membership of theirs, or of the users themselves, then commits
	// before this one reads their other grants, or waits for it to commit.
	if err := s.lockUsers(ctx, tx, w.dirID, ids); err != nil {
		return err
	}
	others, err := s.userRoles(ctx, s.txQuery(tx), w.dirID, ids, groupPK)
	if err != nil {
		return err
	}
	changed, before := directory.MembershipRoleChanges(gg, ids, others, was, is, w.def)
	return s.roleEvents(ctx, tx, w, changed, before)
}

// lockUsers locks the listed users of a directory (NO KEY UPDATE), in id
// order.
func (s *Store) lockUsers(ctx context.Context, tx *txn, dirID string, ids []string) error {
	if s.d.forUpdate() == "" {
		return nil // SQLite: one writer
	}
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	list, err := json.Marshal(sorted)
	if err != nil {
		return fmt.Errorf("locking users: %w", err)
	}
	rows, err := s.txRows(ctx, tx, `SELECT u.id FROM users u WHERE u.directory_id = $1 AND u.id IN (`+s.d.jsonStrings("$2")+`)
		ORDER BY u.id`+s.d.forUpdate(), dirID, string(list))
	if err != nil {
		return fmt.Errorf("locking users: %w", err)
	}
	if _, err := readIDs(rows); err != nil {
		return fmt.Errorf("locking users: %w", err)
	}
	return nil
}

// roleEvents appends a user_updated event for each listed user (which must
// exist), whose effective roles were before[id].
func (s *Store) roleEvents(ctx context.Context, tx *txn, w *eventWriter, ids []string, before map[string]directory.Effective) error {
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		users, err := s.usersByID(ctx, tx, w.dirID, part)
		if err != nil {
			return err
		}
		recs, err := s.userRecords(ctx, tx, w, users)
		if err != nil {
			return err
		}
		for i, r := range recs {
			if err := w.add(directory.RoleChangeEvent(r, before[users[i].ID])); err != nil {
				return err
			}
		}
		// Written chunk by chunk, so that a change for 200,000 users does
		// not hold 200,000 events.
		if err := s.flushEvents(ctx, tx, w); err != nil {
			return err
		}
	}
	return nil
}

// usersByID loads the listed users of a directory in tx, in id order.
func (s *Store) usersByID(ctx context.Context, tx *txn, dirID string, ids []string) ([]directory.User, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("loading users: %w", err)
	}
	rows, err := s.txRows(ctx, tx, `SELECT `+userColumns+` FROM `+s.joinIDs("$2", "users", "u")+` AND u.directory_id = $1 ORDER BY u.id`, dirID, string(list))
	if err != nil {
		return nil, fmt.Errorf("loading users: %w", err)
	}
	defer rows.Close()
	var out []directory.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("loading users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// roleRules is what decides a directory's effective roles, its members
// aside: the default role and the grants of each mapped group (by pk).
// It is small whatever the number of users.
type roleRules struct {
	def    string
	groups map[int64][]directory.RoleGrant
}

// readRoleRules reads a directory's roleRules in tx.
func (s *Store) readRoleRules(ctx context.Context, tx *txn, dirID string) (roleRules, error) {
	r := roleRules{groups: map[int64][]directory.RoleGrant{}}
	err := s.txRow(ctx, tx, `SELECT COALESCE((SELECT o.default_role FROM organization_roles o WHERE o.organization_id = d.organization_id), (SELECT r.key FROM roles r WHERE r.is_default), '')
		FROM directories d WHERE d.id = $1`, dirID).Scan(&r.def)
	if err == sql.ErrNoRows {
		return r, notFound("directory", dirID)
	}
	if err != nil {
		return r, fmt.Errorf("reading roles: %w", err)
	}
	rows, err := s.txRows(ctx, tx, `SELECT group_pk, role_key, priority FROM role_mappings WHERE directory_id = $1`, dirID)
	if err != nil {
		return r, fmt.Errorf("reading roles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pk int64
		var g directory.RoleGrant
		if err := rows.Scan(&pk, &g.Role, &g.Priority); err != nil {
			return r, fmt.Errorf("reading roles: %w", err)
		}
		r.groups[pk] = append(r.groups[pk], g)
	}
	return r, rows.Err()
}

// snapshot is the directory's RoleSnapshot restricted to some users, from
// the mapped groups each is a member of.
func (r roleRules) snapshot(memberOf map[string][]int64) directory.RoleSnapshot {
	snap := directory.RoleSnapshot{Default: r.def, Grants: map[string][]directory.RoleGrant{}}
	for id, pks := range memberOf {
		for _, pk := range pks {
			snap.Grants[id] = append(snap.Grants[id], r.groups[pk]...)
		}
	}
	return snap
}

// roleUsersPerChunk is how many candidate users of a role change are
// compared, and their events written, at a time.
const roleUsersPerChunk = 500

// withRoleEvents runs mutate, which may change the role mappings or
// default roles of the listed directories, and appends a user_updated
// event for every user of them whose effective roles changed.
//
// The directories' writer locks are taken first, exclusively and in id
// order (dirlock.go), so that no write of them is in flight: none read the
// old mappings or default role, and no membership change commits between
// reading the rules before and after (it would be reported twice).
//
// Memory does not grow with the users affected: the rules before and after
// are small (default role, mapped groups), the candidates are listed by pk
// (8 bytes each), and they are compared, and their events written, a chunk
// at a time (directory.RoleChanges on the chunk's snapshots).
func (s *Store) withRoleEvents(ctx context.Context, tx *txn, dirIDs []string, mutate func() error) error {
	dirIDs = append([]string(nil), dirIDs...)
	sort.Strings(dirIDs)
	if err := s.lockDirectories(ctx, tx, dirIDs); err != nil {
		return err
	}
	before := make([]roleRules, len(dirIDs))
	for i, id := range dirIDs {
		r, err := s.readRoleRules(ctx, tx, id)
		if err != nil {
			return err
		}
		before[i] = r
	}
	if err := mutate(); err != nil {
		return err
	}
	s.d.forgetDirectories() // the default role may have changed
	for i, dirID := range dirIDs {
		after, err := s.readRoleRules(ctx, tx, dirID)
		if err != nil {
			return err
		}
		if err := s.roleChangeEvents(ctx, tx, dirID, before[i], after); err != nil {
			return err
		}
	}
	return nil
}

// roleChangeEvents appends the events of a directory's change of rules
// from before to after.
func (s *Store) roleChangeEvents(ctx context.Context, tx *txn, dirID string, before, after roleRules) error {
	mapped := map[int64]bool{}
	for pk := range before.groups {
		mapped[pk] = true
	}
	for pk := range after.groups {
		mapped[pk] = true
	}
	groups := make([]int64, 0, len(mapped))
	for pk := range mapped {
		groups = append(groups, pk)
	}
	slices.Sort(groups)
	groupList, err := json.Marshal(groups)
	if err != nil {
		return fmt.Errorf("listing role change candidates: %w", err)
	}
	// The candidates: every user when the default role changed, else the
	// members of the groups mapped before or after
	// (directory.RoleChangeCandidates).
	var cands []int64
	if before.def != after.def {
		cands, err = s.txInts(ctx, tx, `SELECT pk FROM users WHERE directory_id = $1`, dirID)
	} else if len(groups) > 0 {
		cands, err = s.txInts(ctx, tx, `SELECT gm.user_pk FROM group_members gm WHERE gm.group_pk IN (`+s.d.jsonInts("$1")+`)`, string(groupList))
	}
	if err != nil {
		return fmt.Errorf("listing role change candidates: %w", err)
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	var w *eventWriter
	for start := 0; start < len(cands); start += roleUsersPerChunk {
		chunk, err := json.Marshal(cands[start:min(start+roleUsersPerChunk, len(cands))])
		if err != nil {
			return fmt.Errorf("reading role change candidates: %w", err)
		}
		rows, err := s.txRows(ctx, tx, `SELECT u.id, gm.group_pk FROM users u
			LEFT JOIN group_members gm ON gm.user_pk = u.pk AND gm.group_pk IN (`+s.d.jsonInts("$2")+`)
			WHERE u.pk IN (`+s.d.jsonInts("$1")+`) AND u.directory_id = $3`, string(chunk), string(groupList), dirID)
		if err != nil {
			return fmt.Errorf("reading role change candidates: %w", err)
		}
		memberOf := map[string][]int64{}
		var ids []string
		for rows.Next() {
			var id string
			var pk sql.NullInt64
			if err := rows.Scan(&id, &pk); err != nil {
				rows.Close()
				return fmt.Errorf("reading role change candidates: %w", err)
			}
			if _, seen := memberOf[id]; !seen {
				ids = append(ids, id)
				memberOf[id] = nil
			}
			if pk.Valid {
				memberOf[id] = append(memberOf[id], pk.Int64)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("reading role change candidates: %w", err)
		}
		changed, prev := directory.RoleChanges(before.snapshot(memberOf), after.snapshot(memberOf), ids)
		if len(changed) == 0 {
			continue
		}
		if w == nil {
			if w, err = s.openEvents(ctx, tx, dirID); err != nil {
				return err
			}
		}
		if err := s.roleEvents(ctx, tx, w, changed, prev); err != nil {
			return err
		}
	}
	return s.flushEvents(ctx, tx, w)
}

// txInts reads a column of integers in tx.
func (s *Store) txInts(ctx context.Context, tx *txn, query string, args ...any) ([]int64, error) {
	rows, err := s.txRows(ctx, tx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// directoriesWhere returns the ids of the directories a query selects.
func (s *Store) directoriesWhere(ctx context.Context, tx *txn, query string, args ...any) ([]string, error) {
	rows, err := s.txRows(ctx, tx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing directories: %w", err)
	}
	ids, err := readIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("listing directories: %w", err)
	}
	return ids, nil
}

// Which directories a role change can affect.
const (
	// dirsOfOrg: the organization's directories (its default role changed).
	dirsOfOrg = `SELECT id FROM directories WHERE organization_id = $1 ORDER BY id`
	// dirsOnGlobalDefault: directories whose organization has no default
	// role of its own (the instance default changed).
	dirsOnGlobalDefault = `SELECT d.id FROM directories d WHERE NOT EXISTS (SELECT 1 FROM organization_roles o WHERE o.organization_id = d.organization_id) ORDER BY d.id`
	// dirsUsingRole: directories that map a group to role $1 or whose
	// organization defaults to it (the role is being deleted).
	dirsUsingRole = `SELECT directory_id FROM role_mappings WHERE role_key = $1
		UNION SELECT d.id FROM directories d JOIN organization_roles o ON o.organization_id = d.organization_id WHERE o.default_role = $1`
)
