-- 013_duplicates_scope.sql - possible duplicates only among the caller's records.
--
-- ListRecords and GetRecord name, for each record, the other records of the
-- campaign that may be the same nominee (possible_duplicates). Since 004 the
-- search ran over the whole campaign, so an answer could name the ids of
-- records in units outside the caller's, which the caller may not read. The
-- search now takes the caller and keeps only records of its unit and the
-- units below it; the listing, its "duplicates only" filter and GetRecord
-- call that form, and the forms without a caller are dropped. Bodies are
-- those of 004 and 007 otherwise.

-- Ids of the other records of p_campaign within p_caller's units that may be
-- the same nominee as a record with these keys, in id order ('{}' when none).
CREATE FUNCTION thidua.record_duplicates(p_caller bigint, p_campaign bigint, p_id uuid,
                                         p_name_key text, p_loose_key text, p_birth date,
                                         p_workplace text)
RETURNS uuid[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(o.id ORDER BY o.id), '{}')
      FROM thidua.record o
     WHERE o.campaign_id = p_campaign
       AND o.id <> p_id
       AND (o.name_key = p_name_key OR o.name_loose_key = p_loose_key)
       AND (o.birth_date = p_birth
            OR (p_workplace <> '' AND o.workplace COLLATE thidua.vi_fold = p_workplace))
       AND thidua.unit_within(p_caller, o.org_unit_id)
$$;

-- The same for a stored record.
CREATE FUNCTION thidua.record_duplicates(p_caller bigint, p_id uuid)
RETURNS uuid[]
LANGUAGE sql STABLE AS $$
    SELECT thidua.record_duplicates(p_caller, r.campaign_id, r.id, r.name_key, r.name_loose_key,
                                    r.birth_date, r.workplace)
      FROM thidua.record r
     WHERE r.id = p_id
$$;

CREATE OR REPLACE FUNCTION thidua.list_match(p_caller bigint, p_campaign text, p_unit text, p_status text,
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
                OR cardinality(thidua.record_duplicates(p_caller, r.campaign_id, r.id,
                                                        r.name_key, r.name_loose_key,
                                                        r.birth_date, r.workplace)) > 0);
END
$$;

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
           array_to_string(thidua.record_duplicates(p_caller, o.id), ',')
      FROM page p
     CROSS JOIN LATERAL (SELECT x.* FROM thidua.record_out x WHERE x.id = p.id OFFSET 0) o
     ORDER BY p.n
$$;

CREATE OR REPLACE FUNCTION thidua.record_get(p_caller bigint, p_id uuid)
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
           array_to_string(thidua.record_duplicates(p_caller, o.id), ','),
           thidua.unit_within(p_caller, o.org_unit_id)
      FROM thidua.record_out o
     WHERE o.id = p_id
$$;

DROP FUNCTION thidua.record_duplicates(uuid);
DROP FUNCTION thidua.record_duplicates(bigint, uuid, text, text, date, text);
