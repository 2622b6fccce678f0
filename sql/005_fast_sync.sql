-- 005_fast_sync.sql - push and pull without per-record work in PL/pgSQL.
--
-- thidua.push of 003 stored a batch one record at a time (push_one: a dozen
-- statements per record) and thidua.pull built the record_out view for every
-- record before it joined its page. docs/performance.md measured both. Here
-- push becomes a few statements per batch, each over the whole batch, and a
-- pull page costs what its rows cost. Results, messages, locking order and
-- the feed stay exactly as 003 defines them (docs/schema.md); the tests
-- written against 003 pass unchanged.

-- ---------------------------------------------------------------------------
-- Storage

-- A record row is written twice in the transaction that creates it: inserted
-- with change_seq 0 before the feed counter is taken, then given its
-- change_seq once the counter is held (thidua.push, feed_append). Inserting
-- with the final number would mean holding the counter while the insert may
-- wait for a concurrent push of the same id (docs/schema.md, "The feed"). At
-- the default fillfactor (100) the second version rarely fits in the page,
-- so the update writes a new entry into each of the table's five indexes;
-- with room left in the page it is a HOT update (change_seq is in no index):
-- same heap size (the dead versions took that room anyway), indexes a third
-- smaller, and the update half the cost (docs/performance.md). Applies to
-- pages written from now on.
ALTER TABLE thidua.record SET (fillfactor = 50);

-- ---------------------------------------------------------------------------
-- Push

-- One element of a pushed batch, read and checked once. Lives only inside
-- thidua.push (an array of these is the batch).
CREATE TYPE thidua.push_item AS (
    ord          integer, -- 1-based position in the request
    elem         jsonb,   -- the element as sent
    id           uuid,    -- NULL: not an object, or an unreadable id
    revision     integer, -- NULL: unreadable (or the id was)
    hash         bytea,
    withdraw     boolean,
    camp_id      bigint,
    camp_code    text,
    unit_id      bigint,
    -- The answer when the element fails before its record is read (shape,
    -- campaign, unit): NULL for a candidate, whose record is locked.
    pre_result   text,
    pre_field    text,
    pre_message  text,
    -- The content's first problem (push_check of 003), NULL when valid.
    bad_field    text,
    bad_message  text,
    category_id  bigint,
    award_id     bigint,
    birth_date   date,
    achieved_on  date,
    -- Candidates only: 1 for the first element with this id, 2 for the
    -- second... Elements of one id are judged one after another, in order.
    occ          integer
);

-- text_problem, parse_date and push_content (001, 003) call stable functions
-- (format, the text-to-date cast, jsonb_build_object), so IMMUTABLE was a
-- label the planner cannot use: it never inlined them, and a push calls them
-- eight times per record. As STABLE they are inlined into the query.
-- text_problem also drops the newlines of a multi-line text with replace()
-- rather than translate(): the same result, a third of the time on a summary.
CREATE OR REPLACE FUNCTION thidua.text_problem(p text, p_max integer, p_required boolean,
                                               p_multiline boolean)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN p IS NULL OR p = '' THEN CASE WHEN p_required THEN 'is required' END
        WHEN char_length(p) > p_max THEN format('is longer than %s characters', p_max)
        WHEN p ~ '^\s|\s$' THEN 'has spaces at its start or end'
        WHEN (CASE WHEN p_multiline THEN replace(p, E'\n', '') ELSE p END) ~ '[[:cntrl:]]'
            THEN 'contains control characters'
        WHEN NOT p IS NFC NORMALIZED THEN 'is not in Unicode NFC'
    END
$$;
ALTER FUNCTION thidua.parse_date(text) STABLE;
ALTER FUNCTION thidua.push_content(jsonb, text, boolean) STABLE;

