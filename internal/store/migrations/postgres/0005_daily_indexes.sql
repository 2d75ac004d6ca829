-- Indexes for the completion summary (SPEC §3.2, §7.1: a school of 50,000
-- people over 10 million check-ins in ≤ 20 ms).

-- The absences covering a date are found by return date (those back after
-- it, and those not back yet) with the start date checked in the index;
-- with person_id in it too, the summary reads the index alone instead of
-- looking up every absence it keeps. Other users of absences_open lead
-- with the same columns.
DROP INDEX absences_open;
CREATE INDEX absences_open ON absences(return_date, start_date, person_id);

-- SQLite's 0005 also makes unit_day_counts a WITHOUT ROWID table, so that
-- a date's counter rows are read from the primary key's B-tree without a
-- second lookup each. PostgreSQL keeps rows in a heap apart from the key
-- anyway; a covering index would spare the heap visits, but every
-- check-in updates two counter rows, and an index holding the counters
-- would turn those cheap in-place (HOT) updates into index writes.
