-- 020_issuers.sql - what a decision prints that no record holds: the issuing
-- body, its place, the authority and the "Căn cứ" lines, the articles, the
-- recipients and the signer's title, per issuing unit (the province sets
-- them: `thidua issuers set`); and a decision with its awardees, as the
-- printed decision and its list show them (`thidua print decision`).
--
-- A unit with nothing stored prints the defaults below, made from its name
-- and level and the law in force on the decision's date, so that a decision
-- of 19/09/2025 by 92 prints "ỦY BAN NHÂN DÂN / THÀNH PHỐ CẦN THƠ" and
-- "Cần Thơ, ngày 19 tháng 9 năm 2025" without any setting.

CREATE TABLE thidua.issuer_settings (
    unit_id        bigint PRIMARY KEY REFERENCES thidua.org_unit (id),
    -- Only the keys of thidua.issuer_keys(), each a string or an array of strings.
    settings       jsonb NOT NULL CHECK (jsonb_typeof(settings) = 'object'),
    by_unit_id     bigint NOT NULL REFERENCES thidua.org_unit (id),
    by_cert        bytea NOT NULL CHECK (octet_length(by_cert) = 32),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- The settings a unit may have, and whether each is a list of lines. The
-- client's `issuers set` file and docs/admin-guide.md name the same keys.
CREATE FUNCTION thidua.issuer_keys()
RETURNS TABLE (key text, is_list boolean)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('parent_body', false), ('body', false), ('symbol', false), ('place', false),
           ('authority', false), ('basis', true), ('proposal', false),
           ('article_money', false), ('article_execution', false), ('recipients', true),
           ('signer_title', false)
$$;

-- The place of a unit's name: "Hậu Giang" of "Tỉnh Hậu Giang", "Cần Thơ" of
-- "Thành phố Cần Thơ", "Phụng Hiệp" of "Huyện Phụng Hiệp".
CREATE FUNCTION thidua.unit_place(p_name text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(p_name, '^(Tỉnh|Thành phố|Huyện|Thị xã|Quận|Xã|Phường|Thị trấn|Đặc khu) ', '')
$$;

-- The defaults of a unit for a decision of p_on.
CREATE FUNCTION thidua.issuer_defaults(p_unit bigint, p_on date) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'parent_body', '',
        'body', 'ỦY BAN NHÂN DÂN' || E'\n' || upper(u.name COLLATE "vi-VN-x-icu"),
        'symbol', 'QĐ-UBND',
        'place', thidua.unit_place(u.name),
        'authority', 'CHỦ TỊCH ỦY BAN NHÂN DÂN ' || upper(u.name COLLATE "vi-VN-x-icu"),
        'basis', jsonb_build_array(
            -- The law on local government in force that day: the 2015 law as amended in
            -- 2019 until 30/06/2025, the law of 16/06/2025 from 01/07/2025.
            CASE WHEN p_on < DATE '2025-07-01'
                 THEN 'Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; '
                      'Luật sửa đổi, bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ '
                      'chức chính quyền địa phương ngày 22 tháng 11 năm 2019;'
                 ELSE 'Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;'
            END,
            'Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;',
            'Căn cứ Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023 của Chính phủ quy định '
            'chi tiết thi hành một số điều của Luật Thi đua, khen thưởng;'),
        'proposal', CASE WHEN u.level = 'province'
                         THEN 'Theo đề nghị của Giám đốc Sở Nội vụ.'
                         ELSE 'Theo đề nghị của Trưởng phòng Nội vụ.' END,
        'article_money', 'Tiền thưởng kèm theo được chi theo quy định tại Nghị định số '
                         '98/2023/NĐ-CP ngày 31 tháng 12 năm 2023 của Chính phủ.',
        'article_execution', 'Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng Ủy ban '
                             'nhân dân, ' ||
                             CASE WHEN u.level = 'province' THEN 'Giám đốc Sở Nội vụ'
                                  ELSE 'Trưởng phòng Nội vụ' END ||
                             ', thủ trưởng các cơ quan, đơn vị có liên quan và các tập thể, cá '
                             'nhân có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này.',
        'recipients', jsonb_build_array('Như Điều 3;', 'Lưu: VT.'),
        'signer_title', 'CHỦ TỊCH')
      FROM thidua.org_unit u
     WHERE u.id = p_unit
$$;

-- A unit's settings for a decision of p_on: the stored ones over the defaults,
-- and whether anything is stored.
CREATE FUNCTION thidua.issuer_get(p_caller bigint, p_issuer text, p_on date)
RETURNS TABLE (code text, name text, stored boolean, parent_body text, body text, symbol text,
               place text, authority text, basis text, proposal text, article_money text,
               article_execution text, recipients text, signer_title text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_unit bigint;
    v_on   date := coalesce(p_on, current_date);
BEGIN
    PERFORM thidua.caller_check(p_caller);
    v_unit := CASE WHEN coalesce(p_issuer, '') = '' THEN p_caller
                   ELSE thidua.unit_resolve(p_issuer, v_on) END;
    IF v_unit IS NULL THEN
        RAISE EXCEPTION 'unknown issuer "%"', p_issuer USING ERRCODE = 'TD400', COLUMN = 'code';
    END IF;
    IF NOT thidua.unit_within(p_caller, v_unit) THEN
        RAISE EXCEPTION 'the issuer must be your unit, below it or a unit it succeeds'
            USING ERRCODE = 'TD403', COLUMN = 'code';
    END IF;
    RETURN QUERY
        SELECT u.code, u.name::text, s.unit_id IS NOT NULL, f.*
          FROM thidua.org_unit u
          LEFT JOIN thidua.issuer_settings s ON s.unit_id = u.id
         CROSS JOIN LATERAL thidua.issuer_fields(thidua.issuer_defaults(u.id, v_on)
                                                 || coalesce(s.settings, '{}')) f
         WHERE u.id = v_unit;
END
$$;

-- Store a unit's settings: p_settings maps each key given to its lines (a
-- JSON array of strings; a single text's lines are joined by line breaks) or
-- to null, which goes back to the default. The keys given replace the stored
-- ones. Province callers only, for a unit within their reach.
CREATE FUNCTION thidua.issuer_set(p_caller bigint, p_cert bytea, p_issuer text, p_settings jsonb)
RETURNS TABLE (code text, name text, stored boolean, parent_body text, body text, symbol text,
               place text, authority text, basis text, proposal text, article_money text,
               article_execution text, recipients text, signer_title text)
LANGUAGE plpgsql AS $$
DECLARE
    v_unit bigint;
    v_bad  text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM thidua.org_unit u WHERE u.id = p_caller AND u.level = 'province') THEN
        RAISE EXCEPTION 'only the province sets the issuers' USING ERRCODE = 'TD403';
    END IF;
    v_unit := thidua.unit_resolve(p_issuer);
    IF v_unit IS NULL THEN
        RAISE EXCEPTION 'unknown issuer "%"', p_issuer USING ERRCODE = 'TD400', COLUMN = 'code';
    END IF;
    IF NOT thidua.unit_within(p_caller, v_unit) THEN
        RAISE EXCEPTION 'the issuer must be your unit, below it or a unit it succeeds'
            USING ERRCODE = 'TD403', COLUMN = 'code';
    END IF;
    IF jsonb_typeof(p_settings) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'the settings must be an object' USING ERRCODE = 'TD400', COLUMN = 'settings';
    END IF;
    SELECT e.key INTO v_bad
      FROM jsonb_each(p_settings) e
      LEFT JOIN thidua.issuer_keys() k ON k.key = e.key
     WHERE k.key IS NULL
        OR (jsonb_typeof(e.value) <> 'null'
            AND (jsonb_typeof(e.value) <> 'array'
                 OR jsonb_array_length(e.value) = 0
                 OR EXISTS (SELECT 1 FROM jsonb_array_elements(e.value) x
                             WHERE jsonb_typeof(x) <> 'string'
                                OR char_length(x #>> '{}') > 2000)))
     LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'setting "%" is unknown, empty or too long', v_bad
            USING ERRCODE = 'TD400', COLUMN = 'settings.' || v_bad;
    END IF;
    INSERT INTO thidua.issuer_settings AS s (unit_id, settings, by_unit_id, by_cert)
    SELECT v_unit,
           coalesce(jsonb_object_agg(e.key,
                                     CASE WHEN jsonb_typeof(e.value) = 'null' THEN e.value
                                          WHEN k.is_list THEN e.value
                                          ELSE to_jsonb((SELECT string_agg(x, E'\n' ORDER BY n)
                                                           FROM jsonb_array_elements_text(e.value)
                                                                WITH ORDINALITY AS l (x, n)))
                                     END), '{}'),
           p_caller, p_cert
      FROM jsonb_each(p_settings) e
      JOIN thidua.issuer_keys() k ON k.key = e.key
    ON CONFLICT (unit_id) DO UPDATE
       SET settings = jsonb_strip_nulls(s.settings || EXCLUDED.settings),
           by_unit_id = EXCLUDED.by_unit_id, by_cert = EXCLUDED.by_cert, updated_at = now();
    -- A first setting of null keeps nothing: no stored row is better than an empty one.
    UPDATE thidua.issuer_settings s SET settings = jsonb_strip_nulls(s.settings)
     WHERE s.unit_id = v_unit;
    RETURN QUERY SELECT * FROM thidua.issuer_get(p_caller, p_issuer, current_date);
END
$$;

-- The settings as columns, lists joined by U+001F (a character no setting may hold).
CREATE FUNCTION thidua.issuer_fields(p jsonb)
RETURNS TABLE (parent_body text, body text, symbol text, place text, authority text, basis text,
               proposal text, article_money text, article_execution text, recipients text,
               signer_title text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT p->>'parent_body', p->>'body', p->>'symbol', p->>'place', p->>'authority',
           (SELECT string_agg(x, E'\x1f' ORDER BY n)
              FROM jsonb_array_elements_text(p->'basis') WITH ORDINALITY AS b (x, n)),
           p->>'proposal', p->>'article_money', p->>'article_execution',
           (SELECT string_agg(x, E'\x1f' ORDER BY n)
              FROM jsonb_array_elements_text(p->'recipients') WITH ORDINALITY AS b (x, n)),
           p->>'signer_title'
$$;

-- The award decision a caller names by number (and issuer, year when the
-- number alone is ambiguous), among the decisions of units within its reach.
CREATE FUNCTION thidua.decision_find(p_caller bigint, p_issuer text, p_year integer,
                                     p_number text)
RETURNS thidua.award_decision
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_ad   thidua.award_decision;
    v_unit bigint;
    v_n    integer;
BEGIN
    PERFORM thidua.caller_check(p_caller);
    IF coalesce(p_number, '') = '' THEN
        RAISE EXCEPTION 'name the decision''s number' USING ERRCODE = 'TD400', COLUMN = 'number';
    END IF;
    IF coalesce(p_issuer, '') <> '' THEN
        v_unit := thidua.unit_resolve(p_issuer, make_date(coalesce(p_year, 2000), 7, 1));
        IF v_unit IS NULL THEN
            RAISE EXCEPTION 'unknown issuer "%"', p_issuer USING ERRCODE = 'TD400', COLUMN = 'issuer';
        END IF;
    END IF;
    SELECT count(*) INTO v_n
      FROM thidua.award_decision ad
      JOIN thidua.org_unit_closure cl ON cl.ancestor_id = p_caller
                                     AND cl.descendant_id = ad.issuer_unit_id
     WHERE ad.number = p_number AND (v_unit IS NULL OR ad.issuer_unit_id = v_unit)
       AND (p_year IS NULL OR ad.year = p_year);
    IF v_n = 0 THEN
        RAISE EXCEPTION 'no decision % is recorded%', p_number,
                        CASE WHEN p_year IS NOT NULL THEN ' in ' || p_year ELSE '' END
            USING ERRCODE = 'TD404', COLUMN = 'number';
    END IF;
    IF v_n > 1 THEN
        RAISE EXCEPTION 'several decisions are numbered %: name the year or the issuer', p_number
            USING ERRCODE = 'TD400', COLUMN = 'number';
    END IF;
    SELECT ad.* INTO v_ad
      FROM thidua.award_decision ad
      JOIN thidua.org_unit_closure cl ON cl.ancestor_id = p_caller
                                     AND cl.descendant_id = ad.issuer_unit_id
     WHERE ad.number = p_number AND (v_unit IS NULL OR ad.issuer_unit_id = v_unit)
       AND (p_year IS NULL OR ad.year = p_year);
    RETURN v_ad;
END
$$;

-- The issuer's settings for a decision, as of its date.
CREATE FUNCTION thidua.decision_settings(p_caller bigint, p_issuer text, p_year integer,
                                         p_number text)
RETURNS TABLE (code text, name text, stored boolean, parent_body text, body text, symbol text,
               place text, authority text, basis text, proposal text, article_money text,
               article_execution text, recipients text, signer_title text)
LANGUAGE sql STABLE AS $$
    SELECT u.code, u.name::text, s.unit_id IS NOT NULL, f.*
      FROM thidua.decision_find(p_caller, p_issuer, p_year, p_number) ad
      JOIN thidua.org_unit u ON u.id = ad.issuer_unit_id
      LEFT JOIN thidua.issuer_settings s ON s.unit_id = u.id
     CROSS JOIN LATERAL thidua.issuer_fields(thidua.issuer_defaults(u.id, ad.decided_on)
                                             || coalesce(s.settings, '{}')) f
$$;

-- A decision as it is printed: the act, then its awardees in the order of
-- the list (collectives, households, then individuals; within each by unit
-- code, then by given name in Vietnamese order, then by full name). The
-- campaign is the awardees' (one act, one campaign).
CREATE FUNCTION thidua.decision_document(p_caller bigint, p_issuer text, p_year integer,
                                         p_number text)
RETURNS TABLE (issuer text, issuer_name text, number text, decided_on date, signer text,
               campaign text, campaign_name text, id uuid, form text, form_name text,
               nominee_kind text, nominee_name text, gender text, nominee_position text,
               nominee_workplace text, org_unit text, org_unit_name text, title text,
               revoked boolean)
LANGUAGE sql STABLE AS $$
    SELECT iu.code, iu.name::text, ad.number, ad.decided_on, ad.signer, c.code, c.name, r.id,
           f.code, f.name::text, r.nominee_kind, r.nominee_name::text, coalesce(r.gender, ''),
           r.position, r.workplace, u.code, u.name::text, r.title, a.revoked_at IS NOT NULL
      FROM thidua.decision_find(p_caller, p_issuer, p_year, p_number) ad
      JOIN thidua.award a ON a.award_decision_id = ad.id
      JOIN thidua.record r ON r.id = a.record_id
      JOIN thidua.campaign c ON c.id = r.campaign_id
      JOIN thidua.award_form f ON f.id = a.award_form_id
      JOIN thidua.org_unit u ON u.id = r.org_unit_id
      JOIN thidua.org_unit iu ON iu.id = ad.issuer_unit_id
     ORDER BY array_position(ARRAY['collective', 'household', 'individual'], r.nominee_kind),
              u.code COLLATE "C",
              regexp_replace(r.nominee_name, '^.* ', '') COLLATE "vi-VN-x-icu",
              r.nominee_name, r.id
$$;
