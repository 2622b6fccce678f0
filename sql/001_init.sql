-- 001_init.sql - the thidua schema: org units, campaigns, records, their
-- history, decisions, awards and the change feed.
--
-- Applied by thiduad at start (server/migrate.c) inside one transaction, like
-- every migration. Keys, foreign keys and CHECKs live here so that the data
-- stays sound whoever writes it; the rules that need several tables (the
-- campaign window, the award allowed for a nominee kind) are checked by the
-- functions of 003_sync.sql, the only writers of records. docs/schema.md
-- explains the tables and why they are shaped this way.

CREATE SCHEMA IF NOT EXISTS thidua;

-- The exclusion constraint on unit codes (a code is reused only after its
-- previous holder stopped being valid) needs equality on text in a GiST index.
-- btree_gist is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA thidua;

-- ---------------------------------------------------------------------------
-- Org units: a hierarchy of any depth that changes over time. A unit is never
-- deleted and never moves: a reorganisation closes units (valid_to), opens new
-- ones and links them in org_unit_successor. Records keep the unit they were
-- made by. Codes are what people see; the internal id is the key, because an
-- official code can be given again to another unit later.

CREATE TABLE thidua.org_unit (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL CHECK (code ~ '^[0-9A-Za-z_.-]{1,32}$'),
    name        text COLLATE "vi-VN-x-icu" NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    level       text NOT NULL
                CHECK (level IN ('nation', 'province', 'department', 'district', 'commune')),
    -- What the official list calls it: city, town, district, ward, commune...
    unit_type   text NOT NULL DEFAULT '' CHECK (char_length(unit_type) <= 40),
    parent_id   bigint REFERENCES thidua.org_unit (id),
    valid_from  date NOT NULL,
    valid_to    date, -- first day it is no longer valid; NULL while in force
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    CHECK (parent_id IS DISTINCT FROM id),
    CONSTRAINT org_unit_code_in_time
        EXCLUDE USING gist (code WITH =, daterange(valid_from, valid_to) WITH &&)
);
CREATE INDEX org_unit_parent ON thidua.org_unit (parent_id);

-- Old units to the units that took over their work (merger, split).
CREATE TABLE thidua.org_unit_successor (
    predecessor_id bigint NOT NULL REFERENCES thidua.org_unit (id),
    successor_id   bigint NOT NULL REFERENCES thidua.org_unit (id),
    effective_on   date NOT NULL,
    note           text NOT NULL DEFAULT '',
    PRIMARY KEY (predecessor_id, successor_id),
    CHECK (predecessor_id <> successor_id)
);
CREATE INDEX org_unit_successor_succ ON thidua.org_unit_successor (successor_id);

-- Ancestor closure: one row per (ancestor, descendant) pair, including each
-- unit with itself at depth 0. "This unit and every unit below it" is then one
-- index range, which every push and pull needs. Kept by the trigger below;
-- since units never move, rows are only ever added.
CREATE TABLE thidua.org_unit_closure (
    ancestor_id   bigint NOT NULL REFERENCES thidua.org_unit (id),
    descendant_id bigint NOT NULL REFERENCES thidua.org_unit (id),
    depth         integer NOT NULL CHECK (depth >= 0),
    PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX org_unit_closure_desc ON thidua.org_unit_closure (descendant_id);

CREATE FUNCTION thidua.org_unit_closure_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO thidua.org_unit_closure (ancestor_id, descendant_id, depth)
    SELECT c.ancestor_id, NEW.id, c.depth + 1
      FROM thidua.org_unit_closure c
     WHERE c.descendant_id = NEW.parent_id
    UNION ALL
    SELECT NEW.id, NEW.id, 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER org_unit_closure_add AFTER INSERT ON thidua.org_unit
    FOR EACH ROW EXECUTE FUNCTION thidua.org_unit_closure_add();

-- Units keep their place and their existence: history depends on both.
CREATE FUNCTION thidua.org_unit_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'org units are never deleted (close one with valid_to)'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.parent_id IS DISTINCT FROM OLD.parent_id THEN
        RAISE EXCEPTION 'org units never move: close the unit and open a successor'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER org_unit_guard BEFORE UPDATE OR DELETE ON thidua.org_unit
    FOR EACH ROW EXECUTE FUNCTION thidua.org_unit_guard();

-- ---------------------------------------------------------------------------
-- Campaigns, their content areas (categories) and the award forms a record of
-- the campaign may propose. All data, changeable by the province.

CREATE TABLE thidua.campaign (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code              text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-Za-z_.-]{1,32}$'),
    name              text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 500),
    organiser         text NOT NULL CHECK (char_length(organiser) BETWEEN 1 AND 200),
    organiser_unit_id bigint REFERENCES thidua.org_unit (id),
    slogan            text NOT NULL DEFAULT '' CHECK (char_length(slogan) <= 1000),
    starts_on         date NOT NULL,
    ends_on           date NOT NULL, -- inclusive
    CHECK (ends_on >= starts_on)
);

