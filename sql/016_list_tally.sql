-- 016_list_tally.sql - ListRecords and Report cost their answer, not the campaign.
--
-- Until 015 a listing found every matching record, sorted all of them in
-- Vietnamese order and counted all of them, to answer one page: 6.7 s for a
-- page of 50 at 1,000,000 records. Report counted by GROUP BY over the
-- campaign's records. Now:
--
-- * record_tally holds how many records each (campaign, unit, status,
--   category, kind) has, kept by statement triggers on thidua.record in the
--   transaction of the write, so that any snapshot sees the tally and the
--   records agree. Totals and report counts are sums over it.
-- * the index record_list (campaign, unit, nominee name in its vi-VN
--   collation, id) holds each unit's records in the listing's order. A page
--   walks the caller's units in code order, skips whole units by their tally
--   and reads its rows from the index of the one or two units it falls in.
--
-- The tally only ever gets rows added (one per key a statement changes), so
-- writers never wait for each other on it: no counter row is updated in place
-- (a hot row per unit would serialise every writer of the unit, across
-- thiduad processes and group commits, and invite deadlocks between groups).
-- Every so many statements, the writer that finds the table unlocked folds
-- the rows into one per key (record_tally_fold).
--
-- Filters on the award form or on possible duplicates still read every
-- matching record (list_match): the tally does not know them.
--
-- The listing's order is unit code (C), then unit, then nominee name, then
-- id. 004 sorted by code, name, id, which mixes the records of two units
-- that carried the same code at different times (a code given again); they
-- are now listed unit by unit, the older unit first.

CREATE TABLE thidua.record_tally (
    campaign_id  bigint NOT NULL,
    org_unit_id  bigint NOT NULL,
    status       text NOT NULL,
    category_id  bigint NOT NULL,
    nominee_kind text NOT NULL,
    n            bigint NOT NULL
);
CREATE INDEX record_tally_unit ON thidua.record_tally (campaign_id, org_unit_id);

-- Fold the tally's rows into one per key, dropping keys at zero. At most one
-- transaction folds at a time (the advisory lock), and only under READ
-- COMMITTED: the DELETE then sees what an earlier fold committed, where a
-- REPEATABLE READ snapshot could try to delete a row it already removed.
-- Rows added meanwhile by other writers are not in the DELETE's snapshot and
-- stay as they are. Returns false when it did not run.
CREATE FUNCTION thidua.record_tally_fold() RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed'
       OR NOT pg_try_advisory_xact_lock(hashtext('thidua.record_tally_fold')) THEN
        RETURN false;
    END IF;
    WITH gone AS (DELETE FROM thidua.record_tally RETURNING *)
    INSERT INTO thidua.record_tally (campaign_id, org_unit_id, status, category_id, nominee_kind, n)
    SELECT campaign_id, org_unit_id, status, category_id, nominee_kind, sum(n)
      FROM gone
     GROUP BY campaign_id, org_unit_id, status, category_id, nominee_kind
    HAVING sum(n) <> 0;
    RETURN true;
END
$$;

-- Statements between folds: each adds a row per key it changes, and a fold
-- costs about a millisecond per thousand rows.
CREATE SEQUENCE thidua.record_tally_statements;

