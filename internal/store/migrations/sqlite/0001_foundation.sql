-- Organisation tree, people registry, accounts, sessions, API tokens, audit log.
CREATE TABLE orgs (
    id          INTEGER PRIMARY KEY,
    parent_id   INTEGER REFERENCES orgs(id),
    kind        TEXT NOT NULL,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL UNIQUE,
    depth       INTEGER NOT NULL,
    responsible TEXT NOT NULL DEFAULT '[]',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX orgs_parent ON orgs(parent_id);

CREATE TABLE people (
    id                    INTEGER PRIMARY KEY,
    external_id           TEXT NOT NULL UNIQUE,
    name                  TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    org_id                INTEGER NOT NULL REFERENCES orgs(id),
    gender                TEXT NOT NULL DEFAULT '',
    birth_date            TEXT NOT NULL DEFAULT '',
    id_number_enc         BLOB,
    id_number_idx         BLOB UNIQUE,
    id_number_masked      TEXT NOT NULL DEFAULT '',
    phone_enc             BLOB,
    phone_masked          TEXT NOT NULL DEFAULT '',
    guardian_name         TEXT NOT NULL DEFAULT '',
    guardian_phone_enc    BLOB,
    guardian_phone_masked TEXT NOT NULL DEFAULT '',
    tags                  TEXT NOT NULL DEFAULT '',
    token_hash            BLOB UNIQUE,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL
);
CREATE INDEX people_org ON people(org_id, id);

CREATE TABLE memberships (
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    org_id    INTEGER NOT NULL REFERENCES orgs(id),
    role      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (person_id, org_id)
);
CREATE INDEX memberships_org ON memberships(org_id, person_id);

CREATE TABLE guardians (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    phone_enc    BLOB,
    phone_idx    BLOB NOT NULL UNIQUE,
    phone_masked TEXT NOT NULL DEFAULT '',
    token_hash   BLOB UNIQUE,
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE guardian_children (
    guardian_id INTEGER NOT NULL REFERENCES guardians(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    PRIMARY KEY (guardian_id, person_id)
);
CREATE INDEX guardian_children_person ON guardian_children(person_id);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    person_level  BOOLEAN NOT NULL DEFAULT FALSE,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    token_hash   BLOB NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    account_id INTEGER,
    username   TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_user_action ON audit_log(username, action, at);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