-- Read and check a batch: one push_item per element, in input order. The
-- checks and their messages are those of 003's push_one (shape, campaign,
-- unit) and push_check (content), in the same order; only the checks against
-- the stored record are left, for after it is locked. The MATERIALIZED steps
-- compute each field, date and verdict once per element (an inlined step
-- would evaluate it again at every mention).
CREATE FUNCTION thidua.push_read(p_caller bigint, p_records jsonb)
RETURNS SETOF thidua.push_item
LANGUAGE sql STABLE AS $$
    WITH f AS MATERIALIZED (
        SELECT e.ord::integer AS ord, e.elem, e.obj, v.id,
               CASE WHEN v.id IS NOT NULL AND jsonb_typeof(e.elem->'revision') = 'number'
                         AND r.revision ~ '^[0-9]{1,10}$'
                    THEN CASE WHEN r.revision::bigint BETWEEN 1 AND 2147483647
                              THEN r.revision::integer END
               END AS revision,
               CASE WHEN coalesce(r.content_hash, '') ~ '^[0-9a-f]{64}$'
                    THEN decode(r.content_hash, 'hex') END AS hash,
               coalesce(jsonb_typeof(e.elem->'withdrawn'), 'null') IN ('boolean', 'null')
                   AS withdraw_ok,
               CASE WHEN jsonb_typeof(e.elem->'withdrawn') = 'boolean'
                    THEN r.withdrawn::boolean ELSE false END AS withdraw,
               coalesce(r.campaign, '') AS camp_code,
               coalesce(r.org_unit, '') AS unit_code,
               r.nominee_kind AS kind, r.nominee_name AS name, r.position, r.workplace,
               r.title, r.summary, r.birth_date AS birth_raw, r.gender AS gender_raw,
               r.achieved_on AS achieved_raw, r.category, r.proposed_award AS award
          FROM (SELECT x.ord, x.elem, jsonb_typeof(x.elem) = 'object' AS obj
                  FROM jsonb_array_elements(p_records) WITH ORDINALITY AS x (elem, ord)) e
          -- Every field in one pass; the text of a field is what ->> gives.
          CROSS JOIN LATERAL jsonb_to_record(CASE WHEN e.obj THEN e.elem END)
                AS r (id text, campaign text, org_unit text, nominee_kind text,
                      nominee_name text, birth_date text, gender text, position text,
                      workplace text, title text, summary text, category text,
                      achieved_on text, proposed_award text, revision text,
                      content_hash text, withdrawn text)
          CROSS JOIN LATERAL (SELECT thidua.parse_uuid(r.id) AS id) v
    ),
    -- Each campaign and unit code of the batch is looked up once. An empty
    -- campaign is the newest one; a unit code is looked for among the
    -- caller's units first (the one valid today, else the latest).
    camps AS (
        SELECT k.code AS key, c.id, c.code, c.starts_on, c.ends_on
          FROM (SELECT DISTINCT f.camp_code AS code FROM f) k
          CROSS JOIN LATERAL (SELECT c.id, c.code, c.starts_on, c.ends_on
                                FROM thidua.campaign c
                               WHERE k.code = '' OR c.code = k.code
                               ORDER BY c.starts_on DESC, c.id DESC
                               LIMIT 1) c
    ), units AS (
        SELECT k.code,
               (SELECT u.id
                  FROM thidua.org_unit_closure cl
                  JOIN thidua.org_unit u ON u.id = cl.descendant_id
                 WHERE cl.ancestor_id = p_caller AND u.code = k.code
                 ORDER BY (u.valid_from <= current_date
                           AND (u.valid_to IS NULL OR current_date < u.valid_to)) DESC,
                          u.valid_from DESC
                 LIMIT 1) AS id,
               EXISTS (SELECT 1 FROM thidua.org_unit u WHERE u.code = k.code) AS known
          FROM (SELECT DISTINCT f.unit_code AS code FROM f) k
    ), g AS MATERIALIZED (
        SELECT f.*, c.id AS camp_id, c.code AS camp_real_code, c.starts_on, c.ends_on,
               u.id AS unit_id, u.known AS unit_known,
               thidua.parse_date(f.achieved_raw) AS achieved,
               nullif(f.birth_raw, '') AS birth_text,
               thidua.parse_date(nullif(f.birth_raw, '')) AS born,
               nullif(f.gender_raw, '') AS gender,
               cat.id AS cat_id, af.id AS af_id, af.allowed_kinds
          FROM f
          LEFT JOIN camps c ON c.key = f.camp_code
          LEFT JOIN units u ON u.code = f.unit_code
          LEFT JOIN thidua.category cat ON cat.campaign_id = c.id AND cat.code = f.category
          LEFT JOIN thidua.award_form af ON af.campaign_id = c.id AND af.code = f.award
    ), q AS MATERIALIZED (
        SELECT g.*,
               CASE
                   WHEN NOT g.obj THEN ARRAY['REJECTED', 'record', 'not a record']
                   WHEN g.id IS NULL
                       THEN ARRAY['REJECTED', 'id', 'id must be a lowercase UUID (8-4-4-4-12)']
                   WHEN g.revision IS NULL
                       THEN ARRAY['REJECTED', 'revision', 'revision must be a whole number from 1']
                   WHEN g.hash IS NULL
                       THEN ARRAY['REJECTED', 'content_hash',
                                  'content_hash must be 64 lowercase hex digits (SHA-256)']
                   WHEN NOT g.withdraw_ok
                       THEN ARRAY['REJECTED', 'withdrawn', 'withdrawn must be true or false']
                   WHEN g.camp_id IS NULL
                       THEN ARRAY['REJECTED', 'campaign',
                                  format('unknown campaign "%s"',
                                         coalesce(g.elem->>'campaign', ''))]
                   WHEN g.unit_id IS NULL AND g.unit_known
                       THEN ARRAY['PERMISSION_DENIED', 'org_unit',
                                  format('unit %s is neither your unit nor below it', g.unit_code)]
                   WHEN g.unit_id IS NULL
                       THEN ARRAY['REJECTED', 'org_unit',
                                  format('unknown org unit "%s"', g.unit_code)]
               END AS pre,
               CASE
                   WHEN g.kind IS NULL OR g.kind NOT IN ('individual', 'collective', 'household')
                       THEN ARRAY['nominee_kind',
                                  'nominee_kind must be individual, collective or household']
                   WHEN thidua.text_problem(g.name, 200, true, false) IS NOT NULL
                       THEN ARRAY['nominee_name',
                                  'nominee_name ' || thidua.text_problem(g.name, 200, true, false)]
                   WHEN thidua.text_problem(g.position, 200, false, false) IS NOT NULL
                       THEN ARRAY['position',
                                  'position ' || thidua.text_problem(g.position, 200, false, false)]
                   WHEN thidua.text_problem(g.workplace, 300, false, false) IS NOT NULL
                       THEN ARRAY['workplace', 'workplace ' ||
                                  thidua.text_problem(g.workplace, 300, false, false)]
                   WHEN thidua.text_problem(g.title, 500, true, false) IS NOT NULL
                       THEN ARRAY['title',
                                  'title ' || thidua.text_problem(g.title, 500, true, false)]
                   WHEN thidua.text_problem(g.summary, 20000, false, true) IS NOT NULL
                       THEN ARRAY['summary', 'summary ' ||
                                  thidua.text_problem(g.summary, 20000, false, true)]
                   WHEN g.kind <> 'individual' AND coalesce(g.birth_raw, '') <> ''
                       THEN ARRAY['birth_date',
                                  format('%s is kept for an individual only, not for a %s',
                                         'birth_date', g.kind)]
                   WHEN g.kind <> 'individual' AND coalesce(g.gender_raw, '') <> ''
                       THEN ARRAY['gender',
                                  format('%s is kept for an individual only, not for a %s',
                                         'gender', g.kind)]
                   WHEN g.kind <> 'individual' AND coalesce(g.position, '') <> ''
                       THEN ARRAY['position',
                                  format('%s is kept for an individual only, not for a %s',
                                         'position', g.kind)]
                   WHEN g.kind <> 'individual' AND coalesce(g.workplace, '') <> ''
                       THEN ARRAY['workplace',
                                  format('%s is kept for an individual only, not for a %s',
                                         'workplace', g.kind)]
                   WHEN g.achieved IS NULL
                       THEN ARRAY['achieved_on', 'achieved_on must be a date written YYYY-MM-DD']
                   WHEN g.achieved NOT BETWEEN g.starts_on AND g.ends_on
                       THEN ARRAY['achieved_on',
                                  format('achieved_on %s is outside the campaign (%s to %s)',
                                         to_char(g.achieved, 'YYYY-MM-DD'),
                                         to_char(g.starts_on, 'YYYY-MM-DD'),
                                         to_char(g.ends_on, 'YYYY-MM-DD'))]
                   WHEN g.birth_text IS NOT NULL
                        AND (g.born IS NULL OR g.born < DATE '1900-01-01' OR g.born >= g.achieved)
                       THEN ARRAY['birth_date', 'birth_date must be a date written YYYY-MM-DD, '
                                                'after 1900 and before achieved_on']
                   WHEN g.gender IS NOT NULL AND g.gender NOT IN ('male', 'female')
                       THEN ARRAY['gender', 'gender must be male or female (or empty)']
                   WHEN g.cat_id IS NULL
                       THEN ARRAY['category',
                                  format('unknown category "%s"; one of: %s',
                                         coalesce(g.category, ''),
                                         (SELECT string_agg(c.code, ', '
                                                            ORDER BY c.sort_order, c.code)
                                            FROM thidua.category c
                                           WHERE c.campaign_id = g.camp_id))]
                   WHEN g.af_id IS NULL
                       THEN ARRAY['proposed_award',
                                  format('unknown award form "%s"; one of: %s',
                                         coalesce(g.award, ''),
                                         (SELECT string_agg(a.code, ', '
                                                            ORDER BY a.sort_order, a.code)
                                            FROM thidua.award_form a
                                           WHERE a.campaign_id = g.camp_id))]
                   WHEN NOT g.kind = ANY (g.allowed_kinds)
                       THEN ARRAY['proposed_award',
                                  format('%s is not given to a %s nominee (it goes to: %s)',
                                         g.award, g.kind, array_to_string(g.allowed_kinds, ', '))]
               END AS bad
          FROM g
    )
    SELECT q.ord, q.elem, q.id, q.revision, q.hash, q.withdraw, q.camp_id, q.camp_real_code,
           q.unit_id, q.pre[1], q.pre[2], q.pre[3],
           CASE WHEN q.pre IS NULL THEN q.bad[1] END, CASE WHEN q.pre IS NULL THEN q.bad[2] END,
           q.cat_id, q.af_id, q.born, q.achieved,
           CASE WHEN q.pre IS NULL
                THEN row_number() OVER (PARTITION BY q.id, q.pre IS NULL ORDER BY q.ord)::integer
                ELSE 1 END
      FROM q
     ORDER BY q.ord