-- The trigger of every INSERT, UPDATE and DELETE on thidua.record: one row per
-- key whose count the statement changed (an UPDATE of other columns changes
-- none).
CREATE FUNCTION thidua.record_tally_note() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO thidua.record_tally (campaign_id, org_unit_id, status, category_id,
                                         nominee_kind, n)
        SELECT campaign_id, org_unit_id, status, category_id, nominee_kind, count(*)
          FROM new_rows
         GROUP BY campaign_id, org_unit_id, status, category_id, nominee_kind;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO thidua.record_tally (campaign_id, org_unit_id, status, category_id,
                                         nominee_kind, n)
        SELECT campaign_id, org_unit_id, status, category_id, nominee_kind, -count(*)
          FROM old_rows
         GROUP BY campaign_id, org_unit_id, status, category_id, nominee_kind;
    ELSE
        INSERT INTO thidua.record_tally (campaign_id, org_unit_id, status, category_id,
                                         nominee_kind, n)
        SELECT campaign_id, org_unit_id, status, category_id, nominee_kind, sum(d)
          FROM (SELECT campaign_id, org_unit_id, status, category_id, nominee_kind, 1 AS d
                  FROM new_rows
                UNION ALL
                SELECT campaign_id, org_unit_id, status, category_id, nominee_kind, -1
                  FROM old_rows) AS x
         GROUP BY campaign_id, org_unit_id, status, category_id, nominee_kind
        HAVING sum(d) <> 0;
    END IF;
    IF nextval('thidua.record_tally_statements') % 256 = 0 THEN
        PERFORM thidua.record_tally_fold();
    END IF;
    RETURN NULL;
END
$$;

-- The triggers first: creating them locks out writers until this migration
-- commits, so the count below sees every record written before and the
-- triggers every record written after.
CREATE TRIGGER record_tally_insert AFTER INSERT ON thidua.record
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION thidua.record_tally_note();
CREATE TRIGGER record_tally_update AFTER UPDATE ON thidua.record
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION thidua.record_tally_note();
CREATE TRIGGER record_tally_delete AFTER DELETE ON thidua.record
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION thidua.record_tally_note();
-- No trigger for TRUNCATE: record_revision refers to the records and refuses
-- to be truncated, so neither can they be.

INSERT INTO thidua.record_tally (campaign_id, org_unit_id, status, category_id, nominee_kind, n)
SELECT campaign_id, org_unit_id, status, category_id, nominee_kind, count(*)
  FROM thidua.record
 GROUP BY campaign_id, org_unit_id, status, category_id, nominee_kind;

-- The listing's order within a unit. It replaces record_unit_status, which
-- served the per-unit GROUP BYs of the report.
-- The filters the tally knows are included, so that skipping to a page reads
-- the index alone.
CREATE INDEX record_list ON thidua.record (campaign_id, org_unit_id, nominee_name, id)
    INCLUDE (status, nominee_kind, category_id);
DROP INDEX thidua.record_unit_status;

-- ---------------------------------------------------------------------------
-- The listing.

-- What a listing's filters resolve to. '' (and NULL) means "any".
CREATE TYPE thidua.list_filter AS (
    campaign_id bigint,
    unit_id     bigint,  -- the caller's unit or the one asked for, within it
    status      text,
    kind        text,
    category_id bigint,
    award_id    bigint
);

-- Check and resolve a listing's filters. Raises TD400 for an unknown
-- campaign, unit, status, category, kind or award form (with the allowed
-- values), TD403 for a unit outside the caller's. The checks of 004's
-- list_match, which now calls this.
CREATE FUNCTION thidua.list_filter_of(p_caller bigint, p_campaign text, p_unit text,
                                      p_status text, p_category text, p_kind text, p_award text)
RETURNS thidua.list_filter
LANGUAGE plpgsql STABLE AS $$
DECLARE
    f thidua.list_filter;
