-- The daily loop: check-ins with their revisions, person status with its
-- history and rule versions, illness absences, gate screening, visitors,
-- and the notification outbox with the in-app inbox.
CREATE TABLE checkins (
    id               INTEGER PRIMARY KEY,
    person_id        INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    date             TEXT NOT NULL,
    slot             TEXT NOT NULL,
    temperature_c    REAL,
    symptoms         TEXT NOT NULL DEFAULT '',
    syndromes        TEXT NOT NULL DEFAULT '',
    on_campus        BOOLEAN,
    region_code      TEXT NOT NULL DEFAULT '',
    address          TEXT NOT NULL DEFAULT '',
    risk_area_travel BOOLEAN NOT NULL DEFAULT FALSE,
    case_contact     BOOLEAN NOT NULL DEFAULT FALSE,
    absent           BOOLEAN NOT NULL DEFAULT FALSE,
    note             TEXT NOT NULL DEFAULT '',
    source           TEXT NOT NULL,
    submitted_by     TEXT NOT NULL DEFAULT '',
    revision         INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (person_id, date, slot)
);
CREATE INDEX checkins_date ON checkins(date, person_id);

-- Every earlier version of a revised check-in, as JSON.
CREATE TABLE checkin_revisions (
    checkin_id INTEGER NOT NULL REFERENCES checkins(id) ON DELETE CASCADE,
    revision   INTEGER NOT NULL,
    data       TEXT NOT NULL,
    replaced_at TIMESTAMP NOT NULL,
    PRIMARY KEY (checkin_id, revision)
);

-- client_id makes a retried submission idempotent.
CREATE TABLE checkin_clients (
    client_id  TEXT PRIMARY KEY,
    checkin_id INTEGER NOT NULL REFERENCES checkins(id) ON DELETE CASCADE,
    revision   INTEGER NOT NULL
);

CREATE TABLE status_rules (
    version    INTEGER PRIMARY KEY,
    rules      TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE person_status (
    person_id     INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    level         TEXT NOT NULL,
    reasons       TEXT NOT NULL,
    rules_version INTEGER NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE status_history (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    at         TIMESTAMP NOT NULL,
    level      TEXT NOT NULL,
    reasons    TEXT NOT NULL,
    cause      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX status_history_person ON status_history(person_id, id);

CREATE TABLE absences (
    id                   INTEGER PRIMARY KEY,
    person_id            INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    start_date           TEXT NOT NULL,
    onset_date           TEXT NOT NULL DEFAULT '',
    symptoms             TEXT NOT NULL DEFAULT '',
    saw_doctor           BOOLEAN NOT NULL DEFAULT FALSE,
    hospital             TEXT NOT NULL DEFAULT '',
    diagnosis            TEXT NOT NULL DEFAULT '',
    outcome              TEXT NOT NULL DEFAULT '',
    return_date          TEXT NOT NULL DEFAULT '',
    certificate_required BOOLEAN NOT NULL DEFAULT FALSE,
    certificate_received TEXT NOT NULL DEFAULT '',
    note                 TEXT NOT NULL DEFAULT '',
    reported_by          TEXT NOT NULL DEFAULT '',
    source               TEXT NOT NULL DEFAULT '',
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);
CREATE INDEX absences_person ON absences(person_id, start_date);
CREATE INDEX absences_open ON absences(return_date, start_date);

CREATE TABLE absence_followups (
    id         INTEGER PRIMARY KEY,
    absence_id INTEGER NOT NULL REFERENCES absences(id) ON DELETE CASCADE,
    at         TIMESTAMP NOT NULL,
    by_name    TEXT NOT NULL,
    result     TEXT NOT NULL
);
CREATE INDEX absence_followups_absence ON absence_followups(absence_id, id);

CREATE TABLE visitors (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES orgs(id),
    name           TEXT NOT NULL,
    id_number_enc  BLOB,
    id_number_masked TEXT NOT NULL DEFAULT '',
    phone_enc      BLOB,
    phone_masked   TEXT NOT NULL DEFAULT '',
    host           TEXT NOT NULL DEFAULT '',
    purpose        TEXT NOT NULL DEFAULT '',
    declaration    TEXT NOT NULL DEFAULT '{}',
    created_by     TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX visitors_org ON visitors(org_id, created_at);

CREATE TABLE gate_scans (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    gate          TEXT NOT NULL,
    person_id     INTEGER REFERENCES people(id) ON DELETE CASCADE,
    visitor_id    INTEGER REFERENCES visitors(id) ON DELETE CASCADE,
    at            TIMESTAMP NOT NULL,
    method        TEXT NOT NULL,
    temperature_c REAL,
    decision      TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT '',
    reasons       TEXT NOT NULL DEFAULT '[]',
    note          TEXT NOT NULL DEFAULT '',
    guard         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX gate_scans_org ON gate_scans(org_id, at);
CREATE INDEX gate_scans_person ON gate_scans(person_id, at);

-- A pass token is good for one scan: its key is kept until it expires.
CREATE TABLE pass_uses (
    replay_key TEXT PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);

-- The durable outbox: a notification is written in the same transaction
-- as its cause and delivered later, at most once per (event, target).
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL,
    target          TEXT NOT NULL,
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    link            TEXT NOT NULL DEFAULT '',
    dedupe_key      TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);
CREATE INDEX notifications_due ON notifications(state, next_attempt_at);

CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    notification_id INTEGER REFERENCES notifications(id) ON DELETE SET NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    link        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    read_at     TIMESTAMP
);
CREATE INDEX inbox_account ON inbox(account_id, id);

-- Jobs remember their last run so that a restart resumes, not repeats.
CREATE TABLE job_runs (
    job     TEXT NOT NULL,
    run_key TEXT NOT NULL,
    at      TIMESTAMP NOT NULL,
    PRIMARY KEY (job, run_key)
);