$$;

-- Judge the elements of round p_occ (the p_occ-th element of each id) against
-- the records as they are now, locked by thidua.push. p_found: ids that
-- existed when they were locked; p_ins_ids/p_ins_ords: the records push
-- created, and the element each came from. Answers as in 003's push_one, one
-- ack per element of the round (change_seq left NULL).
CREATE FUNCTION thidua.push_judge(p_caller bigint, p_items thidua.push_item[], p_occ integer,
                                  p_found uuid[], p_ins_ids uuid[], p_ins_ords integer[])
RETURNS SETOF thidua.ack
LANGUAGE sql STABLE AS $$
    WITH j AS (
        SELECT i.*, r.id AS r_id, r.revision AS r_revision, r.status AS r_status,
               r.content_hash AS r_hash, r.org_unit_id AS r_unit, r.campaign_id AS r_camp,
               cl.descendant_id IS NOT NULL AS r_mine,
               ins.ord AS ins_ord,
               CASE WHEN i.withdraw THEN 'withdrawn' ELSE 'submitted' END AS new_status
          FROM unnest(p_items) AS i
          LEFT JOIN unnest(p_ins_ids, p_ins_ords) AS ins (id, ord) ON ins.id = i.id
          LEFT JOIN unnest(p_found) AS fd (id) ON fd.id = i.id
          -- The record as this element finds it: one that existed when it was
          -- locked, or one this push created from an earlier element.
          LEFT JOIN thidua.record r
                 ON i.pre_result IS NULL AND r.id = i.id
                AND (fd.id IS NOT NULL OR ins.ord < i.ord)
          LEFT JOIN thidua.org_unit_closure cl
                 ON cl.ancestor_id = p_caller AND cl.descendant_id = r.org_unit_id
         WHERE i.occ = p_occ
    ), v AS (
        SELECT j.*,
               CASE
                   WHEN j.pre_result IS NOT NULL THEN 'pre'
                   WHEN j.ins_ord = j.ord THEN 'created'
                   WHEN j.r_id IS NULL THEN CASE WHEN j.bad_field IS NOT NULL THEN 'bad' END
                   WHEN NOT j.r_mine THEN 'not_mine'
                   WHEN j.revision < j.r_revision THEN 'stale'
                   WHEN j.revision = j.r_revision AND j.hash = j.r_hash THEN 'duplicate'
                   WHEN j.revision = j.r_revision THEN 'conflict'
                   WHEN j.r_status NOT IN ('submitted', 'returned') THEN 'locked'
                   WHEN j.r_unit <> j.unit_id THEN 'moved_unit'
                   WHEN j.r_camp <> j.camp_id THEN 'moved_campaign'
                   WHEN j.bad_field IS NOT NULL THEN 'bad'
                   ELSE 'updated'
               END AS verdict
          FROM j
    )
    SELECT v.ord,
           v.id,
           v.revision,
           CASE v.verdict
               WHEN 'pre' THEN v.pre_result
               WHEN 'created' THEN 'APPLIED'
               WHEN 'updated' THEN 'APPLIED'
               WHEN 'bad' THEN 'REJECTED'
               WHEN 'not_mine' THEN 'PERMISSION_DENIED'
               WHEN 'stale' THEN 'STALE'
               WHEN 'duplicate' THEN 'DUPLICATE'
               WHEN 'conflict' THEN 'CONFLICT'
               WHEN 'locked' THEN 'LOCKED'
               WHEN 'moved_unit' THEN 'REJECTED'
               WHEN 'moved_campaign' THEN 'REJECTED'
           END,
           NULL::bigint,
           CASE v.verdict
               WHEN 'pre' THEN v.pre_field
               WHEN 'bad' THEN v.bad_field
               WHEN 'not_mine' THEN 'id'
               WHEN 'conflict' THEN 'content_hash'
               WHEN 'locked' THEN 'status'
               WHEN 'moved_unit' THEN 'org_unit'
               WHEN 'moved_campaign' THEN 'campaign'
           END,
           CASE v.verdict
               WHEN 'pre' THEN v.pre_message
               WHEN 'bad' THEN v.bad_message
               WHEN 'not_mine' THEN 'this record belongs to a unit that is not yours'
               WHEN 'stale' THEN format('revision %s is already stored', v.r_revision)
               WHEN 'conflict' THEN format('revision %s is stored with other content', v.revision)
               WHEN 'locked' THEN format('the record is %s: it can no longer change', v.r_status)
               WHEN 'moved_unit' THEN 'a record never moves to another unit'
               WHEN 'moved_campaign' THEN 'a record never moves to another campaign'
           END,
           CASE WHEN v.verdict IN ('created', 'updated') THEN v.new_status
                WHEN v.verdict IN ('pre', 'not_mine') THEN NULL
                ELSE v.r_status END,
           CASE WHEN v.verdict IN ('created', 'updated') THEN v.revision
                WHEN v.verdict IN ('pre', 'not_mine') THEN NULL
                ELSE v.r_revision END
      FROM v
