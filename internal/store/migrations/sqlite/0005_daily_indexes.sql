-- Indexes for the completion summary (SPEC §3.2, §7.1: a school of 50,000
-- people over 10 million check-ins in ≤ 20 ms).

-- The absences covering a date are found by return date (those back after
-- it, and those not back yet) with the start date checked in the index;
-- with person_id in it too, the summary reads the index alone instead of
-- looking up every absence it keeps. Other users of absences_open lead
-- with the same columns.
DROP INDEX absences_open;
CREATE INDEX absences_open ON absences(return_date, start_date, person_id);

-- unit_day_counts becomes a WITHOUT ROWID table: its rows live in the
-- primary key's B-tree, ordered by (date, slot, org_id). A completion
-- summary reads one row per unit for a date, and with a rowid table each
-- of them cost a second lookup, from the key's index into the table, where
-- a rebuild (ordered by unit) scatters one date's rows over the whole file;
-- a school's summary read ~1,000 pages instead of a few dozen. The rows are
-- small (a date and a dozen integers), the case WITHOUT ROWID is for, and
-- each check-in's upsert now writes one B-tree instead of two.
CREATE TABLE unit_day_counts_new (
    org_id         INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    date           TEXT NOT NULL,
    slot           TEXT NOT NULL,
    recorded       INTEGER NOT NULL DEFAULT 0,
    checked_in     INTEGER NOT NULL DEFAULT 0,
    fever          INTEGER NOT NULL DEFAULT 0,
    ili            INTEGER NOT NULL DEFAULT 0,
    gi             INTEGER NOT NULL DEFAULT 0,
    rash           INTEGER NOT NULL DEFAULT 0,
    parotitis      INTEGER NOT NULL DEFAULT 0,
    conjunctivitis INTEGER NOT NULL DEFAULT 0,
    jaundice       INTEGER NOT NULL DEFAULT 0,
    respiratory    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (date, slot, org_id)
) WITHOUT ROWID;
INSERT INTO unit_day_counts_new (org_id, date, slot, recorded, checked_in, fever, ili, gi, rash, parotitis, conjunctivitis, jaundice, respiratory)
    SELECT org_id, date, slot, recorded, checked_in, fever, ili, gi, rash, parotitis, conjunctivitis, jaundice, respiratory FROM unit_day_counts;
DROP TABLE unit_day_counts;
ALTER TABLE unit_day_counts_new RENAME TO unit_day_counts;
