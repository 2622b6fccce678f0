-- 003_sync.sql - the functions thiduad calls: push, pull, and the province's
-- decide, award and revoke. One call (one round trip) per request.
--
-- Identity comes from the caller's certificate: the server resolves the CN to
-- a unit id once per connection (thidua.unit_resolve) and passes it, with the
-- certificate's SHA-256 fingerprint, to every call. These functions check that
-- the records touched belong to that unit or to a unit below it.
--
-- Per-record outcomes come back as rows of thidua.ack. Failures of a request
-- as a whole (a malformed argument, a decision number taken by another act)
-- raise an error with one of these SQLSTATEs, the message meant for a person
-- and the field in the COLUMN_NAME field of the error:
--   TD400 invalid argument   TD403 permission denied   TD409 conflict
--
-- Locking order, the same in every function, so that writers never deadlock:
-- an award decision's key (award, revoke), then record rows in ascending id,
-- then the feed counter last (thidua.feed_take), which stays locked until
-- commit. docs/schema.md explains the feed.

-- One answer per record.
CREATE TYPE thidua.ack AS (
    ord             integer, -- 1-based position in the request
    record_id       uuid,    -- NULL when the id itself was unreadable
    revision        integer, -- the revision the request named
    result          text,    -- APPLIED DUPLICATE STALE CONFLICT LOCKED REJECTED
                             -- PERMISSION_DENIED NOT_FOUND
    change_seq      bigint,  -- APPLIED: the new feed position; DUPLICATE: the stored one
    field           text,    -- REJECTED (and some others): the field at fault
    message         text,    -- one sentence for a person
    record_status   text,    -- the record's status now; NULL if not stored or not yours
    stored_revision integer  -- the highest revision stored; NULL likewise
);

CREATE FUNCTION thidua.ack_set(a thidua.ack, p_result text, p_field text, p_message text)
RETURNS thidua.ack
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    a.result := p_result;
    a.field := p_field;
    a.message := p_message;
    RETURN a;
END
$$;

-- ---------------------------------------------------------------------------
-- The feed counter. Every writer calls this as the last thing before commit:
-- the UPDATE locks the counter row until the transaction ends, so the numbers
-- it hands out are committed (or rolled back) before anyone gets the next
-- ones. Returns the first of p_count consecutive numbers.
CREATE FUNCTION thidua.feed_take(p_count integer) RETURNS bigint
LANGUAGE sql AS $$
    UPDATE thidua.feed_counter
       SET last_seq = last_seq + p_count
     RETURNING last_seq - p_count + 1
$$;

-- Append one change per element (in array order) and point each record at its
-- latest change. Returns the seq of the first element.
CREATE FUNCTION thidua.feed_append(p_ids uuid[], p_kinds text[], p_revisions integer[],
                                   p_decisions bigint[])
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_first bigint;
BEGIN
    IF coalesce(cardinality(p_ids), 0) = 0 THEN
        RETURN NULL;
    END IF;
    v_first := thidua.feed_take(cardinality(p_ids));
    INSERT INTO thidua.change_feed (seq, record_id, org_unit_id, kind, revision, decision_id)
    SELECT v_first + u.k - 1, u.id, r.org_unit_id, u.kind, u.rev, u.dec
      FROM unnest(p_ids, p_kinds, p_revisions, p_decisions) WITH ORDINALITY AS u (id, kind, rev, dec, k)
      JOIN thidua.record r ON r.id = u.id;
    UPDATE thidua.record r
       SET change_seq = m.seq
      FROM (SELECT u.id, max(v_first + u.k - 1) AS seq
              FROM unnest(p_ids) WITH ORDINALITY AS u (id, k)
             GROUP BY u.id) m
     WHERE r.id = m.id;
    RETURN v_first;
END
$$;

-- ---------------------------------------------------------------------------
-- Push

-- What is wrong with one text field, or NULL. The server normalises text at
-- the edge; this is the database's own guard, with the same limits.
CREATE FUNCTION thidua.text_problem(p text, p_max integer, p_required boolean,
                                    p_multiline boolean)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p IS NULL OR p = '' THEN CASE WHEN p_required THEN 'is required' END
        WHEN char_length(p) > p_max THEN format('is longer than %s characters', p_max)
        WHEN p ~ '^\s|\s$' THEN 'has spaces at its start or end'
        WHEN (CASE WHEN p_multiline THEN translate(p, E'\n', '') ELSE p END) ~ '[[:cntrl:]]'
            THEN 'contains control characters'
        WHEN NOT p IS NFC NORMALIZED THEN 'is not in Unicode NFC'
    END
$$;

-- Validate the content of one pushed record against its campaign. Returns the
-- first problem (field, message), or the category and award form ids and the
-- parsed dates.
CREATE FUNCTION thidua.push_check(p_rec jsonb, p_camp thidua.campaign,
                                  OUT field text, OUT message text,
                                  OUT category_id bigint, OUT award_id bigint,
                                  OUT birth_date date, OUT achieved_on date)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_kind     text := p_rec->>'nominee_kind';
    v_birth    text := nullif(p_rec->>'birth_date', '');
    v_gender   text := nullif(p_rec->>'gender', '');
    v_achieved date := thidua.parse_date(p_rec->>'achieved_on');
    v_born     date;
    v_allowed  text[];
    v_problem  text;
    v_f        text;