CREATE TABLE thidua.category (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES thidua.campaign (id),
    code        text NOT NULL CHECK (code ~ '^[A-Z0-9_]{1,32}$'),
    name        text COLLATE "vi-VN-x-icu" NOT NULL CHECK (char_length(name) BETWEEN 1 AND 300),
    sort_order  integer NOT NULL DEFAULT 0,
    UNIQUE (campaign_id, code),
    UNIQUE (campaign_id, id) -- target of record's (campaign, category) key
);

CREATE TABLE thidua.award_form (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id   bigint NOT NULL REFERENCES thidua.campaign (id),
    code          text NOT NULL CHECK (code ~ '^[A-Z0-9_]{1,32}$'),
    name          text COLLATE "vi-VN-x-icu" NOT NULL CHECK (char_length(name) BETWEEN 1 AND 300),
    -- The level whose head confers it (Law 06/2022).
    conferred_by  text NOT NULL
                  CHECK (conferred_by IN ('province', 'department', 'district', 'commune')),
    allowed_kinds text[] NOT NULL
                  CHECK (cardinality(allowed_kinds) > 0
                         AND allowed_kinds <@ ARRAY['individual', 'collective', 'household']),
    sort_order    integer NOT NULL DEFAULT 0,
    UNIQUE (campaign_id, code),
    UNIQUE (campaign_id, id)
);

-- ---------------------------------------------------------------------------
-- Records: one nomination, made offline by a district under a UUID it chose.
-- The row holds the latest accepted revision; record_revision holds them all.

CREATE TABLE thidua.record (
    id                uuid PRIMARY KEY,
    campaign_id       bigint NOT NULL REFERENCES thidua.campaign (id),
    org_unit_id       bigint NOT NULL REFERENCES thidua.org_unit (id),
    nominee_kind      text NOT NULL CHECK (nominee_kind IN ('individual', 'collective', 'household')),
    nominee_name      text COLLATE "vi-VN-x-icu" NOT NULL
                      CHECK (char_length(nominee_name) BETWEEN 1 AND 200),
    birth_date        date CHECK (birth_date >= DATE '1900-01-01'),
    gender            text CHECK (gender IN ('male', 'female')),
    position          text NOT NULL DEFAULT '' CHECK (char_length(position) <= 200),
    workplace         text NOT NULL DEFAULT '' CHECK (char_length(workplace) <= 300),
    title             text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 500),
    summary           text NOT NULL DEFAULT '' CHECK (char_length(summary) <= 20000),
    category_id       bigint NOT NULL,
    achieved_on       date NOT NULL,
    proposed_award_id bigint NOT NULL,
    revision          integer NOT NULL CHECK (revision >= 1),
    status            text NOT NULL DEFAULT 'submitted'
                      CHECK (status IN ('submitted', 'returned', 'approved', 'rejected',
                                        'withdrawn', 'awarded', 'revoked')),
    content_hash      bytea NOT NULL CHECK (octet_length(content_hash) = 32),
    -- Feed position of the latest change to this record (0 only inside the
    -- transaction that creates it: see thidua.push).
    change_seq        bigint NOT NULL DEFAULT 0,
    -- Folded name keys for duplicate detection, computed by the server
    -- (common/text.c): tone marks in one place and lowercase; then without marks.
    name_key          text,
    name_loose_key    text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (campaign_id, category_id) REFERENCES thidua.category (campaign_id, id),
    FOREIGN KEY (campaign_id, proposed_award_id) REFERENCES thidua.award_form (campaign_id, id),
    -- Personal details belong to individuals only.
    CHECK (nominee_kind = 'individual'
           OR (birth_date IS NULL AND gender IS NULL AND position = '' AND workplace = ''))
);
CREATE INDEX record_unit_status ON thidua.record (org_unit_id, status);
CREATE INDEX record_campaign_status ON thidua.record (campaign_id, status);
CREATE INDEX record_dup_loose ON thidua.record (campaign_id, name_loose_key, birth_date)
    WHERE name_loose_key IS NOT NULL;

