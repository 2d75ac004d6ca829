-- Early warning (SPEC §3.3): per-person syndrome and disease events, the
-- per-unit daily counts made from them, school calendars, cluster rules,
-- alerts with their history, notification channels and the delivery log.

-- One row per (person, date, subject, record): a subject is a syndrome
-- ("fever", "ili", …) or a disease ("disease:varicella"). A person counts
-- once per subject per day however many records show it; the rows per
-- record let a revision take its contribution back.
CREATE TABLE syndrome_events (
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    date      TEXT NOT NULL,
    subject   TEXT NOT NULL,
    source    TEXT NOT NULL,
    PRIMARY KEY (person_id, date, subject, source)
);
CREATE INDEX syndrome_events_date ON syndrome_events(date, subject);
CREATE INDEX syndrome_events_source ON syndrome_events(source);

-- Distinct people with a subject per unit and date, for every unit a
-- person belongs to (primary unit, memberships such as a dorm room, and
-- their ancestors), each counted once. Maintained as events arrive.
CREATE TABLE unit_subject_counts (
    org_id  INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    date    TEXT NOT NULL,
    subject TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (org_id, subject, date)
);
CREATE INDEX unit_subject_counts_date ON unit_subject_counts(date);

CREATE TABLE school_calendars (
    org_id     INTEGER PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
    calendar   TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE cluster_rules (
    version    INTEGER PRIMARY KEY,
    rules      TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE alerts (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    subject        TEXT NOT NULL,
    source         TEXT NOT NULL,
    code           TEXT NOT NULL,
    level          TEXT NOT NULL,
    state          TEXT NOT NULL,
    conclusion     TEXT NOT NULL DEFAULT '',
    first_date     TEXT NOT NULL,
    last_date      TEXT NOT NULL,
    window_days    INTEGER NOT NULL,
    value          REAL NOT NULL,
    threshold      REAL NOT NULL,
    detail         TEXT NOT NULL DEFAULT '{}',
    title          TEXT NOT NULL,
    title_en       TEXT NOT NULL DEFAULT '',
    actions        TEXT NOT NULL DEFAULT '',
    actions_en     TEXT NOT NULL DEFAULT '',
    source_ref     TEXT NOT NULL DEFAULT '',
    assignee_id    INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    report_due_at  TIMESTAMP,
    ack_due_at     TIMESTAMP,
    escalations    INTEGER NOT NULL DEFAULT 0,
    fired          INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    closed_at      TIMESTAMP
);
CREATE INDEX alerts_org ON alerts(org_id, state);
CREATE INDEX alerts_merge ON alerts(org_id, subject, code, last_date);
CREATE INDEX alerts_ack_due ON alerts(state, ack_due_at);

CREATE TABLE alert_events (
    id         INTEGER PRIMARY KEY,
    alert_id   INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    at         TIMESTAMP NOT NULL,
    actor      TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    from_state TEXT NOT NULL DEFAULT '',
    to_state   TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_events_alert ON alert_events(alert_id, id);

CREATE TABLE alert_people (
    alert_id  INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    date      TEXT NOT NULL,
    PRIMARY KEY (alert_id, person_id, date)
);

-- A channel delivers notifications about a unit's subtree to a robot,
-- mailbox or webhook. The target (URL, secret, SMTP password) is
-- encrypted; target_masked is what screens show.
CREATE TABLE channels (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    target_enc    BLOB NOT NULL,
    target_masked TEXT NOT NULL,
    events        TEXT NOT NULL DEFAULT '',
    min_level     TEXT NOT NULL DEFAULT '',
    enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX channels_org ON channels(org_id);

-- Every attempt to deliver to a target: the delivery log per target and
-- the memory the rate limits count against.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    target          TEXT NOT NULL,
    notification_ids TEXT NOT NULL,
    at              TIMESTAMP NOT NULL,
    ok              BOOLEAN NOT NULL,
    messages        INTEGER NOT NULL,
    error           TEXT NOT NULL DEFAULT '',
    duration_ms     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deliveries_target ON deliveries(target, at);

ALTER TABLE notifications ADD COLUMN lease_until TIMESTAMP;
CREATE INDEX notifications_target ON notifications(target, state);