$$;

-- push(caller unit, certificate fingerprint, records): as in 003, one ack
-- per element in input order; docs/schema.md says what each means.
--
-- The batch is read and checked in one statement (push_read), then:
--   1. lock: the stored records of all the batch's ids, in id order (one
--      SELECT ... FOR UPDATE), then the new valid records are inserted, in id
--      order, with change_seq 0. If a concurrent push created one of them in
--      between, the insert finds it and both steps start again (the
--      subtransaction of the block gives up the locks it took, so that locks
--      are always taken in id order). Each new start finds at least one more
--      stored record, so it starts again at most once per id; past that, 40001.
--   2. judge every element against its locked record (push_judge) and
--      update the records that take a new revision: one statement each, once
--      per round (a batch that names an id k times has k rounds, so that the
--      second revision of a record sees the first).
--   3. history rows (record_revision) and withdraw decisions, one statement
--      each.
--   4. the feed (feed_append): the counter last, the applied elements
--      numbered in input order, and each record's change_seq set.
CREATE OR REPLACE FUNCTION thidua.push(p_caller bigint, p_cert bytea, p_records jsonb)
RETURNS SETOF thidua.ack
LANGUAGE plpgsql AS $$
DECLARE
    v_items    thidua.push_item[];
    v_acks     thidua.ack[] := '{}';
    v_round    thidua.ack[];
    v_updates  integer[];
    v_cand     uuid[];
    v_new_ids  uuid[];
    v_new_ords integer[];
    v_found    uuid[];
    v_created  integer;
    v_tries    integer := 0;
    v_rounds   integer;
    v_ids      uuid[];
    v_kinds    text[];
    v_revs     integer[];
    v_decs     bigint[];
    v_ords     integer[];
    v_first    bigint;
