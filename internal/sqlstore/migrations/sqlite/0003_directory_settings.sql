-- Per-directory compatibility settings (docs/idp-compatibility.md).
ALTER TABLE directories ADD COLUMN strict INTEGER NOT NULL DEFAULT 0;
ALTER TABLE directories ADD COLUMN reject_unknown_members INTEGER NOT NULL DEFAULT 0;