BEGIN
    PERFORM thidua.caller_check(p_caller);
    f.campaign_id := thidua.campaign_resolve(p_campaign);
    f.unit_id := p_caller;
    f.status := coalesce(p_status, '');
    f.kind := coalesce(p_kind, '');
    IF coalesce(p_unit, '') <> '' THEN
        f.unit_id := thidua.unit_resolve(p_unit);
        IF f.unit_id IS NULL THEN
            RAISE EXCEPTION 'unknown org unit "%"', p_unit USING ERRCODE = 'TD400', COLUMN = 'org_unit';
        END IF;
        IF NOT thidua.unit_within(p_caller, f.unit_id) THEN
            RAISE EXCEPTION 'unit % is neither your unit nor below it', p_unit
                USING ERRCODE = 'TD403', COLUMN = 'org_unit';
        END IF;
    END IF;
    IF f.status <> '' AND f.status NOT IN ('submitted', 'returned', 'approved', 'rejected',
                                           'withdrawn', 'awarded', 'revoked') THEN
        RAISE EXCEPTION 'unknown status "%"', f.status USING ERRCODE = 'TD400', COLUMN = 'status';
    END IF;
    IF f.kind <> '' AND f.kind NOT IN ('individual', 'collective', 'household') THEN
        RAISE EXCEPTION 'nominee_kind must be individual, collective or household'
            USING ERRCODE = 'TD400', COLUMN = 'nominee_kind';
    END IF;
    IF coalesce(p_category, '') <> '' THEN
        SELECT c.id INTO f.category_id FROM thidua.category c
         WHERE c.campaign_id = f.campaign_id AND c.code = p_category;
        IF f.category_id IS NULL THEN
            RAISE EXCEPTION 'unknown category "%"; one of: %', p_category,
                  (SELECT string_agg(c.code, ', ' ORDER BY c.sort_order, c.code)
                     FROM thidua.category c WHERE c.campaign_id = f.campaign_id)
                USING ERRCODE = 'TD400', COLUMN = 'category';
        END IF;
    END IF;
    IF coalesce(p_award, '') <> '' THEN
        SELECT a.id INTO f.award_id FROM thidua.award_form a
         WHERE a.campaign_id = f.campaign_id AND a.code = p_award;
        IF f.award_id IS NULL THEN
            RAISE EXCEPTION 'unknown award form "%"; one of: %', p_award,
                  (SELECT string_agg(a.code, ', ' ORDER BY a.sort_order, a.code)
                     FROM thidua.award_form a WHERE a.campaign_id = f.campaign_id)
                USING ERRCODE = 'TD400', COLUMN = 'award';
        END IF;
    END IF;
    RETURN f;
END
$$;

-- The tally's rows of a campaign for a unit and every unit below it.
CREATE FUNCTION thidua.tally_within(p_unit bigint, p_campaign bigint)
RETURNS SETOF thidua.record_tally
LANGUAGE sql STABLE AS $$
    SELECT t.*
      FROM thidua.org_unit_closure cl
      JOIN thidua.record_tally t ON t.campaign_id = p_campaign
                                AND t.org_unit_id = cl.descendant_id
     WHERE cl.ancestor_id = p_unit
$$;

-- The units a listing covers, in its order.
CREATE FUNCTION thidua.list_units(p_unit bigint)
RETURNS TABLE (unit_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT u.id
      FROM thidua.org_unit_closure cl
      JOIN thidua.org_unit u ON u.id = cl.descendant_id
     WHERE cl.ancestor_id = p_unit
     ORDER BY u.code COLLATE "C", u.id
$$;

-- How many records of one unit the tally counts under a filter's status,
-- kind and category.
CREATE FUNCTION thidua.list_tally(f thidua.list_filter, p_unit bigint)
RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(t.n), 0)::bigint
      FROM thidua.record_tally t
     WHERE t.campaign_id = f.campaign_id
       AND t.org_unit_id = p_unit
       AND (f.status = '' OR t.status = f.status)
       AND (f.kind = '' OR t.nominee_kind = f.kind)
       AND (f.category_id IS NULL OR t.category_id = f.category_id)
$$;

-- Ids of the matching records (every one of them: the slow path, for the
-- filters the tally does not know). The body of 013, on list_filter_of.
CREATE OR REPLACE FUNCTION thidua.list_match(p_caller bigint, p_campaign text, p_unit text, p_status text,
                                  p_category text, p_kind text, p_award text,
                                  p_duplicates_only boolean)
RETURNS SETOF uuid
LANGUAGE plpgsql STABLE AS $$
DECLARE
    f thidua.list_filter := thidua.list_filter_of(p_caller, p_campaign, p_unit, p_status,
                                                  p_category, p_kind, p_award);