BEGIN
    IF p_caller IS NULL OR NOT EXISTS (SELECT 1 FROM thidua.org_unit WHERE id = p_caller) THEN
        RAISE EXCEPTION 'unknown caller unit' USING ERRCODE = 'TD403';
    END IF;
    IF p_cert IS NULL OR octet_length(p_cert) <> 32 THEN
        RAISE EXCEPTION 'the certificate fingerprint must be 32 bytes (SHA-256)'
            USING ERRCODE = 'TD400', COLUMN = 'fingerprint';
    END IF;
    IF jsonb_typeof(p_records) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'records must be a JSON array' USING ERRCODE = 'TD400', COLUMN = 'records';
    END IF;
    IF jsonb_array_length(p_records) = 0 THEN
        RETURN;
    END IF;

    v_items := ARRAY(SELECT i FROM thidua.push_read(p_caller, p_records) AS i);

    -- The ids to lock, and the records to create if they are not stored: for
    -- each id, its first element that passed every check.
    SELECT coalesce(array_agg(DISTINCT i.id), '{}'), coalesce(max(i.occ), 0)
      INTO v_cand, v_rounds
      FROM unnest(v_items) AS i
     WHERE i.pre_result IS NULL;

    <<lock>>
    LOOP
        BEGIN
            SELECT coalesce(array_agg(r.id), '{}') INTO v_found
              FROM (SELECT r.id FROM thidua.record r
                     WHERE r.id = ANY (v_cand)
                     ORDER BY r.id
                       FOR UPDATE) r;

            SELECT coalesce(array_agg(n.id ORDER BY n.id), '{}'),
                   coalesce(array_agg(n.ord ORDER BY n.id), '{}')
              INTO v_new_ids, v_new_ords
              FROM (SELECT DISTINCT ON (i.id) i.id, i.ord
                      FROM unnest(v_items) AS i
                     WHERE i.pre_result IS NULL AND i.bad_field IS NULL
                       AND NOT EXISTS (SELECT 1 FROM unnest(v_found) AS fd (id) WHERE fd.id = i.id)
                     ORDER BY i.id, i.ord) n;

            INSERT INTO thidua.record (id, campaign_id, org_unit_id, nominee_kind, nominee_name,
                                       birth_date, gender, position, workplace, title, summary,
                                       category_id, achieved_on, proposed_award_id, revision,
                                       status, content_hash, name_key, name_loose_key)
            SELECT i.id, i.camp_id, i.unit_id, i.elem->>'nominee_kind', i.elem->>'nominee_name',
                   i.birth_date, nullif(i.elem->>'gender', ''),
                   coalesce(i.elem->>'position', ''), coalesce(i.elem->>'workplace', ''),
                   i.elem->>'title', coalesce(i.elem->>'summary', ''), i.category_id,
                   i.achieved_on, i.award_id, i.revision,
                   CASE WHEN i.withdraw THEN 'withdrawn' ELSE 'submitted' END,
                   i.hash, nullif(i.elem->>'name_key', ''), nullif(i.elem->>'name_loose_key', '')
              FROM unnest(v_new_ords) AS n (ord)
              JOIN unnest(v_items) AS i ON i.ord = n.ord
             ORDER BY i.id
            ON CONFLICT (id) DO NOTHING;
            GET DIAGNOSTICS v_created = ROW_COUNT;

            IF v_created < cardinality(v_new_ids) THEN
                -- Created by a concurrent push since the lock: start again,
                -- so that it is locked in its turn and judged as stored.
                RAISE EXCEPTION 'push: record created concurrently' USING ERRCODE = 'TD901';
            END IF;
            EXIT lock;
        EXCEPTION WHEN SQLSTATE 'TD901' THEN
            v_tries := v_tries + 1;
            IF v_tries > cardinality(v_cand) THEN
                RAISE EXCEPTION 'push: records created concurrently'
                    USING ERRCODE = 'serialization_failure';
            END IF;
        END;
    END LOOP;

    FOR k IN 1 .. greatest(v_rounds, 1) LOOP
        v_round := ARRAY(SELECT a FROM thidua.push_judge(p_caller, v_items, k, v_found,
                                                         v_new_ids, v_new_ords) AS a);
        v_acks := v_acks || v_round;
        -- The stored records that take a new revision (the created ones are
        -- already written); most batches have none.
        v_updates := ARRAY(SELECT a.ord
                             FROM unnest(v_round) AS a
                            WHERE a.result = 'APPLIED'
                              AND NOT EXISTS (SELECT 1 FROM unnest(v_new_ords) AS n (ord)
                                               WHERE n.ord = a.ord));
        CONTINUE WHEN cardinality(v_updates) = 0;
        UPDATE thidua.record r
           SET nominee_kind = i.elem->>'nominee_kind',
               nominee_name = i.elem->>'nominee_name',
               birth_date = i.birth_date,
               gender = nullif(i.elem->>'gender', ''),
               position = coalesce(i.elem->>'position', ''),
               workplace = coalesce(i.elem->>'workplace', ''),
               title = i.elem->>'title',
               summary = coalesce(i.elem->>'summary', ''),
               category_id = i.category_id,
               achieved_on = i.achieved_on,
               proposed_award_id = i.award_id,
               revision = i.revision,
               status = CASE WHEN i.withdraw THEN 'withdrawn' ELSE 'submitted' END,
               content_hash = i.hash,
               name_key = nullif(i.elem->>'name_key', ''),
               name_loose_key = nullif(i.elem->>'name_loose_key', ''),
               updated_at = now()
          FROM unnest(v_updates) AS u (ord)
          JOIN unnest(v_items) AS i ON i.ord = u.ord
         WHERE r.id = i.id;
    END LOOP;

    IF EXISTS (SELECT 1 FROM unnest(v_acks) AS a WHERE a.result IS NULL) THEN
        RAISE EXCEPTION 'push: an element was left without an answer';
    END IF;

    -- History, and the decision row of each withdrawal (its feed entry names it).
    INSERT INTO thidua.record_revision (record_id, revision, content_hash, content, by_unit_id,
                                        by_cert)
    SELECT a.record_id, a.revision, i.hash, thidua.push_content(i.elem, i.camp_code, i.withdraw),
           p_caller, p_cert
      FROM unnest(v_acks) AS a
      JOIN unnest(v_items) AS i ON i.ord = a.ord
     WHERE a.result = 'APPLIED'
     ORDER BY a.ord;

    WITH w AS (
        INSERT INTO thidua.decision (record_id, action, at_revision, by_unit_id, by_cert)
        SELECT a.record_id, 'withdraw', a.revision, p_caller, p_cert
          FROM unnest(v_acks) AS a
         WHERE a.result = 'APPLIED' AND a.record_status = 'withdrawn'
         ORDER BY a.ord
        RETURNING id, record_id, at_revision
    )
    SELECT array_agg(a.ord ORDER BY a.ord), array_agg(a.record_id ORDER BY a.ord),
           array_agg(CASE WHEN a.record_status = 'withdrawn' THEN 'withdraw' ELSE 'revision' END
                     ORDER BY a.ord),
           array_agg(a.revision ORDER BY a.ord), array_agg(w.id ORDER BY a.ord)
      INTO v_ords, v_ids, v_kinds, v_revs, v_decs
      FROM unnest(v_acks) AS a
      LEFT JOIN w ON a.record_status = 'withdrawn' AND w.record_id = a.record_id
                 AND w.at_revision = a.revision
     WHERE a.result = 'APPLIED';

    -- The feed counter, last: numbers in input order.
    v_first := thidua.feed_append(v_ids, v_kinds, v_revs, v_decs);

    -- A DUPLICATE answers with the feed position of the revision it repeats.
    RETURN QUERY
        SELECT a.ord, a.record_id, a.revision, a.result,
               CASE WHEN a.result = 'APPLIED' THEN v_first + n.k - 1
                    WHEN a.result = 'DUPLICATE'
                    THEN (SELECT min(f.seq) FROM thidua.change_feed f
                           WHERE f.record_id = a.record_id AND f.revision = a.revision
                             AND f.kind IN ('revision', 'withdraw'))
               END,
               a.field, a.message, a.record_status, a.stored_revision
          FROM unnest(v_acks) AS a
          LEFT JOIN unnest(v_ords) WITH ORDINALITY AS n (ord, k) ON n.ord = a.ord
         ORDER BY a.ord;