BEGIN
    IF v_kind IS NULL OR v_kind NOT IN ('individual', 'collective', 'household') THEN
        field := 'nominee_kind';
        message := 'nominee_kind must be individual, collective or household';
        RETURN;
    END IF;

    FOREACH v_f IN ARRAY ARRAY['nominee_name', 'position', 'workplace', 'title', 'summary'] LOOP
        v_problem := thidua.text_problem(p_rec->>v_f,
                                         CASE v_f WHEN 'nominee_name' THEN 200
                                                  WHEN 'position' THEN 200
                                                  WHEN 'workplace' THEN 300
                                                  WHEN 'title' THEN 500
                                                  ELSE 20000 END,
                                         v_f IN ('nominee_name', 'title'),
                                         v_f = 'summary');
        IF v_problem IS NOT NULL THEN
            field := v_f;
            message := v_f || ' ' || v_problem;
            RETURN;
        END IF;
    END LOOP;

    IF v_kind <> 'individual' THEN
        FOREACH v_f IN ARRAY ARRAY['birth_date', 'gender', 'position', 'workplace'] LOOP
            IF coalesce(p_rec->>v_f, '') <> '' THEN
                field := v_f;
                message := format('%s is kept for an individual only, not for a %s', v_f, v_kind);
                RETURN;
            END IF;
        END LOOP;
    END IF;

    IF v_achieved IS NULL THEN
        field := 'achieved_on';
        message := 'achieved_on must be a date written YYYY-MM-DD';
        RETURN;
    END IF;
    IF v_achieved NOT BETWEEN p_camp.starts_on AND p_camp.ends_on THEN
        field := 'achieved_on';
        message := format('achieved_on %s is outside the campaign (%s to %s)',
                          to_char(v_achieved, 'YYYY-MM-DD'), to_char(p_camp.starts_on, 'YYYY-MM-DD'),
                          to_char(p_camp.ends_on, 'YYYY-MM-DD'));
        RETURN;
    END IF;

    IF v_birth IS NOT NULL THEN
        v_born := thidua.parse_date(v_birth);
        IF v_born IS NULL OR v_born < DATE '1900-01-01' OR v_born >= v_achieved THEN
            field := 'birth_date';
            message := 'birth_date must be a date written YYYY-MM-DD, after 1900 and before achieved_on';
            RETURN;
        END IF;
    END IF;
    IF v_gender IS NOT NULL AND v_gender NOT IN ('male', 'female') THEN
        field := 'gender';
        message := 'gender must be male or female (or empty)';
        RETURN;
    END IF;

    SELECT c.id INTO category_id
      FROM thidua.category c
     WHERE c.campaign_id = p_camp.id AND c.code = p_rec->>'category';
    IF category_id IS NULL THEN
        field := 'category';
        message := format('unknown category "%s"; one of: %s', coalesce(p_rec->>'category', ''),
                          (SELECT string_agg(c.code, ', ' ORDER BY c.sort_order, c.code)
                             FROM thidua.category c WHERE c.campaign_id = p_camp.id));
        RETURN;
    END IF;

    SELECT f.id, f.allowed_kinds INTO award_id, v_allowed
      FROM thidua.award_form f
     WHERE f.campaign_id = p_camp.id AND f.code = p_rec->>'proposed_award';
    IF award_id IS NULL THEN
        field := 'proposed_award';
        message := format('unknown award form "%s"; one of: %s',
                          coalesce(p_rec->>'proposed_award', ''),
                          (SELECT string_agg(f.code, ', ' ORDER BY f.sort_order, f.code)
                             FROM thidua.award_form f WHERE f.campaign_id = p_camp.id));
        RETURN;
    END IF;
    IF NOT v_kind = ANY (v_allowed) THEN
        field := 'proposed_award';
        message := format('%s is not given to a %s nominee (it goes to: %s)',
                          p_rec->>'proposed_award', v_kind, array_to_string(v_allowed, ', '));
        award_id := NULL;
        category_id := NULL;
        RETURN;
    END IF;
    birth_date := v_born;
    achieved_on := v_achieved;
END
$$;

-- The content of one revision as history keeps it: the fields the content
-- hash covers, as accepted.
CREATE FUNCTION thidua.push_content(p_rec jsonb, p_campaign text, p_withdrawn boolean)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object(
        'id', p_rec->>'id',
        'campaign', p_campaign,
        'org_unit', p_rec->>'org_unit',
        'nominee_kind', p_rec->>'nominee_kind',
        'nominee_name', p_rec->>'nominee_name',
        'birth_date', coalesce(p_rec->>'birth_date', ''),
        'gender', coalesce(p_rec->>'gender', ''),
        'position', coalesce(p_rec->>'position', ''),
        'workplace', coalesce(p_rec->>'workplace', ''),
        'title', p_rec->>'title',
        'summary', coalesce(p_rec->>'summary', ''),
        'category', p_rec->>'category',
        'achieved_on', p_rec->>'achieved_on',
        'proposed_award', p_rec->>'proposed_award',
        'withdrawn', p_withdrawn)
$$;

-- Store one pushed record (without its feed entry: thidua.push numbers all
-- applied records of the batch at the end). Takes the record's row lock.
CREATE FUNCTION thidua.push_one(p_caller bigint, p_cert bytea, p_ord integer, p_rec jsonb)
RETURNS thidua.ack
LANGUAGE plpgsql AS $$
DECLARE
    a          thidua.ack;
    v_hash     bytea;
    v_withdraw boolean;
    v_camp     thidua.campaign;
    v_code     text := coalesce(p_rec->>'org_unit', '');
    v_unit     bigint;
    v_cur      thidua.record;
    v_exists   boolean;
    v_chk      record;
    v_status   text;
    v_tries    integer := 0;
