-- 015_group_commit.sql - many pushes in one transaction (group commit), and the
-- sync-health notes of many units in one statement.
--
-- thiduad gathers the pushes that arrive close together, from any number of
-- connections and offices, and stores them with one call of push_many in one
-- transaction: one commit, one flush of the WAL for all of them, where each
-- push used to pay its own (docs/performance.md, "Group commit"). A push of
-- one record costs a tenth of a millisecond of the database's time inside a
-- batch, and ten times that as a call of its own; so the group is not a loop
-- of thidua.push but one batch whose elements carry their caller: the batches
-- are read, locked, judged and stored together, set by set, as 005 does for
-- one batch.
--
-- The answers are those the pushes would get one after another, in the
-- group's order: each element is judged with its own caller's rights, and an
-- element that names a record an earlier element of the group wrote sees that
-- write. An invalid record is an answer, never an error, so it spoils nothing;
-- an error of the whole call (a caller that no longer exists, a serialization
-- failure) rolls the group back, and thiduad then sends each push alone
-- (server/pushgroup.c), so that an error reaches only the push that causes it.
--
-- thidua.push keeps its signature and answers for a thiduad older than 015
-- during an upgrade, and for the tools: it is push_many of one batch.

-- Where an element comes from: its batch (1-based, the order of p_batches),
-- its position there, and the unit of the certificate that sent it. Appended
-- to the type, so that push_read lists them last.
ALTER TYPE thidua.push_item
    ADD ATTRIBUTE grp integer,
    ADD ATTRIBUTE grp_ord integer,
    ADD ATTRIBUTE caller bigint;

-- One answer of push_many: thidua.ack with the batch it answers, and ord the
-- element's position in that batch.
CREATE TYPE thidua.push_ack AS (
    grp             integer,
    ord             integer,
    record_id       uuid,
    revision        integer,
    result          text,
    change_seq      bigint,
    field           text,
    message         text,
    record_status   text,
    stored_revision integer
);