-- Append-only history of every accepted revision: who (the unit and the
-- certificate fingerprint), when, and the content as it was accepted.
CREATE TABLE thidua.record_revision (
    record_id    uuid NOT NULL REFERENCES thidua.record (id),
    revision     integer NOT NULL CHECK (revision >= 1),
    content_hash bytea NOT NULL CHECK (octet_length(content_hash) = 32),
    content      jsonb NOT NULL,
    by_unit_id   bigint NOT NULL REFERENCES thidua.org_unit (id),
    by_cert      bytea NOT NULL CHECK (octet_length(by_cert) = 32), -- SHA-256 of the certificate
    at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (record_id, revision)
);

-- ---------------------------------------------------------------------------
-- Award decisions (quyết định khen thưởng, and the acts that revoke awards):
-- numbers like 163/QĐ-UBND restart every year, so they are unique per issuer
-- and year.

CREATE TABLE thidua.award_decision (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issuer_unit_id bigint NOT NULL REFERENCES thidua.org_unit (id),
    year           integer NOT NULL CHECK (year BETWEEN 1945 AND 2200),
    number         text NOT NULL CHECK (char_length(number) BETWEEN 1 AND 64),
    decided_on     date NOT NULL,
    signer         text NOT NULL CHECK (char_length(signer) BETWEEN 1 AND 300),
    by_cert        bytea NOT NULL CHECK (octet_length(by_cert) = 32),
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (issuer_unit_id, year, number),
    CHECK (year = extract(year FROM decided_on))
);

-- Decisions on a record, append-only: the province's approve / reject /
-- return, the district's withdraw, and the award and revoke acts. Each names
-- the revision it was made on.
CREATE TABLE thidua.decision (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id         uuid NOT NULL,
    action            text NOT NULL
                      CHECK (action IN ('approve', 'reject', 'return', 'withdraw', 'award', 'revoke')),
    at_revision       integer NOT NULL,
    reason            text NOT NULL DEFAULT '' CHECK (char_length(reason) <= 2000),
    award_decision_id bigint REFERENCES thidua.award_decision (id),
    by_unit_id        bigint NOT NULL REFERENCES thidua.org_unit (id),
    by_cert           bytea NOT NULL CHECK (octet_length(by_cert) = 32),
    at                timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (record_id, at_revision) REFERENCES thidua.record_revision (record_id, revision),
    CHECK (action NOT IN ('reject', 'return', 'revoke') OR reason <> ''),
    CHECK ((action IN ('award', 'revoke')) = (award_decision_id IS NOT NULL))
);
CREATE INDEX decision_record ON thidua.decision (record_id, id);

-- The award a record received (one per record: the law forbids rewarding the
-- same achievement twice), and its revocation.
CREATE TABLE thidua.award (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id          uuid NOT NULL UNIQUE REFERENCES thidua.record (id),
    award_decision_id  bigint NOT NULL REFERENCES thidua.award_decision (id),
    award_form_id      bigint NOT NULL REFERENCES thidua.award_form (id),
    at_revision        integer NOT NULL,
    awarded_at         timestamptz NOT NULL DEFAULT now(),
    revoked_at         timestamptz,
    revoke_reason      text,
    revoke_decision_id bigint REFERENCES thidua.award_decision (id),
    CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL)),
    CHECK ((revoked_at IS NULL) = (revoke_decision_id IS NULL))
);
CREATE INDEX award_decision_idx ON thidua.award (award_decision_id);

-- ---------------------------------------------------------------------------
-- The change feed. Every change to a record gets the next number of one
-- counter; the counter row stays locked from the moment a transaction numbers
-- its changes until it commits, so numbers become visible in order and a
-- reader that has seen n has seen everything below n. docs/schema.md
-- explains why this cannot skip a change that commits late.

CREATE TABLE thidua.feed_counter (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    last_seq bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0)
);
INSERT INTO thidua.feed_counter DEFAULT VALUES;