BEGIN
    a.ord := p_ord;
    IF jsonb_typeof(p_rec) IS DISTINCT FROM 'object' THEN
        RETURN thidua.ack_set(a, 'REJECTED', 'record', 'not a record');
    END IF;
    a.record_id := thidua.parse_uuid(p_rec->>'id');
    IF a.record_id IS NULL THEN
        RETURN thidua.ack_set(a, 'REJECTED', 'id', 'id must be a lowercase UUID (8-4-4-4-12)');
    END IF;
    IF jsonb_typeof(p_rec->'revision') = 'number' AND (p_rec->>'revision') ~ '^[0-9]{1,10}$'
       AND (p_rec->>'revision')::bigint BETWEEN 1 AND 2147483647 THEN
        a.revision := (p_rec->>'revision')::integer;
    ELSE
        RETURN thidua.ack_set(a, 'REJECTED', 'revision', 'revision must be a whole number from 1');
    END IF;
    IF coalesce(p_rec->>'content_hash', '') !~ '^[0-9a-f]{64}$' THEN
        RETURN thidua.ack_set(a, 'REJECTED', 'content_hash',
                              'content_hash must be 64 lowercase hex digits (SHA-256)');
    END IF;
    v_hash := decode(p_rec->>'content_hash', 'hex');
    IF coalesce(jsonb_typeof(p_rec->'withdrawn'), 'null') NOT IN ('boolean', 'null') THEN
        RETURN thidua.ack_set(a, 'REJECTED', 'withdrawn', 'withdrawn must be true or false');
    END IF;
    v_withdraw := coalesce((p_rec->>'withdrawn')::boolean, false);

    -- An empty campaign means the newest one, as the server serves by default.
    IF coalesce(p_rec->>'campaign', '') = '' THEN
        SELECT * INTO v_camp FROM thidua.campaign ORDER BY starts_on DESC, id DESC LIMIT 1;
    ELSE
        SELECT * INTO v_camp FROM thidua.campaign WHERE code = p_rec->>'campaign';
    END IF;
    IF v_camp.id IS NULL THEN
        RETURN thidua.ack_set(a, 'REJECTED', 'campaign',
                              format('unknown campaign "%s"', coalesce(p_rec->>'campaign', '')));
    END IF;

    -- The unit: among the caller's own units first (a code may have been used
    -- by other units at other times), the one valid today, else the latest.
    SELECT u.id INTO v_unit
      FROM thidua.org_unit_closure c
      JOIN thidua.org_unit u ON u.id = c.descendant_id
     WHERE c.ancestor_id = p_caller AND u.code = v_code
     ORDER BY (u.valid_from <= current_date AND (u.valid_to IS NULL OR current_date < u.valid_to)) DESC,
              u.valid_from DESC
     LIMIT 1;
    IF v_unit IS NULL THEN
        IF EXISTS (SELECT 1 FROM thidua.org_unit WHERE code = v_code) THEN
            RETURN thidua.ack_set(a, 'PERMISSION_DENIED', 'org_unit',
                                  format('unit %s is neither your unit nor below it', v_code));
        END IF;
        RETURN thidua.ack_set(a, 'REJECTED', 'org_unit', format('unknown org unit "%s"', v_code));
    END IF;

    LOOP
        SELECT * INTO v_cur FROM thidua.record WHERE id = a.record_id FOR UPDATE;
        v_exists := FOUND;
        IF v_exists THEN
            -- Someone else's record: say nothing about it.
            IF NOT thidua.unit_within(p_caller, v_cur.org_unit_id) THEN
                RETURN thidua.ack_set(a, 'PERMISSION_DENIED', 'id',
                                      'this record belongs to a unit that is not yours');
            END IF;
            a.record_status := v_cur.status;
            a.stored_revision := v_cur.revision;
            IF a.revision < v_cur.revision THEN
                RETURN thidua.ack_set(a, 'STALE', NULL,
                                      format('revision %s is already stored', v_cur.revision));
            END IF;
            IF a.revision = v_cur.revision THEN
                IF v_hash = v_cur.content_hash THEN
                    RETURN thidua.ack_set(a, 'DUPLICATE', NULL, NULL);
                END IF;
                RETURN thidua.ack_set(a, 'CONFLICT', 'content_hash',
                                      format('revision %s is stored with other content', a.revision));
            END IF;
            IF v_cur.status NOT IN ('submitted', 'returned') THEN
                RETURN thidua.ack_set(a, 'LOCKED', 'status',
                                      format('the record is %s: it can no longer change', v_cur.status));
            END IF;
            IF v_cur.org_unit_id <> v_unit THEN
                RETURN thidua.ack_set(a, 'REJECTED', 'org_unit', 'a record never moves to another unit');
            END IF;
            IF v_cur.campaign_id <> v_camp.id THEN
                RETURN thidua.ack_set(a, 'REJECTED', 'campaign',
                                      'a record never moves to another campaign');
            END IF;
        END IF;

        v_chk := thidua.push_check(p_rec, v_camp);
        IF v_chk.field IS NOT NULL THEN
            RETURN thidua.ack_set(a, 'REJECTED', v_chk.field, v_chk.message);
        END IF;
        v_status := CASE WHEN v_withdraw THEN 'withdrawn' ELSE 'submitted' END;

        IF v_exists THEN
            UPDATE thidua.record
               SET nominee_kind = p_rec->>'nominee_kind',
                   nominee_name = p_rec->>'nominee_name',
                   birth_date = v_chk.birth_date,
                   gender = nullif(p_rec->>'gender', ''),
                   position = coalesce(p_rec->>'position', ''),
                   workplace = coalesce(p_rec->>'workplace', ''),
                   title = p_rec->>'title',
                   summary = coalesce(p_rec->>'summary', ''),
                   category_id = v_chk.category_id,
                   achieved_on = v_chk.achieved_on,
                   proposed_award_id = v_chk.award_id,
                   revision = a.revision,
                   status = v_status,
                   content_hash = v_hash,
                   name_key = nullif(p_rec->>'name_key', ''),
                   name_loose_key = nullif(p_rec->>'name_loose_key', ''),
                   updated_at = now()
             WHERE id = a.record_id;
        ELSE
            INSERT INTO thidua.record (id, campaign_id, org_unit_id, nominee_kind, nominee_name,
                                       birth_date, gender, position, workplace, title, summary,
                                       category_id, achieved_on, proposed_award_id, revision, status,
                                       content_hash, name_key, name_loose_key)
            VALUES (a.record_id, v_camp.id, v_unit, p_rec->>'nominee_kind', p_rec->>'nominee_name',
                    v_chk.birth_date, nullif(p_rec->>'gender', ''),
                    coalesce(p_rec->>'position', ''), coalesce(p_rec->>'workplace', ''),
                    p_rec->>'title', coalesce(p_rec->>'summary', ''), v_chk.category_id,
                    v_chk.achieved_on, v_chk.award_id, a.revision, v_status,
                    v_hash, nullif(p_rec->>'name_key', ''), nullif(p_rec->>'name_loose_key', ''))
            ON CONFLICT (id) DO NOTHING;
            IF NOT FOUND THEN
                -- A concurrent push created it and committed: judge again
                -- against what it stored. Under READ COMMITTED the next
                -- SELECT sees it; anything stricter would loop, so give up.
                v_tries := v_tries + 1;
                IF v_tries > 1 THEN
                    RAISE EXCEPTION 'push: record % created concurrently', a.record_id
                        USING ERRCODE = 'serialization_failure';
                END IF;
                CONTINUE;
            END IF;
        END IF;
        EXIT;
    END LOOP;

    INSERT INTO thidua.record_revision (record_id, revision, content_hash, content, by_unit_id, by_cert)
    VALUES (a.record_id, a.revision, v_hash, thidua.push_content(p_rec, v_camp.code, v_withdraw),
            p_caller, p_cert);
    IF v_withdraw THEN
        INSERT INTO thidua.decision (record_id, action, at_revision, by_unit_id, by_cert)
        VALUES (a.record_id, 'withdraw', a.revision, p_caller, p_cert);
    END IF;
    a.record_status := v_status;
    a.stored_revision := a.revision;
    RETURN thidua.ack_set(a, 'APPLIED', NULL, NULL);