BEGIN
    RETURN QUERY
        SELECT r.id
          FROM thidua.record r
         WHERE r.campaign_id = f.campaign_id
           AND r.org_unit_id IN (SELECT c.descendant_id FROM thidua.org_unit_closure c
                                  WHERE c.ancestor_id = f.unit_id)
           AND (f.status = '' OR r.status = f.status)
           AND (f.category_id IS NULL OR r.category_id = f.category_id)
           AND (f.kind = '' OR r.nominee_kind = f.kind)
           AND (f.award_id IS NULL OR r.proposed_award_id = f.award_id
                OR EXISTS (SELECT 1 FROM thidua.award a
                            WHERE a.record_id = r.id AND a.award_form_id = f.award_id))
           AND (NOT coalesce(p_duplicates_only, false)
                OR cardinality(thidua.record_duplicates(p_caller, r.campaign_id, r.id,
                                                        r.name_key, r.name_loose_key,
                                                        r.birth_date, r.workplace)) > 0);
END
$$;

CREATE OR REPLACE FUNCTION thidua.list_count(p_caller bigint, p_campaign text, p_unit text,
                                             p_status text, p_category text, p_kind text,
                                             p_award text, p_duplicates_only boolean)
RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    f thidua.list_filter;
BEGIN
    IF coalesce(p_award, '') <> '' OR coalesce(p_duplicates_only, false) THEN
        RETURN (SELECT count(*)
                  FROM thidua.list_match(p_caller, p_campaign, p_unit, p_status, p_category,
                                         p_kind, p_award, p_duplicates_only));
    END IF;
    f := thidua.list_filter_of(p_caller, p_campaign, p_unit, p_status, p_category, p_kind, '');
    RETURN (SELECT coalesce(sum(t.n), 0)::bigint
              FROM thidua.tally_within(f.unit_id, f.campaign_id) t
             WHERE (f.status = '' OR t.status = f.status)
               AND (f.kind = '' OR t.nominee_kind = f.kind)
               AND (f.category_id IS NULL OR t.category_id = f.category_id));
END
$$;

-- Ids of one page of the listing, returned in its order. p_offset is clamped
-- to 0 and more, p_limit to 1..10000.
CREATE FUNCTION thidua.list_page(p_caller bigint, p_campaign text, p_unit text, p_status text,
                                 p_category text, p_kind text, p_award text,
                                 p_duplicates_only boolean, p_offset integer, p_limit integer)
RETURNS SETOF uuid
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_skip bigint := greatest(p_offset, 0);
    v_need integer := least(greatest(p_limit, 1), 10000);
    v_got  bigint;
    v_has  bigint;
    v_unit bigint;
    f      thidua.list_filter;
BEGIN
    IF coalesce(p_award, '') <> '' OR coalesce(p_duplicates_only, false) THEN
        RETURN QUERY
            SELECT r.id
              FROM thidua.list_match(p_caller, p_campaign, p_unit, p_status, p_category, p_kind,
                                     p_award, p_duplicates_only) AS m (id)
              JOIN thidua.record r ON r.id = m.id
              JOIN thidua.org_unit u ON u.id = r.org_unit_id
             ORDER BY u.code COLLATE "C", u.id, r.nominee_name, r.id
            OFFSET v_skip
             LIMIT v_need;
        RETURN;
    END IF;

    f := thidua.list_filter_of(p_caller, p_campaign, p_unit, p_status, p_category, p_kind, '');
    FOR v_unit IN SELECT l.unit_id FROM thidua.list_units(f.unit_id) AS l LOOP
        EXIT WHEN v_need = 0;
        v_has := thidua.list_tally(f, v_unit);
        IF v_has <= v_skip THEN
            v_skip := v_skip - v_has;
            CONTINUE;
        END IF;
        -- Only the filters asked for, so that the plan is an index-only scan
        -- of record_list (a generic plan would test every filter on every row).
        RETURN QUERY EXECUTE
            'SELECT r.id FROM thidua.record r
              WHERE r.campaign_id = $1 AND r.org_unit_id = $2'
            || CASE WHEN f.status = '' THEN '' ELSE ' AND r.status = $3' END
            || CASE WHEN f.kind = '' THEN '' ELSE ' AND r.nominee_kind = $4' END
            || CASE WHEN f.category_id IS NULL THEN '' ELSE ' AND r.category_id = $5' END
            || ' ORDER BY r.nominee_name, r.id OFFSET $6 LIMIT $7'
            USING f.campaign_id, v_unit, f.status, f.kind, f.category_id, v_skip, v_need;
        GET DIAGNOSTICS v_got = ROW_COUNT;
        v_need := v_need - v_got::integer;
        v_skip := 0;
    END LOOP;
