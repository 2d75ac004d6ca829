-- Per unit, date and slot ('' = the whole day): how many people have a
-- record, how many were present, and how many had each syndrome, each
-- person counted once. Kept up to date as check-ins arrive, so summaries
-- and detectors read a few hundred rows instead of every check-in;
-- rebuildable from the check-ins (store.RebuildDailyCounts).
CREATE TABLE unit_day_counts (
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
);