END
$$;

-- push(caller unit, certificate fingerprint, records): store a batch of
-- records and answer one ack per record, in the order given.
--
-- p_records is a JSON array of objects with the keys of thidua.v1.Record:
--   id, campaign, org_unit, nominee_kind, nominee_name, birth_date, gender,
--   position, workplace, title, summary, category, achieved_on,
--   proposed_award (text; dates YYYY-MM-DD; "" = not given), revision
--   (number), content_hash (64 hex digits, computed by the server), withdrawn
--   (boolean: this revision withdraws the record), and optionally name_key,
--   name_loose_key (the folded names for duplicate detection).
--
-- A record with withdrawn = true moves to status withdrawn (allowed while
-- submitted or returned, like any new revision). Records are locked in id
-- order; the applied ones are numbered in input order at the very end.
CREATE FUNCTION thidua.push(p_caller bigint, p_cert bytea, p_records jsonb)
RETURNS SETOF thidua.ack
LANGUAGE plpgsql AS $$
DECLARE
    v_n       integer;
    v_acks    thidua.ack[];
    v_a       thidua.ack;
    v_it      record;
    v_ords    integer[] := '{}';
    v_ids     uuid[];
    v_kinds   text[];
    v_revs    integer[];
    v_decs    bigint[];
    v_first   bigint;
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
    v_n := jsonb_array_length(p_records);
    IF v_n = 0 THEN
        RETURN;
    END IF;
    v_acks := array_fill(NULL::thidua.ack, ARRAY[v_n]);

    FOR v_it IN
        SELECT e.ord::integer AS ord, e.elem
          FROM jsonb_array_elements(p_records) WITH ORDINALITY AS e (elem, ord)
         ORDER BY thidua.parse_uuid(e.elem->>'id') NULLS FIRST, e.ord
    LOOP
        v_a := thidua.push_one(p_caller, p_cert, v_it.ord, v_it.elem);
        v_acks[v_it.ord] := v_a;
        IF v_a.result = 'APPLIED' THEN
            v_ords := v_ords || v_it.ord;
        END IF;
    END LOOP;

    IF cardinality(v_ords) > 0 THEN
        SELECT array_agg(o ORDER BY o) INTO v_ords FROM unnest(v_ords) AS o;
        SELECT array_agg(a.record_id ORDER BY u.k),
               array_agg(CASE WHEN a.record_status = 'withdrawn' THEN 'withdraw' ELSE 'revision' END
                         ORDER BY u.k),
               array_agg(a.revision ORDER BY u.k),
               array_agg(d.id ORDER BY u.k)
          INTO v_ids, v_kinds, v_revs, v_decs
          FROM unnest(v_ords) WITH ORDINALITY AS u (o, k)
          JOIN unnest(v_acks) AS a ON a.ord = u.o
          LEFT JOIN thidua.decision d
                 ON a.record_status = 'withdrawn' AND d.record_id = a.record_id
                AND d.action = 'withdraw' AND d.at_revision = a.revision;
        v_first := thidua.feed_append(v_ids, v_kinds, v_revs, v_decs);
        FOR k IN 1 .. cardinality(v_ords) LOOP
            v_a := v_acks[v_ords[k]];
            v_a.change_seq := v_first + k - 1;
            v_acks[v_ords[k]] := v_a;
        END LOOP;
    END IF;

    -- A DUPLICATE answers with the feed position of the revision it repeats.
    RETURN QUERY
        SELECT a.ord, a.record_id, a.revision, a.result,
               CASE WHEN a.result = 'DUPLICATE'
                    THEN (SELECT min(f.seq) FROM thidua.change_feed f
                           WHERE f.record_id = a.record_id AND f.revision = a.revision
                             AND f.kind IN ('revision', 'withdraw'))
                    ELSE a.change_seq END,
               a.field, a.message, a.record_status, a.stored_revision
          FROM unnest(v_acks) AS a
         ORDER BY a.ord;
