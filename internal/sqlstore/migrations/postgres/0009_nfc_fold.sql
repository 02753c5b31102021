-- Case-insensitive comparison now folds to Unicode NFC as well as lower
-- case (schema.FoldString), so that "é" sent precomposed or decomposed is
-- the same userName, displayName and filter value. SQL cannot normalise
-- Unicode: the folded columns (user_name_fold, display_name_fold,
-- doc_fold, email_fold, display_fold, family_fold) are recomputed by this
-- migration's Go step (sqlstore/refold.go, "nfc_fold"), in this
-- transaction. Stored values are unchanged.
SELECT 1;
