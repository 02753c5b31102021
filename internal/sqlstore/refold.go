package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// goSteps are migration steps SQL cannot express, run in the migration's
// transaction after its SQL. They are keyed by the migration's name
// without its number (0009_nfc_fold → "nfc_fold"), so that renumbering a
// migration file does not detach its step.
func (s *Store) goSteps() map[string]func(context.Context, *sql.Tx) error {
	return map[string]func(context.Context, *sql.Tx) error{
		"nfc_fold": s.refold,
	}
}

// goStep returns the Go step of migration name, or nil.
func (s *Store) goStep(name string) func(context.Context, *sql.Tx) error {
	_, key, ok := strings.Cut(name, "_")
	if !ok {
		return nil
	}
	return s.goSteps()[key]
}

// refoldPage is how many rows refold reads at a time.
const refoldPage = 500

// refold recomputes the folded columns of users and groups with the
// current schema.FoldString (which added NFC normalisation to
// lower-casing). Only rows holding text that folding under NFC changes are
// rewritten. If the new fold of a userName or displayName collides with
// another row's (two names the IdP sent that differ only in Unicode
// normalisation), the row keeps its old fold: both stay reachable, and
// the next write of either is checked against the new rule.
func (s *Store) refold(ctx context.Context, tx *sql.Tx) error {
	if err := s.refoldTable(ctx, tx, "users", "user_name", "user_name_fold", s.refoldUser); err != nil {
		return fmt.Errorf("refolding users: %w", err)
	}
	if err := s.refoldTable(ctx, tx, "groups", "display_name", "display_name_fold", s.refoldGroup); err != nil {
		return fmt.Errorf("refolding groups: %w", err)
	}
	return nil
}

// refoldRow is one row read by refoldTable.
type refoldRow struct {
	id, dir, name, nameFold string
	doc                     []byte
}

// foldChanges reports whether folding text now gives another result than
// plain lower-casing did.
func foldChanges(text string) bool {
	return schema.FoldString(text) != strings.ToLower(text)
}

func (s *Store) refoldTable(ctx context.Context, tx *sql.Tx, table, nameCol, foldCol string,
	update func(context.Context, *sql.Tx, refoldRow, string) error) error {
	after := ""
	for {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id, directory_id, `+nameCol+`, `+foldCol+`, doc FROM `+table+
			` WHERE id > $1 ORDER BY id LIMIT `+fmt.Sprint(refoldPage)), after)
		if err != nil {
			return err
		}
		var page []refoldRow
		for rows.Next() {
			var r refoldRow
			if err := rows.Scan(&r.id, &r.dir, &r.name, &r.nameFold, &r.doc); err != nil {
				rows.Close()
				return err
			}
			page = append(page, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range page {
			if !foldChanges(r.name) && !foldChanges(string(r.doc)) {
				continue
			}
			nameFold := schema.FoldString(r.name)
			if nameFold != r.nameFold {
				var taken int
				err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM `+table+` WHERE directory_id = $1 AND `+foldCol+` = $2 AND id <> $3`),
					r.dir, nameFold, r.id).Scan(&taken)
				if err != nil {
					return err
				}
				if taken > 0 {
					nameFold = r.nameFold
				}
			}
			if err := update(ctx, tx, r, nameFold); err != nil {
				return fmt.Errorf("%s %s: %w", table, r.id, err)
			}
		}
		if len(page) < refoldPage {
			return nil
		}
		after = page[len(page)-1].id
	}
}

func (s *Store) refoldUser(ctx context.Context, tx *sql.Tx, r refoldRow, nameFold string) error {
	doc, err := decodeDoc(r.doc)
	if err != nil {
		return err
	}
	u := directory.User{ID: r.id, DirectoryID: r.dir, UserName: r.name, Doc: doc}
	_, fold, err := s.userArgs(u)
	if err != nil {
		return err
	}
	email, display, family := searchFolds(u)
	_, err = tx.ExecContext(ctx, s.q(`UPDATE users SET user_name_fold = $2, doc_fold = $3, email_fold = $4, display_fold = $5, family_fold = $6 WHERE id = $1`),
		r.id, nameFold, fold, email, display, family)
	return err
}

func (s *Store) refoldGroup(ctx context.Context, tx *sql.Tx, r refoldRow, nameFold string) error {
	doc, err := decodeDoc(r.doc)
	if err != nil {
		return err
	}
	_, fold, err := s.groupArgs(directory.Group{ID: r.id, DirectoryID: r.dir, DisplayName: r.name, Doc: doc})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, s.q(`UPDATE groups SET display_name_fold = $2, doc_fold = $3 WHERE id = $1`), r.id, nameFold, fold)
	return err
}
