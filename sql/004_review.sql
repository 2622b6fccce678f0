-- 004_review.sql - what the province reads: the record listing with its
-- possible duplicates, a record's history, the campaign report, and where
-- each unit's synchronisation stands.
--
-- Everything here only reads, except thidua.sync_note (one row per unit).
-- Like the functions of 003_sync.sql, each takes the caller's unit id and
-- shows only records of that unit or of units below it. Failures of a request
-- as a whole raise TD400 / TD403 with the field in COLUMN_NAME (see 003).
-- docs/protocol.md, "Province requests", says what the server makes of them.

-- ---------------------------------------------------------------------------
-- Duplicate detection. A record may be the same nominee as another record of
-- the campaign (any unit) when the folded names match (name_key, or the looser
-- name_loose_key) and so does the birth date or the workplace. 001 indexed
-- the loose key; the strict key gets its own index so that either match is an
-- index lookup (the planner ORs the two).

CREATE INDEX record_dup_key ON thidua.record (campaign_id, name_key, birth_date)
    WHERE name_key IS NOT NULL;

-- Workplaces are typed freely ("Trường THPT Vị Thủy", "trường THPT Vị Thuỷ"):
-- compare them ignoring case and tone marks, but not the letters Vietnamese
-- treats as letters of their own (ă, â, đ, ê, ô, ơ, ư), which is what ICU's
-- Vietnamese collation does at primary strength.
CREATE COLLATION thidua.vi_fold (provider = icu, locale = 'vi-u-ks-level1', deterministic = false);

-- Ids of the other records of p_campaign that may be the same nominee as a
-- record with these keys, in id order ('{}' when none).
CREATE FUNCTION thidua.record_duplicates(p_campaign bigint, p_id uuid, p_name_key text,
                                         p_loose_key text, p_birth date, p_workplace text)
RETURNS uuid[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(o.id ORDER BY o.id), '{}')
      FROM thidua.record o
     WHERE o.campaign_id = p_campaign
       AND o.id <> p_id
       AND (o.name_key = p_name_key OR o.name_loose_key = p_loose_key)
       AND (o.birth_date = p_birth
            OR (p_workplace <> '' AND o.workplace COLLATE thidua.vi_fold = p_workplace))
$$;

-- The same for a stored record.
CREATE FUNCTION thidua.record_duplicates(p_id uuid)
RETURNS uuid[]
LANGUAGE sql STABLE AS $$
    SELECT thidua.record_duplicates(r.campaign_id, r.id, r.name_key, r.name_loose_key,
                                    r.birth_date, r.workplace)
      FROM thidua.record r
     WHERE r.id = p_id
$$;

-- Who pushed last per unit, for the report's sync health.
CREATE INDEX record_revision_by_unit ON thidua.record_revision (by_unit_id, at);

-- ---------------------------------------------------------------------------
-- Argument checks shared by the listing and the report.