END
$$;

-- ---------------------------------------------------------------------------
-- A record as the wire shows it (thidua.v1.Record): codes instead of ids,
-- dates as YYYY-MM-DD, hash as hex, times in ms since the epoch, the latest
-- province decision and the award. Empty strings where the wire has them.

CREATE VIEW thidua.record_out AS
SELECT r.id,
       c.code AS campaign,
       u.code AS org_unit,
       r.nominee_kind,
       r.nominee_name,
       coalesce(to_char(r.birth_date, 'YYYY-MM-DD'), '') AS birth_date,
       coalesce(r.gender, '') AS gender,
       r.position,
       r.workplace,
       r.title,
       r.summary,
       cat.code AS category,
       to_char(r.achieved_on, 'YYYY-MM-DD') AS achieved_on,
       af.code AS proposed_award,
       r.revision,
       r.status,
       encode(r.content_hash, 'hex') AS content_hash,
       r.status = 'withdrawn' AS withdrawn,
       r.change_seq,
       thidua.epoch_ms(r.updated_at) AS updated_at_ms,
       coalesce(d.action, '') AS decision_action,
       d.at_revision AS decision_revision,
       coalesce(d.reason, '') AS decision_reason,
       thidua.epoch_ms(d.at) AS decided_at_ms,
       coalesce(awf.code, '') AS award_form,
       coalesce(ad.number, '') AS award_number,
       coalesce(to_char(ad.decided_on, 'YYYY-MM-DD'), '') AS award_date,
       coalesce(ad.signer, '') AS award_signer,
       coalesce(adu.code, '') AS award_issuer,
       coalesce(aw.revoke_reason, '') AS revoked_reason,
       coalesce(rd.number, '') AS revoke_number,
       coalesce(to_char(rd.decided_on, 'YYYY-MM-DD'), '') AS revoke_date,
       coalesce(rd.signer, '') AS revoke_signer,
       coalesce(rdu.code, '') AS revoke_issuer,
       r.org_unit_id,
       r.campaign_id
  FROM thidua.record r
  JOIN thidua.campaign c ON c.id = r.campaign_id
  JOIN thidua.org_unit u ON u.id = r.org_unit_id
  JOIN thidua.category cat ON cat.id = r.category_id
  JOIN thidua.award_form af ON af.id = r.proposed_award_id
  LEFT JOIN LATERAL (SELECT x.action, x.at_revision, x.reason, x.at
                       FROM thidua.decision x
                      WHERE x.record_id = r.id AND x.action IN ('approve', 'reject', 'return')
                      ORDER BY x.id DESC
                      LIMIT 1) d ON true
  LEFT JOIN thidua.award aw ON aw.record_id = r.id
  LEFT JOIN thidua.award_form awf ON awf.id = aw.award_form_id
  LEFT JOIN thidua.award_decision ad ON ad.id = aw.award_decision_id
  LEFT JOIN thidua.org_unit adu ON adu.id = ad.issuer_unit_id
  LEFT JOIN thidua.award_decision rd ON rd.id = aw.revoke_decision_id
  LEFT JOIN thidua.org_unit rdu ON rdu.id = rd.issuer_unit_id;

-- ---------------------------------------------------------------------------
-- Pull: the changes after p_cursor for the caller's unit and the units below
-- it, in feed order, at most p_limit (1..10000), each with the record as it is
-- stored now. has_more (the same on every row) says whether more follow; the
-- next cursor is the last row's change_seq (no rows: keep the cursor).
CREATE FUNCTION thidua.pull(p_caller bigint, p_cursor bigint, p_limit integer)
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
    WITH page AS (
        SELECT f.seq, f.kind, f.record_id
          FROM thidua.change_feed f
         WHERE f.org_unit_id IN (SELECT c.descendant_id FROM thidua.org_unit_closure c
                                  WHERE c.ancestor_id = p_caller)
           AND f.seq > greatest(p_cursor, 0)
         ORDER BY f.seq
         LIMIT least(greatest(p_limit, 1), 10000) + 1
    ), counted AS (
        SELECT p.*, count(*) OVER () > least(greatest(p_limit, 1), 10000) AS more
          FROM page p
    )
    SELECT p.seq, p.kind, p.more,
           o.id, o.campaign, o.org_unit, o.nominee_kind, o.nominee_name, o.birth_date, o.gender,
           o.position, o.workplace, o.title, o.summary, o.category, o.achieved_on,
           o.proposed_award, o.revision, o.status, o.content_hash, o.withdrawn, o.change_seq,
           o.updated_at_ms, o.decision_action, o.decision_revision, o.decision_reason,
           o.decided_at_ms, o.award_form, o.award_number, o.award_date, o.award_signer,
           o.award_issuer, o.revoked_reason, o.revoke_number, o.revoke_date, o.revoke_signer,
           o.revoke_issuer
      FROM counted p
      JOIN thidua.record_out o ON o.id = p.record_id
     ORDER BY p.seq
     LIMIT least(greatest(p_limit, 1), 10000)