-- push_read of 005 over many batches: one push_item per element of every
-- batch, ord counting through them all, each unit code looked up among its
-- own caller's units.
CREATE FUNCTION thidua.push_read(p_callers bigint[], p_batches jsonb)
RETURNS SETOF thidua.push_item
LANGUAGE sql STABLE AS $$
    WITH f AS MATERIALIZED (
        SELECT e.ord::integer AS ord, e.grp, e.grp_ord, e.caller, e.elem, e.obj, v.id,
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
          -- ord numbers the elements of all the batches, batch after batch.
          FROM (SELECT row_number() OVER (ORDER BY b.grp, x.ord) AS ord, b.grp::integer AS grp,
                       x.ord::integer AS grp_ord, p_callers[b.grp] AS caller, x.elem,
                       jsonb_typeof(x.elem) = 'object' AS obj
                  FROM jsonb_array_elements(p_batches) WITH ORDINALITY AS b (batch, grp)
                 CROSS JOIN LATERAL jsonb_array_elements(b.batch) WITH ORDINALITY AS x (elem, ord)) e
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
    -- caller's units first (the one valid today, else the latest), once per
    -- caller of the batches.
    camps AS (
        SELECT k.code AS key, c.id, c.code, c.starts_on, c.ends_on
          FROM (SELECT DISTINCT f.camp_code AS code FROM f) k
          CROSS JOIN LATERAL (SELECT c.id, c.code, c.starts_on, c.ends_on
                                FROM thidua.campaign c
                               WHERE k.code = '' OR c.code = k.code
                               ORDER BY c.starts_on DESC, c.id DESC
                               LIMIT 1) c
    ), units AS (
        SELECT k.caller, k.code,
               (SELECT u.id
                  FROM thidua.org_unit_closure cl
                  JOIN thidua.org_unit u ON u.id = cl.descendant_id
                 WHERE cl.ancestor_id = k.caller AND u.code = k.code
                 ORDER BY (u.valid_from <= current_date
                           AND (u.valid_to IS NULL OR current_date < u.valid_to)) DESC,
                          u.valid_from DESC
                 LIMIT 1) AS id,
               EXISTS (SELECT 1 FROM thidua.org_unit u WHERE u.code = k.code) AS known
          FROM (SELECT DISTINCT f.caller, f.unit_code AS code FROM f) k
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
          LEFT JOIN units u ON u.caller = f.caller AND u.code = f.unit_code
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
                ELSE 1 END,
           q.grp, q.grp_ord, q.caller
      FROM q
     ORDER BY q.ord
$$;

-- push_judge of 005 with each element judged under its own caller.
CREATE FUNCTION thidua.push_judge(p_items thidua.push_item[], p_occ integer, p_found uuid[],
                                  p_ins_ids uuid[], p_ins_ords integer[])
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
                 ON cl.ancestor_id = i.caller AND cl.descendant_id = r.org_unit_id
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

-- push_many(callers, certificate fingerprints, batches): batch k (a JSON
-- array of records) is sent by the unit p_callers[k] under the certificate
-- p_certs[k]. One answer per element of every batch, in the order of the
-- batches and of the elements in each; the steps, locks and answers are
-- those of 005's push (docs/schema.md), over all the elements at once.
--
-- jit is off here: the planner guesses 100 elements per JSON array, so
-- 10,000 for batches of batches, and past jit_above_cost it compiles the
-- read of the batch, a hundred milliseconds for a statement that takes one.
CREATE FUNCTION thidua.push_many(p_callers bigint[], p_certs bytea[], p_batches jsonb)
RETURNS SETOF thidua.push_ack
LANGUAGE plpgsql
SET jit = off AS $$
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
BEGIN
    IF coalesce(cardinality(p_callers), 0) = 0
       OR EXISTS (SELECT 1 FROM unnest(p_callers) AS c (id)
                   WHERE c.id IS NULL
                      OR NOT EXISTS (SELECT 1 FROM thidua.org_unit u WHERE u.id = c.id)) THEN
        RAISE EXCEPTION 'unknown caller unit' USING ERRCODE = 'TD403';
    END IF;
    IF coalesce(cardinality(p_certs), 0) <> cardinality(p_callers)
       OR EXISTS (SELECT 1 FROM unnest(p_certs) AS c (fp)
                   WHERE c.fp IS NULL OR octet_length(c.fp) <> 32) THEN
        RAISE EXCEPTION 'the certificate fingerprint must be 32 bytes (SHA-256)'
            USING ERRCODE = 'TD400', COLUMN = 'fingerprint';
    END IF;
    IF jsonb_typeof(p_batches) IS DISTINCT FROM 'array'
       OR jsonb_array_length(p_batches) <> cardinality(p_callers)
       OR EXISTS (SELECT 1 FROM jsonb_array_elements(p_batches) AS b (batch)
                   WHERE jsonb_typeof(b.batch) <> 'array') THEN
        RAISE EXCEPTION 'records must be a JSON array' USING ERRCODE = 'TD400', COLUMN = 'records';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(p_batches) AS b (batch)
                    WHERE jsonb_array_length(b.batch) > 0) THEN
        RETURN;
    END IF;

    v_items := ARRAY(SELECT i FROM thidua.push_read(p_callers, p_batches) AS i);

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
        v_round := ARRAY(SELECT a FROM thidua.push_judge(v_items, k, v_found, v_new_ids,
                                                         v_new_ords) AS a);
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
           i.caller, p_certs[i.grp]
      FROM unnest(v_acks) AS a
      JOIN unnest(v_items) AS i ON i.ord = a.ord
     WHERE a.result = 'APPLIED'
     ORDER BY a.ord;

    WITH w AS (
        INSERT INTO thidua.decision (record_id, action, at_revision, by_unit_id, by_cert)
        SELECT a.record_id, 'withdraw', a.revision, i.caller, p_certs[i.grp]
          FROM unnest(v_acks) AS a
          JOIN unnest(v_items) AS i ON i.ord = a.ord
         WHERE a.result = 'APPLIED' AND a.record_status = 'withdrawn'
         ORDER BY a.ord
        RETURNING id, record_id, at_revision
    )
    SELECT array_agg(a.record_id ORDER BY a.ord),
           array_agg(CASE WHEN a.record_status = 'withdrawn' THEN 'withdraw' ELSE 'revision' END
                     ORDER BY a.ord),
           array_agg(a.revision ORDER BY a.ord), array_agg(w.id ORDER BY a.ord)
      INTO v_ids, v_kinds, v_revs, v_decs
      FROM unnest(v_acks) AS a
      LEFT JOIN w ON a.record_status = 'withdrawn' AND w.record_id = a.record_id
                 AND w.at_revision = a.revision
     WHERE a.result = 'APPLIED';

    -- The changes wait in change_pending for their numbers (014): they are
    -- given after the commit, so that no push holds the feed counter.
    PERFORM thidua.feed_append(v_ids, v_kinds, v_revs, v_decs);

    -- A DUPLICATE answers with the feed position of the revision it repeats,
    -- once numbered; an APPLIED one has none yet.
    RETURN QUERY
        SELECT i.grp, i.grp_ord, a.record_id, a.revision, a.result,
               CASE WHEN a.result = 'DUPLICATE'
                    THEN (SELECT min(f.seq) FROM thidua.change_feed f
                           WHERE f.record_id = a.record_id AND f.revision = a.revision
                             AND f.kind IN ('revision', 'withdraw'))
               END,
               a.field, a.message, a.record_status, a.stored_revision
          FROM unnest(v_acks) AS a
          JOIN unnest(v_items) AS i ON i.ord = a.ord
         ORDER BY a.ord;
END
$$;

-- The push of one batch, as before 015.
CREATE OR REPLACE FUNCTION thidua.push(p_caller bigint, p_cert bytea, p_records jsonb)
RETURNS SETOF thidua.ack
LANGUAGE sql AS $$
    SELECT a.ord, a.record_id, a.revision, a.result, a.change_seq, a.field, a.message,
           a.record_status, a.stored_revision
      FROM thidua.push_many(ARRAY[p_caller], ARRAY[p_cert], jsonb_build_array(p_records)) AS a
     ORDER BY a.ord
$$;

DROP FUNCTION thidua.push_judge(bigint, thidua.push_item[], integer, uuid[], uuid[], integer[]);
DROP FUNCTION thidua.push_read(bigint, jsonb);

-- The sync-health notes of many units at once (server/synchealth.c): thiduad
-- gathers them for a second and writes them in one transaction, where a note
-- per push and pull was a commit (a WAL flush) per request, and a row lock
-- that every push of one unit queued for. p_pushes and p_pulls count the
-- requests, p_rejected the refused records, per unit of p_units (each once).
CREATE FUNCTION thidua.sync_notes(p_units bigint[], p_pushes integer[], p_pulls integer[],
                                  p_rejected bigint[])
RETURNS void
LANGUAGE sql AS $$
    INSERT INTO thidua.unit_sync AS s (unit_id, last_push_at, last_pull_at, rejected_records)
    SELECT n.unit, CASE WHEN n.pushes > 0 THEN now() END, CASE WHEN n.pulls > 0 THEN now() END,
           greatest(coalesce(n.rejected, 0), 0)
      FROM unnest(p_units, p_pushes, p_pulls, p_rejected) AS n (unit, pushes, pulls, rejected)
      JOIN thidua.org_unit u ON u.id = n.unit
     ORDER BY n.unit
    ON CONFLICT (unit_id) DO UPDATE
       SET last_push_at = coalesce(excluded.last_push_at, s.last_push_at),
           last_pull_at = coalesce(excluded.last_pull_at, s.last_pull_at),
           rejected_records = s.rejected_records + excluded.rejected_records
$$;