-- The campaign by code; '' is the newest campaign, as push takes it.
CREATE FUNCTION thidua.campaign_resolve(p_campaign text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_id bigint;
BEGIN
    IF coalesce(p_campaign, '') = '' THEN
        SELECT c.id INTO v_id FROM thidua.campaign c ORDER BY c.starts_on DESC, c.id DESC LIMIT 1;
    ELSE
        SELECT c.id INTO v_id FROM thidua.campaign c WHERE c.code = p_campaign;
    END IF;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'unknown campaign "%"', coalesce(p_campaign, '')
            USING ERRCODE = 'TD400', COLUMN = 'campaign';
    END IF;
    RETURN v_id;
END
$$;

-- The caller's unit must exist (the server resolved it from the certificate).
CREATE FUNCTION thidua.caller_check(p_caller bigint) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_caller IS NULL OR NOT EXISTS (SELECT 1 FROM thidua.org_unit u WHERE u.id = p_caller) THEN
        RAISE EXCEPTION 'unknown caller unit' USING ERRCODE = 'TD403';
    END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- The listing (ListRecordsRequest). list_match finds the matching ids,
-- list_count counts them and list_records returns one sorted page; the server
-- calls the last two in one REPEATABLE READ transaction so that the total and
-- the page agree.

-- Ids of the records matching the filters. '' (and false) means "any". Raises
-- TD400 for an unknown campaign, unit, status, category, kind or award form
-- (with the allowed values), TD403 for a unit outside the caller's.
CREATE FUNCTION thidua.list_match(p_caller bigint, p_campaign text, p_unit text, p_status text,
                                  p_category text, p_kind text, p_award text,
                                  p_duplicates_only boolean)
RETURNS SETOF uuid
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_camp   bigint;
    v_unit   bigint := p_caller;
    v_status text := coalesce(p_status, '');
    v_kind   text := coalesce(p_kind, '');
    v_cat    bigint;
    v_form   bigint;
BEGIN
    PERFORM thidua.caller_check(p_caller);
    v_camp := thidua.campaign_resolve(p_campaign);
    IF coalesce(p_unit, '') <> '' THEN
        v_unit := thidua.unit_resolve(p_unit);
        IF v_unit IS NULL THEN
            RAISE EXCEPTION 'unknown org unit "%"', p_unit USING ERRCODE = 'TD400', COLUMN = 'org_unit';
        END IF;
        IF NOT thidua.unit_within(p_caller, v_unit) THEN
            RAISE EXCEPTION 'unit % is neither your unit nor below it', p_unit
                USING ERRCODE = 'TD403', COLUMN = 'org_unit';
        END IF;
    END IF;
    IF v_status <> '' AND v_status NOT IN ('submitted', 'returned', 'approved', 'rejected',
                                           'withdrawn', 'awarded', 'revoked') THEN
        RAISE EXCEPTION 'unknown status "%"', v_status USING ERRCODE = 'TD400', COLUMN = 'status';
    END IF;
    IF v_kind <> '' AND v_kind NOT IN ('individual', 'collective', 'household') THEN
        RAISE EXCEPTION 'nominee_kind must be individual, collective or household'
            USING ERRCODE = 'TD400', COLUMN = 'nominee_kind';
    END IF;
    IF coalesce(p_category, '') <> '' THEN
        SELECT c.id INTO v_cat FROM thidua.category c
         WHERE c.campaign_id = v_camp AND c.code = p_category;
        IF v_cat IS NULL THEN
            RAISE EXCEPTION 'unknown category "%"; one of: %', p_category,
                  (SELECT string_agg(c.code, ', ' ORDER BY c.sort_order, c.code)
                     FROM thidua.category c WHERE c.campaign_id = v_camp)
                USING ERRCODE = 'TD400', COLUMN = 'category';
        END IF;
    END IF;
    IF coalesce(p_award, '') <> '' THEN
        SELECT f.id INTO v_form FROM thidua.award_form f
         WHERE f.campaign_id = v_camp AND f.code = p_award;
        IF v_form IS NULL THEN
            RAISE EXCEPTION 'unknown award form "%"; one of: %', p_award,
                  (SELECT string_agg(f.code, ', ' ORDER BY f.sort_order, f.code)
                     FROM thidua.award_form f WHERE f.campaign_id = v_camp)
                USING ERRCODE = 'TD400', COLUMN = 'award';
        END IF;
    END IF;

    RETURN QUERY
        SELECT r.id
          FROM thidua.record r
         WHERE r.campaign_id = v_camp
           AND r.org_unit_id IN (SELECT c.descendant_id FROM thidua.org_unit_closure c
                                  WHERE c.ancestor_id = v_unit)
           AND (v_status = '' OR r.status = v_status)
           AND (v_cat IS NULL OR r.category_id = v_cat)
           AND (v_kind = '' OR r.nominee_kind = v_kind)
           AND (v_form IS NULL OR r.proposed_award_id = v_form
                OR EXISTS (SELECT 1 FROM thidua.award a
                            WHERE a.record_id = r.id AND a.award_form_id = v_form))
           AND (NOT coalesce(p_duplicates_only, false)
                OR cardinality(thidua.record_duplicates(r.campaign_id, r.id, r.name_key,
                                                        r.name_loose_key, r.birth_date,
                                                        r.workplace)) > 0);
END
$$;

CREATE FUNCTION thidua.list_count(p_caller bigint, p_campaign text, p_unit text, p_status text,
                                  p_category text, p_kind text, p_award text,
                                  p_duplicates_only boolean)
RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT count(*)
      FROM thidua.list_match(p_caller, p_campaign, p_unit, p_status, p_category, p_kind, p_award,
                             p_duplicates_only)
$$;

-- One page of the matching records, sorted by unit code, then nominee name in
-- Vietnamese order (the column's collation), then id so that pages never
-- overlap. Rows have the columns of thidua.record_out and possible_duplicates
-- (ids joined by ',', '' when none). p_limit is clamped to 1..10000.
CREATE FUNCTION thidua.list_records(p_caller bigint, p_campaign text, p_unit text, p_status text,
                                    p_category text, p_kind text, p_award text,
                                    p_duplicates_only boolean, p_offset integer, p_limit integer)
RETURNS TABLE (
    id uuid, campaign text, org_unit text, nominee_kind text, nominee_name text,
    birth_date text, gender text, "position" text, workplace text, title text, summary text,
    category text, achieved_on text, proposed_award text, revision integer, status text,
    content_hash text, withdrawn boolean, change_seq bigint, updated_at_ms bigint,
    decision_action text, decision_revision integer, decision_reason text, decided_at_ms bigint,
    award_form text, award_number text, award_date text, award_signer text, award_issuer text,
    revoked_reason text, revoke_number text, revoke_date text, revoke_signer text,
    revoke_issuer text, possible_duplicates text)
LANGUAGE sql STABLE AS $$
    WITH page AS (
        SELECT r.id,
               row_number() OVER (ORDER BY u.code COLLATE "C", r.nominee_name, r.id) AS n
          FROM thidua.list_match(p_caller, p_campaign, p_unit, p_status, p_category, p_kind,
                                 p_award, p_duplicates_only) AS m (id)
          JOIN thidua.record r ON r.id = m.id
          JOIN thidua.org_unit u ON u.id = r.org_unit_id
         ORDER BY u.code COLLATE "C", r.nominee_name, r.id
        OFFSET greatest(p_offset, 0)
         LIMIT least(greatest(p_limit, 1), 10000)
    )
    SELECT o.id, o.campaign, o.org_unit, o.nominee_kind, o.nominee_name, o.birth_date, o.gender,
           o.position, o.workplace, o.title, o.summary, o.category, o.achieved_on,
           o.proposed_award, o.revision, o.status, o.content_hash, o.withdrawn, o.change_seq,
           o.updated_at_ms, o.decision_action, o.decision_revision, o.decision_reason,
           o.decided_at_ms, o.award_form, o.award_number, o.award_date, o.award_signer,
           o.award_issuer, o.revoked_reason, o.revoke_number, o.revoke_date, o.revoke_signer,
           o.revoke_issuer,
           array_to_string(thidua.record_duplicates(o.id), ',')
      FROM page p
      JOIN thidua.record_out o ON o.id = p.id
     ORDER BY p.n
$$;

-- ---------------------------------------------------------------------------
-- One record (GetRecord, and the answer to Decide and Revoke).

-- The record as the wire shows it, with possible_duplicates as in
-- list_records and `allowed` (false when it belongs to a unit outside the
-- caller's: the server then answers PERMISSION_DENIED and shows nothing).
-- No row: no such record.
CREATE FUNCTION thidua.record_get(p_caller bigint, p_id uuid)
RETURNS TABLE (
    id uuid, campaign text, org_unit text, nominee_kind text, nominee_name text,
    birth_date text, gender text, "position" text, workplace text, title text, summary text,
    category text, achieved_on text, proposed_award text, revision integer, status text,
    content_hash text, withdrawn boolean, change_seq bigint, updated_at_ms bigint,
    decision_action text, decision_revision integer, decision_reason text, decided_at_ms bigint,
    award_form text, award_number text, award_date text, award_signer text, award_issuer text,
    revoked_reason text, revoke_number text, revoke_date text, revoke_signer text,
    revoke_issuer text, possible_duplicates text, allowed boolean)
LANGUAGE sql STABLE AS $$
    SELECT o.id, o.campaign, o.org_unit, o.nominee_kind, o.nominee_name, o.birth_date, o.gender,
           o.position, o.workplace, o.title, o.summary, o.category, o.achieved_on,
           o.proposed_award, o.revision, o.status, o.content_hash, o.withdrawn, o.change_seq,
           o.updated_at_ms, o.decision_action, o.decision_revision, o.decision_reason,
           o.decided_at_ms, o.award_form, o.award_number, o.award_date, o.award_signer,
           o.award_issuer, o.revoked_reason, o.revoke_number, o.revoke_date, o.revoke_signer,
           o.revoke_issuer,
           array_to_string(thidua.record_duplicates(o.id), ','),
           thidua.unit_within(p_caller, o.org_unit_id)
      FROM thidua.record_out o
     WHERE o.id = p_id
$$;

-- The record's history, oldest first: one row per change of the feed (every
-- accepted revision, every decision, withdrawal, award and revocation), with
-- who made it (unit code and certificate fingerprint in hex) and when. Rows
-- of kind revision and withdraw carry the content of that revision in the
-- Record columns (id ... withdrawn); other rows have NULL there. Nothing for a
-- record outside the caller's units.
CREATE FUNCTION thidua.record_history(p_caller bigint, p_id uuid)
RETURNS TABLE (
    change_seq bigint, kind text, revision integer, action text, reason text, at_ms bigint,
    by_unit text, by_fingerprint text,
    id text, campaign text, org_unit text, nominee_kind text, nominee_name text,
    birth_date text, gender text, "position" text, workplace text, title text, summary text,
    category text, achieved_on text, proposed_award text, content_hash text, withdrawn boolean)
LANGUAGE sql STABLE AS $$
    SELECT f.seq, f.kind, f.revision,
           coalesce(CASE WHEN d.action IN ('approve', 'reject', 'return') THEN d.action END, ''),
           coalesce(d.reason, ''),
           thidua.epoch_ms(coalesce(d.at, v.at, f.at)),
           coalesce(du.code, vu.code, ''),
           coalesce(encode(coalesce(d.by_cert, v.by_cert), 'hex'), ''),
           v.content->>'id', v.content->>'campaign', v.content->>'org_unit',
           v.content->>'nominee_kind', v.content->>'nominee_name', v.content->>'birth_date',
           v.content->>'gender', v.content->>'position', v.content->>'workplace',
           v.content->>'title', v.content->>'summary', v.content->>'category',
           v.content->>'achieved_on', v.content->>'proposed_award',
           encode(v.content_hash, 'hex'), (v.content->>'withdrawn')::boolean
      FROM thidua.change_feed f
      JOIN thidua.record r ON r.id = f.record_id
      LEFT JOIN thidua.decision d ON d.id = f.decision_id
      LEFT JOIN thidua.org_unit du ON du.id = d.by_unit_id
      LEFT JOIN thidua.record_revision v
             ON f.kind IN ('revision', 'withdraw') AND v.record_id = f.record_id
            AND v.revision = f.revision
      LEFT JOIN thidua.org_unit vu ON vu.id = v.by_unit_id
     WHERE f.record_id = p_id
       AND thidua.unit_within(p_caller, r.org_unit_id)
     ORDER BY f.seq
$$;

-- ---------------------------------------------------------------------------
-- Synchronisation health: when each unit last pushed and pulled, and how many
-- records its pushes had refused. The server notes a push or a pull with
-- sync_note (server/report.c, report_sync_note) in a job of its own after the
-- request's transaction: taking this row's lock inside a push would break the
-- lock order of 003 (the feed counter last) and serialise a unit's pushes for
-- no gain.

CREATE TABLE thidua.unit_sync (
    unit_id          bigint PRIMARY KEY REFERENCES thidua.org_unit (id),
    last_push_at     timestamptz,
    last_pull_at     timestamptz,
    rejected_records bigint NOT NULL DEFAULT 0 CHECK (rejected_records >= 0)
);

-- sync_note(unit, 'push' or 'pull', records refused in that push).
CREATE FUNCTION thidua.sync_note(p_unit bigint, p_kind text, p_rejected integer)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_kind NOT IN ('push', 'pull') THEN
        RAISE EXCEPTION 'kind must be push or pull' USING ERRCODE = 'TD400', COLUMN = 'kind';
    END IF;
    INSERT INTO thidua.unit_sync AS s (unit_id, last_push_at, last_pull_at, rejected_records)
    VALUES (p_unit,
            CASE WHEN p_kind = 'push' THEN now() END,
            CASE WHEN p_kind = 'pull' THEN now() END,
            greatest(coalesce(p_rejected, 0), 0))
    ON CONFLICT (unit_id) DO UPDATE
       SET last_push_at = CASE WHEN p_kind = 'push' THEN now() ELSE s.last_push_at END,
           last_pull_at = CASE WHEN p_kind = 'pull' THEN now() ELSE s.last_pull_at END,
           rejected_records = s.rejected_records + greatest(coalesce(p_rejected, 0), 0);
END
$$;

-- ---------------------------------------------------------------------------
-- The report (ReportRequest). Counts cover the campaign's records of the
-- caller's unit and the units below it; keys with no record are left out
-- (the campaign lists every category and form).

-- Count tables, in this order: tbl 'unit_status' (k = unit code, k_name =
-- unit name, k2 = status, in workflow order), 'category' (every status),
-- 'award_form' (awards in force: awarded, not revoked), 'kind' (every status).
CREATE FUNCTION thidua.report_counts(p_caller bigint, p_campaign text)
RETURNS TABLE (tbl text, k text, k_name text, k2 text, n bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_camp bigint;
BEGIN
    PERFORM thidua.caller_check(p_caller);
    v_camp := thidua.campaign_resolve(p_campaign);

    RETURN QUERY
        SELECT 'unit_status'::text, u.code, u.name::text, r.status, count(*)
          FROM thidua.record r
          JOIN thidua.org_unit_closure cl ON cl.ancestor_id = p_caller
                                         AND cl.descendant_id = r.org_unit_id
          JOIN thidua.org_unit u ON u.id = r.org_unit_id
         WHERE r.campaign_id = v_camp
         GROUP BY u.id, u.code, u.name, r.status
         ORDER BY u.code COLLATE "C", u.id,
                  array_position(ARRAY['submitted', 'returned', 'approved', 'rejected',
                                       'withdrawn', 'awarded', 'revoked'], r.status);

    RETURN QUERY
        SELECT 'category'::text, c.code, c.name::text, ''::text, count(*)
          FROM thidua.record r
          JOIN thidua.org_unit_closure cl ON cl.ancestor_id = p_caller
                                         AND cl.descendant_id = r.org_unit_id
          JOIN thidua.category c ON c.id = r.category_id
         WHERE r.campaign_id = v_camp
         GROUP BY c.id, c.code, c.name, c.sort_order
         ORDER BY c.sort_order, c.code;

    RETURN QUERY
        SELECT 'award_form'::text, f.code, f.name::text, ''::text, count(*)
          FROM thidua.record r
          JOIN thidua.org_unit_closure cl ON cl.ancestor_id = p_caller
                                         AND cl.descendant_id = r.org_unit_id
          JOIN thidua.award a ON a.record_id = r.id
          JOIN thidua.award_form f ON f.id = a.award_form_id
         WHERE r.campaign_id = v_camp AND r.status = 'awarded' AND a.revoked_at IS NULL
         GROUP BY f.id, f.code, f.name, f.sort_order
         ORDER BY f.sort_order, f.code;

    RETURN QUERY
        SELECT 'kind'::text, r.nominee_kind,
               CASE r.nominee_kind WHEN 'individual' THEN 'Cá nhân'
                                   WHEN 'collective' THEN 'Tập thể'
                                   ELSE 'Hộ gia đình' END,
               ''::text, count(*)
          FROM thidua.record r
          JOIN thidua.org_unit_closure cl ON cl.ancestor_id = p_caller
                                         AND cl.descendant_id = r.org_unit_id
         WHERE r.campaign_id = v_camp
         GROUP BY r.nominee_kind
         ORDER BY array_position(ARRAY['individual', 'collective', 'household'], r.nominee_kind);
END
$$;

-- The awardees: records awarded and not revoked, sorted by award form (its
-- sort order: the forms' precedence), unit code, then nominee name in
-- Vietnamese order.
CREATE FUNCTION thidua.report_awardees(p_caller bigint, p_campaign text)
RETURNS TABLE (id uuid, form text, form_name text, org_unit text, org_unit_name text,
               nominee_kind text, nominee_name text, title text, decision_number text,
               decision_date text, category text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_camp bigint;
BEGIN
    PERFORM thidua.caller_check(p_caller);
    v_camp := thidua.campaign_resolve(p_campaign);
    RETURN QUERY
        SELECT r.id, f.code, f.name::text, u.code, u.name::text, r.nominee_kind,
               r.nominee_name::text, r.title, ad.number, to_char(ad.decided_on, 'YYYY-MM-DD'),
               c.code
          FROM thidua.record r
          JOIN thidua.org_unit_closure cl ON cl.ancestor_id = p_caller
                                         AND cl.descendant_id = r.org_unit_id
          JOIN thidua.award a ON a.record_id = r.id
          JOIN thidua.award_form f ON f.id = a.award_form_id
          JOIN thidua.award_decision ad ON ad.id = a.award_decision_id
          JOIN thidua.org_unit u ON u.id = r.org_unit_id
          JOIN thidua.category c ON c.id = r.category_id
         WHERE r.campaign_id = v_camp AND r.status = 'awarded' AND a.revoked_at IS NULL
         ORDER BY f.sort_order, f.code, u.code COLLATE "C", r.nominee_name, r.id;
END
$$;

-- Sync health per unit: the caller's unit and every unit below it that is
-- valid today or has records in the campaign, by code. last_sync_ms is the
-- latest of the unit's last noted push or pull and its last accepted
-- revision (0: never); submitted and returned count the unit's records of
-- the campaign in those states.
CREATE FUNCTION thidua.report_sync(p_caller bigint, p_campaign text)
RETURNS TABLE (org_unit text, org_unit_name text, last_sync_ms bigint, submitted bigint,
               returned bigint, rejected_pushes bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_camp bigint;
BEGIN
    PERFORM thidua.caller_check(p_caller);
    v_camp := thidua.campaign_resolve(p_campaign);
    RETURN QUERY
        SELECT u.code, u.name::text,
               coalesce(thidua.epoch_ms(greatest(s.last_push_at, s.last_pull_at,
                                                 (SELECT max(v.at) FROM thidua.record_revision v
                                                   WHERE v.by_unit_id = u.id))), 0),
               (SELECT count(*) FROM thidua.record r
                 WHERE r.org_unit_id = u.id AND r.campaign_id = v_camp
                   AND r.status = 'submitted'),
               (SELECT count(*) FROM thidua.record r
                 WHERE r.org_unit_id = u.id AND r.campaign_id = v_camp
                   AND r.status = 'returned'),
               coalesce(s.rejected_records, 0)
          FROM thidua.org_unit_closure cl
          JOIN thidua.org_unit u ON u.id = cl.descendant_id
          LEFT JOIN thidua.unit_sync s ON s.unit_id = u.id
         WHERE cl.ancestor_id = p_caller
           AND ((u.valid_from <= current_date AND (u.valid_to IS NULL OR current_date < u.valid_to))
                OR EXISTS (SELECT 1 FROM thidua.record r
                            WHERE r.org_unit_id = u.id AND r.campaign_id = v_camp))
         ORDER BY u.code COLLATE "C", u.id;
END
$$;
