-- 019_campaigns.sql - campaigns as data: the province creates a campaign,
-- with its categories and award forms, through thiduad (CampaignCreate)
-- instead of a migration.
--
-- campaign_create takes the campaign as one JSON object with the field names
-- of thidua.v1.Campaign, checks all of it and stores it in the caller's
-- transaction, so a campaign is there whole or not at all. The same file sent
-- again is answered 'unchanged' (the province may run the command twice);
-- other content under a code already taken is a conflict. Who created it (the
-- unit and the certificate) and when is kept on the campaign row, as history
-- rows keep who pushed a revision. A campaign that came with a migration (the
-- seed) has none of the three.
--
-- Errors name the request's field in COLUMN_NAME, as the other functions do:
--   TD400 invalid argument   TD403 permission denied   TD409 conflict

ALTER TABLE thidua.campaign
    ADD COLUMN created_by_unit_id bigint REFERENCES thidua.org_unit (id),
    ADD COLUMN created_by_cert    bytea CHECK (octet_length(created_by_cert) = 32),
    ADD COLUMN created_at         timestamptz,
    ADD CHECK ((created_by_unit_id IS NULL) = (created_at IS NULL));

-- A campaign as campaign_create compares it: what the request can say, in
-- the order it is said (categories and forms by sort_order, the kinds in
-- their canonical order). Two campaigns with equal values say the same.
CREATE FUNCTION thidua.campaign_content(p_campaign bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
               'code', c.code, 'name', c.name, 'organiser', c.organiser,
               'organiser_unit_id', c.organiser_unit_id, 'slogan', c.slogan,
               'starts_on', c.starts_on, 'ends_on', c.ends_on,
               'categories',
               coalesce((SELECT jsonb_agg(jsonb_build_array(k.code, k.name::text)
                                          ORDER BY k.sort_order, k.code)
                           FROM thidua.category k WHERE k.campaign_id = c.id), '[]'),
               'award_forms',
               coalesce((SELECT jsonb_agg(jsonb_build_array(f.code, f.name::text, f.conferred_by,
                                                            to_jsonb(f.allowed_kinds))
                                          ORDER BY f.sort_order, f.code)
                           FROM thidua.award_form f WHERE f.campaign_id = c.id), '[]'))
      FROM thidua.campaign c
     WHERE c.id = p_campaign
$$;