CREATE TABLE thidua.change_feed (
    seq          bigint PRIMARY KEY,
    record_id    uuid NOT NULL REFERENCES thidua.record (id),
    org_unit_id  bigint NOT NULL REFERENCES thidua.org_unit (id),
    kind         text NOT NULL
                 CHECK (kind IN ('revision', 'decision', 'withdraw', 'award', 'revoke')),
    revision     integer NOT NULL,
    decision_id  bigint REFERENCES thidua.decision (id),
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX change_feed_unit ON thidua.change_feed (org_unit_id, seq);
CREATE INDEX change_feed_record ON thidua.change_feed (record_id, seq);

-- History, decisions and the feed are append-only.
CREATE FUNCTION thidua.append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%.% is append-only', TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TRIGGER record_revision_append_only BEFORE UPDATE OR DELETE ON thidua.record_revision
    FOR EACH ROW EXECUTE FUNCTION thidua.append_only();
CREATE TRIGGER record_revision_no_truncate BEFORE TRUNCATE ON thidua.record_revision
    FOR EACH STATEMENT EXECUTE FUNCTION thidua.append_only();
CREATE TRIGGER decision_append_only BEFORE UPDATE OR DELETE ON thidua.decision
    FOR EACH ROW EXECUTE FUNCTION thidua.append_only();
CREATE TRIGGER decision_no_truncate BEFORE TRUNCATE ON thidua.decision
    FOR EACH STATEMENT EXECUTE FUNCTION thidua.append_only();
CREATE TRIGGER change_feed_append_only BEFORE UPDATE OR DELETE ON thidua.change_feed
    FOR EACH ROW EXECUTE FUNCTION thidua.append_only();
CREATE TRIGGER change_feed_no_truncate BEFORE TRUNCATE ON thidua.change_feed
    FOR EACH STATEMENT EXECUTE FUNCTION thidua.append_only();

-- ---------------------------------------------------------------------------
-- Small helpers the functions of 003_sync.sql and the server share.

-- The unit a certificate names. The CN is the unit's code ('934'); the form
-- 'PROVINCE-UNIT' ('93-934') is accepted too. When a code was used by several
-- units over time, the one valid on p_on wins, else the one that was valid
-- last (a closed unit's certificate still names it: the CA and its CRL decide
-- whether that certificate may still connect). NULL for an unknown code.
CREATE FUNCTION thidua.unit_resolve(p_cn text, p_on date DEFAULT current_date)
RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT u.id
      FROM thidua.org_unit u
     WHERE (u.code = p_cn
            OR (p_cn LIKE '%-%'
                AND u.code = split_part(p_cn, '-', 2)
                AND EXISTS (SELECT 1
                              FROM thidua.org_unit_closure c
                              JOIN thidua.org_unit a ON a.id = c.ancestor_id
                             WHERE c.descendant_id = u.id AND c.depth > 0
                               AND a.code = split_part(p_cn, '-', 1))))
     ORDER BY (u.valid_from <= p_on AND (u.valid_to IS NULL OR p_on < u.valid_to)) DESC,
              (u.code = p_cn) DESC, u.valid_from DESC
     LIMIT 1
$$;

-- True when p_unit is p_ancestor or below it.
CREATE FUNCTION thidua.unit_within(p_ancestor bigint, p_unit bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM thidua.org_unit_closure
                    WHERE ancestor_id = p_ancestor AND descendant_id = p_unit)
$$;

-- Parsers that answer NULL instead of raising, so that one malformed field
-- makes one REJECTED ack rather than aborting the whole batch.
CREATE FUNCTION thidua.parse_uuid(p text) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                THEN p::uuid END
$$;

-- 'YYYY-MM-DD' naming a real calendar day, or NULL. Plain arithmetic, no
-- exception handling: it runs several times for every pushed record.
CREATE FUNCTION thidua.parse_date(p text) RETURNS date
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p !~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' THEN NULL
        WHEN substr(p, 1, 4) = '0000' THEN NULL
        WHEN substr(p, 9, 2)::int >
             CASE substr(p, 6, 2)
                 WHEN '02' THEN
                     CASE WHEN (substr(p, 1, 4)::int % 4 = 0 AND substr(p, 1, 4)::int % 100 <> 0)
                               OR substr(p, 1, 4)::int % 400 = 0
                          THEN 29 ELSE 28 END
                 WHEN '04' THEN 30 WHEN '06' THEN 30 WHEN '09' THEN 30 WHEN '11' THEN 30
                 ELSE 31
             END THEN NULL
        ELSE p::date
    END
$$;

-- Milliseconds since the Unix epoch, as the wire carries timestamps.
CREATE FUNCTION thidua.epoch_ms(p timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT (extract(epoch FROM p) * 1000)::bigint
$$;
