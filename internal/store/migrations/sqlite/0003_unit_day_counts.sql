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

-- People per primary unit (visitors excluded), kept with every change to
-- people, so "expected" in a summary reads one row per unit.
CREATE TABLE unit_people (
    org_id INTEGER PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
    n      INTEGER NOT NULL DEFAULT 0
);
INSERT INTO unit_people (org_id, n) SELECT org_id, COUNT(*) FROM people WHERE kind <> 'visitor' GROUP BY org_id;