-- The kinds of a form's nominee_kinds, in their canonical order; NULL when
-- one is unknown or the list is empty.
CREATE FUNCTION thidua.campaign_kinds(p jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN jsonb_typeof(p) IS DISTINCT FROM 'array' OR jsonb_array_length(p) = 0 THEN NULL
        WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(p) e
                      WHERE jsonb_typeof(e) <> 'string'
                         OR e #>> '{}' NOT IN ('individual', 'collective', 'household')) THEN NULL
        ELSE ARRAY(SELECT k FROM unnest(ARRAY['individual', 'collective', 'household'])
                                 WITH ORDINALITY AS u (k, o)
                    WHERE p ? k ORDER BY o)
    END
$$;

-- A text field of p_json: trimmed by thiduad already, checked here again.
-- Raises TD400 naming p_field when it is missing and required, too long or
-- not text.
CREATE FUNCTION thidua.campaign_text(p_json jsonb, p_key text, p_field text, p_max integer,
                                     p_required boolean)
RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v    text;
    v_pb text;
BEGIN
    IF p_json ? p_key AND jsonb_typeof(p_json -> p_key) <> 'string' THEN
        RAISE EXCEPTION '% must be text', p_field USING ERRCODE = 'TD400', COLUMN = p_field;
    END IF;
    v := coalesce(p_json ->> p_key, '');
    v_pb := thidua.text_problem(v, p_max, p_required, false);
    IF v_pb IS NOT NULL THEN
        RAISE EXCEPTION '% %', p_field, v_pb USING ERRCODE = 'TD400', COLUMN = p_field;
    END IF;
    RETURN v;
END
$$;

-- A date of the campaign (starts_on, ends_on); TD400 naming it when it is none.
CREATE FUNCTION thidua.campaign_date(p_json jsonb, p_key text) RETURNS date
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_text text := thidua.campaign_text(p_json, p_key, 'campaign.' || p_key, 10, true);
    v_date date := thidua.parse_date(v_text);
BEGIN
    IF v_date IS NULL THEN
        RAISE EXCEPTION 'campaign.% "%" is not a date (YYYY-MM-DD)', p_key, v_text
            USING ERRCODE = 'TD400', COLUMN = 'campaign.' || p_key;
    END IF;
    RETURN v_date;
END
$$;

-- The categories or the award forms of p_json (p_key), in order, each with
-- its field name ('campaign.categories[0]') and its code, checked as the
-- CHECKs of 001_init.sql have it. Raises TD400 for none at all, an element
-- that is no object, a malformed code, or a code given twice.
CREATE FUNCTION thidua.campaign_items(p_json jsonb, p_key text, p_what text)
RETURNS TABLE (field text, item jsonb, code text)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_seen text[] := '{}';
    i      integer;
BEGIN
    IF jsonb_typeof(p_json -> p_key) IS DISTINCT FROM 'array'
       OR jsonb_array_length(p_json -> p_key) = 0 THEN
        RAISE EXCEPTION 'a campaign needs at least one %', p_what
            USING ERRCODE = 'TD400', COLUMN = 'campaign.' || p_key;
    END IF;
    FOR i IN 0 .. jsonb_array_length(p_json -> p_key) - 1 LOOP
        item := p_json -> p_key -> i;
        field := format('campaign.%s[%s]', p_key, i);
        IF jsonb_typeof(item) IS DISTINCT FROM 'object' THEN
            RAISE EXCEPTION '% must be an object', field USING ERRCODE = 'TD400', COLUMN = field;
        END IF;
        code := thidua.campaign_text(item, 'code', field || '.code', 32, true);
        IF code !~ '^[A-Z0-9_]{1,32}$' THEN
            RAISE EXCEPTION '%.code "%" must be capital letters, digits and _ (at most 32)', field,
                code USING ERRCODE = 'TD400', COLUMN = field || '.code';
        END IF;
        IF code = ANY (v_seen) THEN
            RAISE EXCEPTION '% % is given twice', p_what, code
                USING ERRCODE = 'TD400', COLUMN = field || '.code';
        END IF;
        v_seen := v_seen || code;
        RETURN NEXT;
    END LOOP;
END
$$;

-- campaign_create(caller, fingerprint, campaign, dry_run) -> 'created' or
-- 'unchanged'. p_json is the campaign with the field names of
-- thidua.v1.Campaign (organiser_unit: the organising unit's code; organiser:
-- the issuing body, the unit's name when empty). With p_dry_run everything is
-- checked, the comparison with a stored campaign included, and nothing is
-- stored. Raises:
--   TD403 when the caller is not a province-level unit that is the organiser
--         or above it (field campaign.organiser_unit);
--   TD400 naming the field: a malformed code or text, an unknown organiser
--         unit, a date that is not one or an end before the start, no
--         category, no award form, a code given twice, a form's unknown
--         level or nominee kind;
--   TD409 (campaign.code) when the code is taken by a campaign with other
--         content.
CREATE FUNCTION thidua.campaign_create(p_caller bigint, p_cert bytea, p_json jsonb,
                                       p_dry_run boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_code   text;
    v_name   text;
    v_org    text;
    v_unit   bigint;
    v_level  text;
    v_slogan text;
    v_start  date;
    v_end    date;
    v_cats   jsonb := '[]';
    v_forms  jsonb := '[]';
    v_it     record;
    v_kinds  text[];
    v_conf   text;
    v_id     bigint;
    v_text   text;
BEGIN
    PERFORM thidua.caller_check(p_caller);
    SELECT u.level INTO v_level FROM thidua.org_unit u WHERE u.id = p_caller;
    -- The history's rule: who made it is a unit and a SHA-256 fingerprint.
    IF octet_length(p_cert) IS DISTINCT FROM 32 THEN
        RAISE EXCEPTION 'the certificate fingerprint must be 32 bytes' USING ERRCODE = 'TD400',
            COLUMN = 'fingerprint';
    END IF;
    IF jsonb_typeof(p_json) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'campaign must be a JSON object' USING ERRCODE = 'TD400', COLUMN = 'campaign';
    END IF;

    v_code := thidua.campaign_text(p_json, 'code', 'campaign.code', 32, true);
    IF v_code !~ '^[0-9A-Za-z_.-]{1,32}$' THEN
        RAISE EXCEPTION 'campaign.code "%" must be letters, digits, ".", "_" and "-" (at most 32)',
            v_code USING ERRCODE = 'TD400', COLUMN = 'campaign.code';
    END IF;
    v_name := thidua.campaign_text(p_json, 'name', 'campaign.name', 500, true);
    v_slogan := thidua.campaign_text(p_json, 'slogan', 'campaign.slogan', 1000, false);

    v_start := thidua.campaign_date(p_json, 'starts_on');
    v_end := thidua.campaign_date(p_json, 'ends_on');
    IF v_end < v_start THEN
        RAISE EXCEPTION 'campaign.ends_on % is before campaign.starts_on %', v_end, v_start
            USING ERRCODE = 'TD400', COLUMN = 'campaign.ends_on';
    END IF;

    -- The organiser as it is on the campaign's first day (a unit may have
    -- been given its code later, or lost it since).
    v_text := thidua.campaign_text(p_json, 'organiser_unit', 'campaign.organiser_unit', 64, true);
    v_unit := thidua.unit_resolve(v_text, v_start);
    IF v_unit IS NULL THEN
        RAISE EXCEPTION 'campaign.organiser_unit: unknown org unit "%"', v_text
            USING ERRCODE = 'TD400', COLUMN = 'campaign.organiser_unit';
    END IF;
    IF v_level <> 'province' OR NOT thidua.unit_within(p_caller, v_unit) THEN
        RAISE EXCEPTION 'only a province-level unit that is the organiser % or above it may create '
                        'this campaign', v_text
            USING ERRCODE = 'TD403', COLUMN = 'campaign.organiser_unit';
    END IF;
    v_org := thidua.campaign_text(p_json, 'organiser', 'campaign.organiser', 200, false);
    IF v_org = '' THEN
        SELECT u.name INTO v_org FROM thidua.org_unit u WHERE u.id = v_unit;
    END IF;

    FOR v_it IN SELECT * FROM thidua.campaign_items(p_json, 'categories', 'category') LOOP
        v_cats := v_cats || jsonb_build_array(jsonb_build_array(
                      v_it.code, thidua.campaign_text(v_it.item, 'name', v_it.field || '.name', 300,
                                                      true)));
    END LOOP;
    FOR v_it IN SELECT * FROM thidua.campaign_items(p_json, 'award_forms', 'award form') LOOP
        v_conf := thidua.campaign_text(v_it.item, 'conferred_by', v_it.field || '.conferred_by', 32,
                                       true);
        IF v_conf NOT IN ('province', 'department', 'district', 'commune') THEN
            RAISE EXCEPTION 'award form %: conferred_by "%" must be province, department, district '
                            'or commune', v_it.code, v_conf
                USING ERRCODE = 'TD400', COLUMN = v_it.field || '.conferred_by';
        END IF;
        v_kinds := thidua.campaign_kinds(v_it.item -> 'nominee_kinds');
        IF v_kinds IS NULL THEN
            RAISE EXCEPTION 'award form %: nominee_kinds must be one or more of individual, '
                            'collective, household', v_it.code
                USING ERRCODE = 'TD400', COLUMN = v_it.field || '.nominee_kinds';
        END IF;
        v_forms := v_forms || jsonb_build_array(jsonb_build_array(
                       v_it.code, thidua.campaign_text(v_it.item, 'name', v_it.field || '.name', 300,
                                                       true),
                       v_conf, to_jsonb(v_kinds)));
    END LOOP;

    -- Taken already: the same content is a retry, other content a conflict.
    SELECT c.id INTO v_id FROM thidua.campaign c WHERE c.code = v_code FOR UPDATE;
    IF v_id IS NOT NULL THEN
        IF thidua.campaign_content(v_id) = jsonb_build_object(
               'code', v_code, 'name', v_name, 'organiser', v_org, 'organiser_unit_id', v_unit,
               'slogan', v_slogan, 'starts_on', v_start, 'ends_on', v_end,
               'categories', v_cats, 'award_forms', v_forms) THEN
            RETURN 'unchanged';
        END IF;
        RAISE EXCEPTION 'campaign % exists already with other content', v_code
            USING ERRCODE = 'TD409', COLUMN = 'campaign.code';
    END IF;
    IF p_dry_run THEN
        RETURN 'created';
    END IF;

    -- Two creators of one new code: the unique key makes the second wait for
    -- the first and then fail; its retry is answered as above.
    BEGIN
        INSERT INTO thidua.campaign (code, name, organiser, organiser_unit_id, slogan, starts_on,
                                     ends_on, created_by_unit_id, created_by_cert, created_at)
        VALUES (v_code, v_name, v_org, v_unit, v_slogan, v_start, v_end, p_caller, p_cert, now())
        RETURNING id INTO v_id;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'campaign % was created meanwhile by another request; send this one again',
            v_code USING ERRCODE = 'TD409', COLUMN = 'campaign.code';
    END;
    INSERT INTO thidua.category (campaign_id, code, name, sort_order)
    SELECT v_id, e ->> 0, e ->> 1, o::integer
      FROM jsonb_array_elements(v_cats) WITH ORDINALITY AS t (e, o);
    INSERT INTO thidua.award_form (campaign_id, code, name, conferred_by, allowed_kinds, sort_order)
    SELECT v_id, e ->> 0, e ->> 1, e ->> 2, ARRAY(SELECT jsonb_array_elements_text(e -> 3)),
           o::integer
      FROM jsonb_array_elements(v_forms) WITH ORDINALITY AS t (e, o);
    RETURN 'created';
END
$$;

-- campaign_list(caller, code) -> one row per campaign (the one with that
-- code when code is not empty), the newest first: what CampaignListResponse
-- says of each, with its records among the caller's units (from the tally of
-- 016_list_tally.sql, so the cost is the tally's rows, not the records).
CREATE FUNCTION thidua.campaign_list(p_caller bigint, p_code text)
RETURNS TABLE (code text, name text, organiser text, organiser_unit text,
               organiser_unit_name text, starts_on text, ends_on text, records bigint,
               created_by_unit text, created_by_fingerprint text, created_at_ms bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM thidua.caller_check(p_caller);
    RETURN QUERY
        SELECT c.code, c.name, c.organiser, coalesce(o.code, ''), coalesce(o.name::text, ''),
               to_char(c.starts_on, 'YYYY-MM-DD'), to_char(c.ends_on, 'YYYY-MM-DD'),
               coalesce((SELECT sum(t.n)
                           FROM thidua.record_tally t
                           JOIN thidua.org_unit_closure cl ON cl.ancestor_id = p_caller
                                                          AND cl.descendant_id = t.org_unit_id
                          WHERE t.campaign_id = c.id), 0)::bigint,
               coalesce(b.code, ''), coalesce(encode(c.created_by_cert, 'hex'), ''),
               coalesce(thidua.epoch_ms(c.created_at), 0)
          FROM thidua.campaign c
          LEFT JOIN thidua.org_unit o ON o.id = c.organiser_unit_id
          LEFT JOIN thidua.org_unit b ON b.id = c.created_by_unit_id
         WHERE coalesce(p_code, '') = '' OR c.code = p_code
         ORDER BY c.starts_on DESC, c.id DESC;
END
$$;