END
$$;

-- ---------------------------------------------------------------------------
-- Pull

-- As in 003; two changes keep the cost of a page to its own rows whatever
-- the number of records:
-- - Each row of the page looks up its own record: the view is a subquery per
--   row (OFFSET 0 keeps the planner from flattening it into one join over
--   every record), and the page is cut to p_limit before the lookups; the
--   one row beyond it only says whether more follow.
-- - The page itself: a caller with few units (a district, a commune) takes
--   the first changes of each of its units from the index on (org_unit_id,
--   seq), at most a page per unit, and keeps the first of them all; walking
--   the whole feed in seq order instead reads every other unit's changes
--   too, and all of the feed for a unit with none. A caller with many units
--   (the province) has most of the feed, so the walk in seq order is the
--   short one. Both give the first rows of the same set, in one snapshot.
CREATE OR REPLACE FUNCTION thidua.pull(p_caller bigint, p_cursor bigint, p_limit integer)
RETURNS TABLE (
    change_seq bigint, change_kind text, has_more boolean,
    id uuid, campaign text, org_unit text, nominee_kind text, nominee_name text,
    birth_date text, gender text, "position" text, workplace text, title text, summary text,
    category text, achieved_on text, proposed_award text, revision integer, status text,
    content_hash text, withdrawn boolean, record_change_seq bigint, updated_at_ms bigint,
    decision_action text, decision_revision integer, decision_reason text, decided_at_ms bigint,
    award_form text, award_number text, award_date text, award_signer text, award_issuer text,
    revoked_reason text, revoke_number text, revoke_date text, revoke_signer text,
    revoke_issuer text)