$$;

-- ---------------------------------------------------------------------------
-- Province decisions

-- decide(caller, fingerprint, record, revision read, action, reason): approve,
-- reject or return (for supplements) a submitted record, at exactly the
-- revision the reviewer read. Results: APPLIED; DUPLICATE (the same decision
-- was already recorded: a retry); CONFLICT (the record moved on: another
-- revision is stored); LOCKED (not submitted: returned and waiting for the
-- district, or already decided); REJECTED (bad action, missing reason);
-- NOT_FOUND; PERMISSION_DENIED.
CREATE FUNCTION thidua.decide(p_caller bigint, p_cert bytea, p_id uuid, p_revision integer,
                              p_action text, p_reason text)
RETURNS thidua.ack
LANGUAGE plpgsql AS $$
DECLARE
    a        thidua.ack;
    v_cur    thidua.record;
    v_last   thidua.decision;
    v_reason text := coalesce(p_reason, '');
    v_target text;
    v_dec    bigint;
    v_prob   text;
BEGIN
    a.ord := 1;
    a.record_id := p_id;
    a.revision := p_revision;
    SELECT * INTO v_cur FROM thidua.record WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN thidua.ack_set(a, 'NOT_FOUND', 'id', 'no such record');
    END IF;
    IF NOT thidua.unit_within(p_caller, v_cur.org_unit_id) THEN
        RETURN thidua.ack_set(a, 'PERMISSION_DENIED', 'id', 'this record is outside your units');
    END IF;
    a.record_status := v_cur.status;
    a.stored_revision := v_cur.revision;
    v_target := CASE p_action WHEN 'approve' THEN 'approved' WHEN 'reject' THEN 'rejected'
                              WHEN 'return' THEN 'returned' END;
    IF v_target IS NULL THEN
        RETURN thidua.ack_set(a, 'REJECTED', 'action', 'action must be approve, reject or return');
    END IF;
    v_prob := thidua.text_problem(v_reason, 2000, p_action <> 'approve', true);
    IF v_prob IS NOT NULL THEN
        RETURN thidua.ack_set(a, 'REJECTED', 'reason', 'reason ' || v_prob);
    END IF;

    SELECT * INTO v_last FROM thidua.decision
     WHERE record_id = p_id AND action IN ('approve', 'reject', 'return')
     ORDER BY id DESC LIMIT 1;
    IF v_cur.status = v_target AND v_last.action = p_action AND v_last.at_revision = p_revision
       AND v_cur.revision = p_revision THEN
        a.change_seq := (SELECT f.seq FROM thidua.change_feed f WHERE f.decision_id = v_last.id);
        RETURN thidua.ack_set(a, 'DUPLICATE', NULL, NULL);
    END IF;
    IF p_revision IS DISTINCT FROM v_cur.revision THEN
        RETURN thidua.ack_set(a, 'CONFLICT', 'revision',
                              format('the record is at revision %s now', v_cur.revision));
    END IF;
    IF v_cur.status <> 'submitted' THEN
        RETURN thidua.ack_set(a, 'LOCKED', 'status',
                              format('the record is %s, not submitted', v_cur.status));
    END IF;

    UPDATE thidua.record SET status = v_target, updated_at = now() WHERE id = p_id;
    INSERT INTO thidua.decision (record_id, action, at_revision, reason, by_unit_id, by_cert)
    VALUES (p_id, p_action, p_revision, v_reason, p_caller, p_cert)
    RETURNING id INTO v_dec;
    a.change_seq := thidua.feed_append(ARRAY[p_id], ARRAY['decision'], ARRAY[p_revision],
                                       ARRAY[v_dec]);
    a.record_status := v_target;
    RETURN thidua.ack_set(a, 'APPLIED', NULL, NULL);
END
$$;