END
$$;

-- One page of the matching records (columns of thidua.record_out and
-- possible_duplicates), in the listing's order.
CREATE OR REPLACE FUNCTION thidua.list_records(p_caller bigint, p_campaign text, p_unit text,
                                               p_status text, p_category text, p_kind text,
                                               p_award text, p_duplicates_only boolean,
                                               p_offset integer, p_limit integer)
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
    SELECT o.id, o.campaign, o.org_unit, o.nominee_kind, o.nominee_name, o.birth_date, o.gender,
           o.position, o.workplace, o.title, o.summary, o.category, o.achieved_on,
           o.proposed_award, o.revision, o.status, o.content_hash, o.withdrawn, o.change_seq,
           o.updated_at_ms, o.decision_action, o.decision_revision, o.decision_reason,
           o.decided_at_ms, o.award_form, o.award_number, o.award_date, o.award_signer,
           o.award_issuer, o.revoked_reason, o.revoke_number, o.revoke_date, o.revoke_signer,
           o.revoke_issuer,
           array_to_string(thidua.record_duplicates(p_caller, o.id), ',')
      FROM thidua.list_page(p_caller, p_campaign, p_unit, p_status, p_category, p_kind, p_award,
                            p_duplicates_only, p_offset, p_limit) WITH ORDINALITY AS p (id, n)
     CROSS JOIN LATERAL (SELECT x.* FROM thidua.record_out x WHERE x.id = p.id OFFSET 0) o
     ORDER BY p.n
$$;

-- ---------------------------------------------------------------------------
-- The report's counts per unit and status, category and kind: sums over the
-- tally. Tables, order and names are those of 004; the awards in force are
-- still counted from thidua.award (few rows, found by record_campaign_status).
CREATE OR REPLACE FUNCTION thidua.report_counts(p_caller bigint, p_campaign text)
RETURNS TABLE (tbl text, k text, k_name text, k2 text, n bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_camp bigint;
BEGIN
    PERFORM thidua.caller_check(p_caller);
    v_camp := thidua.campaign_resolve(p_campaign);

    RETURN QUERY
        SELECT 'unit_status'::text, u.code, u.name::text, t.status, sum(t.n)::bigint
          FROM thidua.tally_within(p_caller, v_camp) t
          JOIN thidua.org_unit u ON u.id = t.org_unit_id
         GROUP BY u.id, u.code, u.name, t.status
        HAVING sum(t.n) <> 0
         ORDER BY u.code COLLATE "C", u.id,
                  array_position(ARRAY['submitted', 'returned', 'approved', 'rejected',
                                       'withdrawn', 'awarded', 'revoked'], t.status);

    RETURN QUERY
        SELECT 'category'::text, c.code, c.name::text, ''::text, sum(t.n)::bigint
          FROM thidua.tally_within(p_caller, v_camp) t
          JOIN thidua.category c ON c.id = t.category_id
         GROUP BY c.id, c.code, c.name, c.sort_order
        HAVING sum(t.n) <> 0
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
        SELECT 'kind'::text, t.nominee_kind,
               CASE t.nominee_kind WHEN 'individual' THEN 'Cá nhân'
                                   WHEN 'collective' THEN 'Tập thể'
                                   ELSE 'Hộ gia đình' END,
               ''::text, sum(t.n)::bigint
          FROM thidua.tally_within(p_caller, v_camp) t
         GROUP BY t.nominee_kind
        HAVING sum(t.n) <> 0
         ORDER BY array_position(ARRAY['individual', 'collective', 'household'], t.nominee_kind);
END
$$;