LANGUAGE sql STABLE AS $$
    WITH units AS MATERIALIZED (
        SELECT c.descendant_id AS id
          FROM thidua.org_unit_closure c
         WHERE c.ancestor_id = p_caller
    ), page AS (
        SELECT x.seq, x.kind, x.record_id
          FROM ((SELECT f.seq, f.kind, f.record_id
                   FROM units u
                  CROSS JOIN LATERAL (SELECT f.seq, f.kind, f.record_id
                                        FROM thidua.change_feed f
                                       -- The bound on seq as a row comparison:
                                       -- an index condition of (org_unit_id,
                                       -- seq) only, so that the planner does
                                       -- not walk the primary key instead.
                                       WHERE f.org_unit_id = u.id
                                         AND (f.org_unit_id, f.seq) > (u.id, greatest(p_cursor, 0))
                                       ORDER BY f.org_unit_id, f.seq
                                       LIMIT least(greatest(p_limit, 1), 10000) + 1) f
                  WHERE (SELECT count(*) FROM units) <= 32
                  ORDER BY f.seq
                  LIMIT least(greatest(p_limit, 1), 10000) + 1)
                UNION ALL
                (SELECT f.seq, f.kind, f.record_id
                   FROM thidua.change_feed f
                  WHERE (SELECT count(*) FROM units) > 32
                    AND f.org_unit_id IN (SELECT u.id FROM units u)
                    AND f.seq > greatest(p_cursor, 0)
                  ORDER BY f.seq
                  LIMIT least(greatest(p_limit, 1), 10000) + 1)) x
    ), head AS (
        SELECT p.seq, p.kind, p.record_id,
               (SELECT count(*) FROM page) > least(greatest(p_limit, 1), 10000) AS more
          FROM page p
         ORDER BY p.seq
         LIMIT least(greatest(p_limit, 1), 10000)
    )
    SELECT p.seq, p.kind, p.more,
           o.id, o.campaign, o.org_unit, o.nominee_kind, o.nominee_name, o.birth_date, o.gender,
           o.position, o.workplace, o.title, o.summary, o.category, o.achieved_on,
           o.proposed_award, o.revision, o.status, o.content_hash, o.withdrawn, o.change_seq,
           o.updated_at_ms, o.decision_action, o.decision_revision, o.decision_reason,
           o.decided_at_ms, o.award_form, o.award_number, o.award_date, o.award_signer,
           o.award_issuer, o.revoked_reason, o.revoke_number, o.revoke_date, o.revoke_signer,
           o.revoke_issuer
      FROM head p
     CROSS JOIN LATERAL (SELECT * FROM thidua.record_out x WHERE x.id = p.record_id OFFSET 0) o
     ORDER BY p.seq
$$;