-- The award decision (issuer, number, date, signer) an award or a revocation
-- is made under: found, or created on first use. A number already used that
-- year by the issuer is reused only with the same date and signer (a retry,
-- or more awardees of the same act); otherwise TD409. Raises TD400 for a
-- malformed field and TD403 for an issuer outside the caller's units.
CREATE FUNCTION thidua.award_decision_get(p_caller bigint, p_cert bytea, p_issuer text,
                                          p_number text, p_date text, p_signer text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_issuer bigint;
    v_date   date := thidua.parse_date(p_date);
    v_prob   text;
    v_row    thidua.award_decision;
BEGIN
    IF coalesce(p_issuer, '') = '' THEN
        v_issuer := p_caller;
    ELSE
        v_issuer := thidua.unit_resolve(p_issuer, coalesce(v_date, current_date));
        IF v_issuer IS NULL THEN
            RAISE EXCEPTION 'unknown issuer "%"', p_issuer
                USING ERRCODE = 'TD400', COLUMN = 'decision.issuer';
        END IF;
    END IF;
    IF NOT thidua.unit_within(p_caller, v_issuer) THEN
        RAISE EXCEPTION 'the issuer must be your unit or below it'
            USING ERRCODE = 'TD403', COLUMN = 'decision.issuer';
    END IF;
    v_prob := thidua.text_problem(p_number, 64, true, false);
    IF v_prob IS NOT NULL THEN
        RAISE EXCEPTION 'decision number %', v_prob USING ERRCODE = 'TD400', COLUMN = 'decision.number';
    END IF;
    IF v_date IS NULL OR v_date < DATE '1945-01-01' THEN
        RAISE EXCEPTION 'decision date must be a date written YYYY-MM-DD'
            USING ERRCODE = 'TD400', COLUMN = 'decision.date';
    END IF;
    v_prob := thidua.text_problem(p_signer, 300, true, false);
    IF v_prob IS NOT NULL THEN
        RAISE EXCEPTION 'signer %', v_prob USING ERRCODE = 'TD400', COLUMN = 'decision.signer';
    END IF;

    INSERT INTO thidua.award_decision (issuer_unit_id, year, number, decided_on, signer, by_cert)
    VALUES (v_issuer, extract(year FROM v_date)::integer, p_number, v_date, p_signer, p_cert)
    ON CONFLICT (issuer_unit_id, year, number) DO NOTHING
    RETURNING * INTO v_row;
    IF v_row.id IS NULL THEN
        SELECT * INTO v_row FROM thidua.award_decision
         WHERE issuer_unit_id = v_issuer AND year = extract(year FROM v_date)::integer
           AND number = p_number;
        IF v_row.decided_on <> v_date OR v_row.signer <> p_signer THEN
            RAISE EXCEPTION 'decision % of % is already recorded with another date or signer',
                            p_number, extract(year FROM v_date)
                USING ERRCODE = 'TD409', COLUMN = 'decision.number';
        END IF;
    END IF;
    RETURN v_row.id;
END
$$;

-- award(caller, fingerprint, issuer, number, date, signer, form, record ids):
-- award approved records under one decision. One ack per id, in order:
-- APPLIED; DUPLICATE (already awarded by this decision); LOCKED (not
-- approved, or awarded already: one award per record); REJECTED (field
-- "form": unknown, not given to the record's nominee kind, or not conferred
-- by the issuer's level); NOT_FOUND; PERMISSION_DENIED. Each id stands alone,
-- as in a push.
CREATE FUNCTION thidua.award(p_caller bigint, p_cert bytea, p_issuer text, p_number text,
                             p_date text, p_signer text, p_form text, p_ids uuid[])
RETURNS SETOF thidua.ack
LANGUAGE plpgsql AS $$
DECLARE
    v_dec     bigint;
    v_level   text;
    v_acks    thidua.ack[];
    a         thidua.ack;
    v_it      record;
    v_cur     thidua.record;
    v_form    thidua.award_form;
    v_award   thidua.award;
    v_did     bigint;
    v_ids     uuid[] := '{}';
    v_revs    integer[] := '{}';
    v_decs    bigint[] := '{}';
    v_ords    integer[] := '{}';
    v_first   bigint;
BEGIN
    IF coalesce(cardinality(p_ids), 0) = 0 THEN
        RETURN;
    END IF;
    v_dec := thidua.award_decision_get(p_caller, p_cert, p_issuer, p_number, p_date, p_signer);
    SELECT u.level INTO v_level
      FROM thidua.award_decision d JOIN thidua.org_unit u ON u.id = d.issuer_unit_id
     WHERE d.id = v_dec;
    v_acks := array_fill(NULL::thidua.ack, ARRAY[cardinality(p_ids)]);

    FOR v_it IN SELECT u.id, u.k::integer AS k
                  FROM unnest(p_ids) WITH ORDINALITY AS u (id, k)
                 ORDER BY u.id NULLS FIRST, u.k
    LOOP
        a := NULL;
        a.ord := v_it.k;
        a.record_id := v_it.id;
        v_acks[v_it.k] := a;
        SELECT * INTO v_cur FROM thidua.record WHERE id = v_it.id FOR UPDATE;
        IF NOT FOUND THEN
            v_acks[v_it.k] := thidua.ack_set(a, 'NOT_FOUND', 'id', 'no such record');
            CONTINUE;
        END IF;
        IF NOT thidua.unit_within(p_caller, v_cur.org_unit_id) THEN
            v_acks[v_it.k] := thidua.ack_set(a, 'PERMISSION_DENIED', 'id',
                                             'this record is outside your units');
            CONTINUE;
        END IF;
        a.revision := v_cur.revision;
        a.record_status := v_cur.status;
        a.stored_revision := v_cur.revision;
        SELECT * INTO v_award FROM thidua.award WHERE record_id = v_it.id;
        IF v_award.id IS NOT NULL THEN
            IF v_award.award_decision_id = v_dec AND v_cur.status = 'awarded' THEN
                a.change_seq := (SELECT f.seq FROM thidua.change_feed f
                                   JOIN thidua.decision d ON d.id = f.decision_id
                                  WHERE d.record_id = v_it.id AND d.action = 'award');
                v_acks[v_it.k] := thidua.ack_set(a, 'DUPLICATE', NULL, NULL);
            ELSE
                v_acks[v_it.k] := thidua.ack_set(a, 'LOCKED', 'status',
                                                 'the record has its award already');
            END IF;
            CONTINUE;
        END IF;
        IF v_cur.status <> 'approved' THEN
            v_acks[v_it.k] := thidua.ack_set(a, 'LOCKED', 'status',
                                             format('the record is %s, not approved', v_cur.status));
            CONTINUE;
        END IF;
        SELECT * INTO v_form FROM thidua.award_form
         WHERE campaign_id = v_cur.campaign_id AND code = p_form;
        IF v_form.id IS NULL THEN
            v_acks[v_it.k] := thidua.ack_set(a, 'REJECTED', 'form',
                                             format('unknown award form "%s"', coalesce(p_form, '')));
            CONTINUE;
        END IF;
        IF NOT v_cur.nominee_kind = ANY (v_form.allowed_kinds) THEN
            v_acks[v_it.k] := thidua.ack_set(a, 'REJECTED', 'form',
                                             format('%s is not given to a %s nominee', p_form,
                                                    v_cur.nominee_kind));
            CONTINUE;
        END IF;
        IF v_form.conferred_by <> v_level THEN
            v_acks[v_it.k] := thidua.ack_set(a, 'REJECTED', 'form',
                                             format('%s is conferred by a %s, not by this issuer',
                                                    p_form, v_form.conferred_by));
            CONTINUE;
        END IF;

        INSERT INTO thidua.award (record_id, award_decision_id, award_form_id, at_revision)
        VALUES (v_it.id, v_dec, v_form.id, v_cur.revision);
        INSERT INTO thidua.decision (record_id, action, at_revision, award_decision_id, by_unit_id,
                                     by_cert)
        VALUES (v_it.id, 'award', v_cur.revision, v_dec, p_caller, p_cert)
        RETURNING id INTO v_did;
        UPDATE thidua.record SET status = 'awarded', updated_at = now() WHERE id = v_it.id;
        a.record_status := 'awarded';
        v_acks[v_it.k] := thidua.ack_set(a, 'APPLIED', NULL, NULL);
        v_ords := v_ords || v_it.k;
        v_ids := v_ids || v_it.id;
        v_revs := v_revs || v_cur.revision;
        v_decs := v_decs || v_did;
    END LOOP;

    IF cardinality(v_ords) > 0 THEN
        v_first := thidua.feed_append(v_ids, array_fill('award'::text, ARRAY[cardinality(v_ids)]),
                                      v_revs, v_decs);
        FOR k IN 1 .. cardinality(v_ords) LOOP
            a := v_acks[v_ords[k]];
            a.change_seq := v_first + k - 1;
            v_acks[v_ords[k]] := a;
        END LOOP;
    END IF;
    RETURN QUERY SELECT * FROM unnest(v_acks) AS x ORDER BY x.ord;
END
$$;

-- revoke(caller, fingerprint, record, reason, issuer, number, date, signer):
-- revoke an award (false declaration) under a revoking decision. Results:
-- APPLIED; DUPLICATE (already revoked by this decision); LOCKED (not
-- awarded); REJECTED (field "reason" missing); NOT_FOUND; PERMISSION_DENIED.
CREATE FUNCTION thidua.revoke(p_caller bigint, p_cert bytea, p_id uuid, p_reason text,
                              p_issuer text, p_number text, p_date text, p_signer text)
RETURNS thidua.ack
LANGUAGE plpgsql AS $$
DECLARE
    a       thidua.ack;
    v_cur   thidua.record;
    v_award thidua.award;
    v_dec   bigint;
    v_did   bigint;
    v_prob  text;
BEGIN
    a.ord := 1;
    a.record_id := p_id;
    -- Records are never deleted and never change unit, so these two answers
    -- need no lock. The act is found or made before the record is locked:
    -- award() takes them in that order too.
    SELECT * INTO v_cur FROM thidua.record WHERE id = p_id;
    IF NOT FOUND THEN
        RETURN thidua.ack_set(a, 'NOT_FOUND', 'id', 'no such record');
    END IF;
    IF NOT thidua.unit_within(p_caller, v_cur.org_unit_id) THEN
        RETURN thidua.ack_set(a, 'PERMISSION_DENIED', 'id', 'this record is outside your units');
    END IF;
    v_prob := thidua.text_problem(p_reason, 2000, true, true);
    IF v_prob IS NOT NULL THEN
        a.revision := v_cur.revision;
        a.record_status := v_cur.status;
        a.stored_revision := v_cur.revision;
        RETURN thidua.ack_set(a, 'REJECTED', 'reason', 'reason ' || v_prob);
    END IF;
    v_dec := thidua.award_decision_get(p_caller, p_cert, p_issuer, p_number, p_date, p_signer);
    SELECT * INTO v_cur FROM thidua.record WHERE id = p_id FOR UPDATE;
    a.revision := v_cur.revision;
    a.record_status := v_cur.status;
    a.stored_revision := v_cur.revision;
    SELECT * INTO v_award FROM thidua.award WHERE record_id = p_id;
    IF v_cur.status = 'revoked' AND v_award.revoke_decision_id = v_dec THEN
        a.change_seq := (SELECT f.seq FROM thidua.change_feed f
                           JOIN thidua.decision d ON d.id = f.decision_id
                          WHERE d.record_id = p_id AND d.action = 'revoke');
        RETURN thidua.ack_set(a, 'DUPLICATE', NULL, NULL);
    END IF;
    IF v_cur.status <> 'awarded' THEN
        RETURN thidua.ack_set(a, 'LOCKED', 'status',
                              format('the record is %s, not awarded', v_cur.status));
    END IF;

    UPDATE thidua.award
       SET revoked_at = now(), revoke_reason = p_reason, revoke_decision_id = v_dec
     WHERE id = v_award.id;
    INSERT INTO thidua.decision (record_id, action, at_revision, reason, award_decision_id,
                                 by_unit_id, by_cert)
    VALUES (p_id, 'revoke', v_cur.revision, p_reason, v_dec, p_caller, p_cert)
    RETURNING id INTO v_did;
    UPDATE thidua.record SET status = 'revoked', updated_at = now() WHERE id = p_id;
    a.change_seq := thidua.feed_append(ARRAY[p_id], ARRAY['revoke'], ARRAY[v_cur.revision],
                                       ARRAY[v_did]);
    a.record_status := 'revoked';
    RETURN thidua.ack_set(a, 'APPLIED', NULL, NULL);
END
$$;
