-- 018_reform.sql - units that change: the reorganisation as data, and what
-- succession means for records, sessions and decisions.
--
-- On 1 July 2025 Hậu Giang (93) and its district-level units (930-937)
-- closed and Thành phố Cần Thơ (92) took over their work. The schema of 001
-- already closes units and links successors; this migration gives the links
-- their meaning and the province a way to record a reform itself:
--
--  * Succession is reach: a unit sees (pulls, reviews, reports, edits where
--    the rules allow) the records of every unit below it and of every unit it
--    succeeds, recursively. org_unit_closure holds that relation whole: the
--    rows of the hierarchy (depth >= 0) and the rows inherited through
--    org_unit_successor (depth NULL), so every reader of the closure sees the
--    successor's rights with no change, and a reader that wants the
--    hierarchy alone (a certificate's "93-934" form) asks for depth > 0.
--  * thidua.units_reorganise applies a reform file (docs/admin-guide.md):
--    closes units, adds units, links successors, all or nothing, each change
--    logged with who and when in org_unit_change. Applying the same file
--    again changes nothing.
--  * A closed unit makes no new record (push answers REJECTED naming its
--    successor); its existing records may still take revisions, by its own
--    office within the grace period thiduad allows and by its successor.
--  * The issuer of a decision is the unit in force on the decision's date:
--    the caller's own unit, or the unit it succeeds or is succeeded by.

ALTER TABLE thidua.org_unit_closure ALTER COLUMN depth DROP NOT NULL;
COMMENT ON COLUMN thidua.org_unit_closure.depth IS
    'levels from ancestor to descendant; NULL for a pair inherited through succession';

-- The legal text a unit was established by (the reform's resolution).
ALTER TABLE thidua.org_unit
    ADD COLUMN basis text NOT NULL DEFAULT '' CHECK (char_length(basis) <= 500);

-- A successor link adds every pair it opens to the closure: whoever reaches
-- the successor (the successor itself, the units above it, its own
-- successors) reaches the predecessor and all it reaches. Links and units are
-- only ever added, so pairs are only ever added too.
CREATE FUNCTION thidua.org_unit_successor_reach() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO thidua.org_unit_closure (ancestor_id, descendant_id, depth)
    SELECT a.ancestor_id, d.descendant_id, NULL
      FROM thidua.org_unit_closure a
     CROSS JOIN thidua.org_unit_closure d
     WHERE a.descendant_id = NEW.successor_id AND d.ancestor_id = NEW.predecessor_id
    ON CONFLICT (ancestor_id, descendant_id) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER org_unit_successor_reach AFTER INSERT ON thidua.org_unit_successor
    FOR EACH ROW EXECUTE FUNCTION thidua.org_unit_successor_reach();
CREATE TRIGGER org_unit_successor_append_only BEFORE UPDATE OR DELETE ON thidua.org_unit_successor
    FOR EACH ROW EXECUTE FUNCTION thidua.append_only();

-- Links recorded before this migration (by hand, as docs/schema.md said).
INSERT INTO thidua.org_unit_closure (ancestor_id, descendant_id, depth)
WITH RECURSIVE reach (ancestor_id, descendant_id) AS (
    SELECT c.ancestor_id, c.descendant_id FROM thidua.org_unit_closure c
    UNION
    SELECT r.ancestor_id, c.descendant_id
      FROM reach r
      JOIN thidua.org_unit_successor s ON s.successor_id = r.descendant_id
      JOIN thidua.org_unit_closure c ON c.ancestor_id = s.predecessor_id
)
SELECT r.ancestor_id, r.descendant_id, NULL FROM reach r
ON CONFLICT (ancestor_id, descendant_id) DO NOTHING;

-- Who changed the units, when, and by what text. Append-only.
CREATE TABLE thidua.org_unit_change (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id    bigint NOT NULL REFERENCES thidua.org_unit (id),
    action     text NOT NULL CHECK (action IN ('add', 'close', 'succeed')),
    -- 'close': the last day; 'succeed': the predecessor's code.
    detail     text NOT NULL DEFAULT '',
    basis      text NOT NULL DEFAULT '',
    by_unit_id bigint NOT NULL REFERENCES thidua.org_unit (id),
    by_cert    bytea NOT NULL CHECK (octet_length(by_cert) = 32),
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX org_unit_change_unit ON thidua.org_unit_change (unit_id, id);
CREATE TRIGGER org_unit_change_append_only BEFORE UPDATE OR DELETE ON thidua.org_unit_change
    FOR EACH ROW EXECUTE FUNCTION thidua.append_only();

-- Is the unit in force on that day?
CREATE FUNCTION thidua.unit_in_force(p_unit bigint, p_on date) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM thidua.org_unit u
                    WHERE u.id = p_unit AND u.valid_from <= p_on
                      AND (u.valid_to IS NULL OR p_on < u.valid_to))
$$;

-- The units that carry on a closed unit's work today: its successors,
-- followed while they are closed too, as "92 Thành phố Cần Thơ" joined by
-- ", ". Empty for a unit in force or one nobody succeeded.
CREATE FUNCTION thidua.unit_successors_text(p_unit bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE s (id, depth) AS (
        SELECT l.successor_id, 1 FROM thidua.org_unit_successor l WHERE l.predecessor_id = p_unit
        UNION
        SELECT l.successor_id, s.depth + 1
          FROM s
          JOIN thidua.org_unit_successor l ON l.predecessor_id = s.id
         WHERE NOT thidua.unit_in_force(s.id, current_date) AND s.depth < 32
    )
    SELECT coalesce(string_agg(DISTINCT u.code || ' ' || u.name, ', '), '')
      FROM s JOIN thidua.org_unit u ON u.id = s.id
     WHERE thidua.unit_in_force(u.id, current_date)
        OR NOT EXISTS (SELECT 1 FROM thidua.org_unit_successor l WHERE l.predecessor_id = u.id)
$$;

-- ---------------------------------------------------------------------------
-- The units of a day (p_on), or every unit ever (NULL), with their links.
-- valid_to is the last day the unit exists (the column keeps the first day
-- it no longer does).
CREATE FUNCTION thidua.units_list(p_on date)
RETURNS TABLE (code text, name text, level text, unit_type text, parent text,
               valid_from date, valid_to date, predecessors text, successors text, basis text)
LANGUAGE sql STABLE AS $$
    SELECT u.code, u.name::text, u.level, u.unit_type, coalesce(p.code, ''),
           u.valid_from, u.valid_to - 1,
           coalesce((SELECT string_agg(pu.code, ';' ORDER BY pu.code COLLATE "C")
                       FROM thidua.org_unit_successor l
                       JOIN thidua.org_unit pu ON pu.id = l.predecessor_id
                      WHERE l.successor_id = u.id), ''),
           coalesce((SELECT string_agg(su.code, ';' ORDER BY su.code COLLATE "C")
                       FROM thidua.org_unit_successor l
                       JOIN thidua.org_unit su ON su.id = l.successor_id
                      WHERE l.predecessor_id = u.id), ''),
           u.basis
      FROM thidua.org_unit u
      LEFT JOIN thidua.org_unit p ON p.id = u.parent_id
     WHERE p_on IS NULL
        OR (u.valid_from <= p_on AND (u.valid_to IS NULL OR p_on < u.valid_to))
     ORDER BY u.code COLLATE "C", u.valid_from
$$;

-- One line of a reorganisation's answer: what it did (or would do), or a
-- problem. action: 'add', 'close', 'succeed', 'unchanged', 'problem'. A
-- problem names the field and says which (problem is a key the client words
-- in the officer's language; detail holds its argument).
CREATE TYPE thidua.reorg_line AS (
    line    integer,
    code    text,
    name    text,
    action  text,
    field   text,
    problem text,
    detail  text
);

-- Apply a reorganisation: p_rows is a JSON array of objects with the keys
-- of the file's header (line, code, name, level, unit_type, parent,
-- valid_from, valid_to, predecessors as an array of codes, basis); dates
-- are ISO. All or nothing: any problem and nothing changes; with p_apply
-- false nothing changes either (the dry run), and the answer says what
-- would. Rows are taken in two passes, units first (in the file's order, so
-- that a parent comes before its children), then the successor links, so
-- that a link may name a unit the same file closes.
CREATE FUNCTION thidua.units_reorganise(p_caller bigint, p_cert bytea, p_rows jsonb,
                                        p_apply boolean)
RETURNS SETOF thidua.reorg_line
LANGUAGE plpgsql AS $$
DECLARE
    v_out     thidua.reorg_line[] := '{}';
    v_row     record;
    v_unit    thidua.org_unit;
    v_parent  bigint;
    v_pred    thidua.org_unit;
    v_from    date;
    v_to      date;
    v_bad     boolean;
    v_nbad    integer := 0;
    v_code    text;
BEGIN
    IF p_caller IS NULL OR NOT EXISTS (SELECT 1 FROM thidua.org_unit u
                                        WHERE u.id = p_caller AND u.level = 'province') THEN
        RAISE EXCEPTION 'only the province reorganises units' USING ERRCODE = 'TD403';
    END IF;
    IF p_cert IS NULL OR octet_length(p_cert) <> 32 THEN
        RAISE EXCEPTION 'the certificate fingerprint must be 32 bytes (SHA-256)'
            USING ERRCODE = 'TD400', COLUMN = 'fingerprint';
    END IF;
    IF jsonb_typeof(p_rows) IS DISTINCT FROM 'array' OR jsonb_array_length(p_rows) = 0 THEN
        RAISE EXCEPTION 'the reorganisation has no rows' USING ERRCODE = 'TD400', COLUMN = 'rows';
    END IF;
    -- One reorganisation at a time: the second sees the first's units.
    LOCK TABLE thidua.org_unit IN SHARE ROW EXCLUSIVE MODE;

    BEGIN
        -- Pass 1: the units.
        FOR v_row IN
            SELECT coalesce((x.elem->>'line')::integer, x.ord::integer) AS line,
                   coalesce(x.elem->>'code', '') AS code, coalesce(x.elem->>'name', '') AS name,
                   coalesce(x.elem->>'level', '') AS level,
                   coalesce(x.elem->>'unit_type', '') AS unit_type,
                   coalesce(x.elem->>'parent', '') AS parent,
                   coalesce(x.elem->>'valid_from', '') AS valid_from,
                   coalesce(x.elem->>'valid_to', '') AS valid_to,
                   coalesce(x.elem->>'basis', '') AS basis
              FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS x (elem, ord)
             ORDER BY x.ord
        LOOP
            v_bad := true;
            v_from := thidua.parse_date(v_row.valid_from);
            v_to := thidua.parse_date(nullif(v_row.valid_to, ''));
            IF v_row.code !~ '^[0-9A-Za-z_.-]{1,32}$' THEN
                v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'problem', 'code',
                                      'code_invalid', v_row.code)::thidua.reorg_line;
            ELSIF v_from IS NULL THEN
                v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'problem', 'valid_from',
                                      'date_invalid', v_row.valid_from)::thidua.reorg_line;
            ELSIF v_row.valid_to <> '' AND v_to IS NULL THEN
                v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'problem', 'valid_to',
                                      'date_invalid', v_row.valid_to)::thidua.reorg_line;
            ELSIF v_to < v_from THEN
                v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'problem', 'valid_to',
                                      'ends_before_start', v_row.valid_to)::thidua.reorg_line;
            ELSIF v_row.level NOT IN ('nation', 'province', 'department', 'district', 'commune') THEN
                v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'problem', 'level',
                                      'level_invalid', v_row.level)::thidua.reorg_line;
            ELSIF thidua.text_problem(v_row.name, 200, true, false) IS NOT NULL THEN
                v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'problem', 'name',
                                      'text_invalid',
                                      thidua.text_problem(v_row.name, 200, true, false))::thidua.reorg_line;
            ELSIF thidua.text_problem(v_row.unit_type, 40, false, false) IS NOT NULL THEN
                v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'problem', 'unit_type',
                                      'text_invalid',
                                      thidua.text_problem(v_row.unit_type, 40, false, false))::thidua.reorg_line;
            ELSIF thidua.text_problem(v_row.basis, 500, false, false) IS NOT NULL THEN
                v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'problem', 'basis',
                                      'text_invalid',
                                      thidua.text_problem(v_row.basis, 500, false, false))::thidua.reorg_line;
            ELSE
                v_bad := false;
            END IF;
            IF v_bad THEN
                v_nbad := v_nbad + 1;
                CONTINUE;
            END IF;

            SELECT u.* INTO v_unit FROM thidua.org_unit u
             WHERE u.code = v_row.code AND u.valid_from = v_from;
            IF FOUND THEN
                -- A stored unit: the row may only close it.
                IF v_unit.name <> v_row.name OR v_unit.level <> v_row.level THEN
                    v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'problem',
                                          CASE WHEN v_unit.name <> v_row.name THEN 'name'
                                               ELSE 'level' END,
                                          'differs_from_stored',
                                          CASE WHEN v_unit.name <> v_row.name THEN v_unit.name
                                               ELSE v_unit.level END)::thidua.reorg_line;
                    v_nbad := v_nbad + 1;
                ELSIF v_to IS NOT NULL AND v_unit.valid_to IS NULL THEN
                    UPDATE thidua.org_unit SET valid_to = v_to + 1 WHERE id = v_unit.id;
                    INSERT INTO thidua.org_unit_change (unit_id, action, detail, basis, by_unit_id,
                                                        by_cert)
                    VALUES (v_unit.id, 'close', to_char(v_to, 'YYYY-MM-DD'), v_row.basis, p_caller,
                            p_cert);
                    v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'close', 'valid_to',
                                          NULL, to_char(v_to, 'YYYY-MM-DD'))::thidua.reorg_line;
                ELSIF v_unit.valid_to IS NOT DISTINCT FROM v_to + 1 THEN
                    v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'unchanged', NULL,
                                          NULL, NULL)::thidua.reorg_line;
                ELSE
                    v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'problem',
                                          'valid_to', 'closed_otherwise',
                                          to_char(v_unit.valid_to - 1, 'YYYY-MM-DD'))::thidua.reorg_line;
                    v_nbad := v_nbad + 1;
                END IF;
                CONTINUE;
            END IF;

            -- A new unit: its parent is the unit of that code in force on its first day.
            v_parent := NULL;
            IF v_row.parent <> '' THEN
                SELECT u.id INTO v_parent FROM thidua.org_unit u
                 WHERE u.code = v_row.parent AND thidua.unit_in_force(u.id, v_from);
                IF v_parent IS NULL THEN
                    v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'problem', 'parent',
                                          'parent_unknown', v_row.parent)::thidua.reorg_line;
                    v_nbad := v_nbad + 1;
                    CONTINUE;
                END IF;
            END IF;
            SELECT u.* INTO v_unit FROM thidua.org_unit u
             WHERE u.code = v_row.code
               AND daterange(u.valid_from, u.valid_to) && daterange(v_from, v_to + 1)
             LIMIT 1;
            IF FOUND THEN
                v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'problem', 'code',
                                      'code_taken', v_unit.name)::thidua.reorg_line;
                v_nbad := v_nbad + 1;
                CONTINUE;
            END IF;
            INSERT INTO thidua.org_unit (code, name, level, unit_type, parent_id, valid_from,
                                         valid_to, basis)
            VALUES (v_row.code, v_row.name, v_row.level, v_row.unit_type, v_parent, v_from,
                    v_to + 1, v_row.basis)
            RETURNING * INTO v_unit;
            INSERT INTO thidua.org_unit_change (unit_id, action, detail, basis, by_unit_id, by_cert)
            VALUES (v_unit.id, 'add', '', v_row.basis, p_caller, p_cert);
            v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'add', NULL, NULL,
                                  to_char(v_from, 'YYYY-MM-DD'))::thidua.reorg_line;
        END LOOP;

        -- Pass 2: the links. A predecessor is the unit of that code in force
        -- the day before its successor's first day, and closed by then.
        FOR v_row IN
            SELECT coalesce((x.elem->>'line')::integer, x.ord::integer) AS line,
                   x.elem->>'code' AS code, x.elem->>'name' AS name,
                   thidua.parse_date(x.elem->>'valid_from') AS valid_from,
                   coalesce(x.elem->>'basis', '') AS basis, p.code AS pred
              FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS x (elem, ord)
             CROSS JOIN LATERAL jsonb_array_elements_text(
                   CASE WHEN jsonb_typeof(x.elem->'predecessors') = 'array'
                        THEN x.elem->'predecessors' ELSE '[]' END) AS p (code)
             WHERE v_nbad = 0
             ORDER BY x.ord
        LOOP
            SELECT u.* INTO v_unit FROM thidua.org_unit u
             WHERE u.code = v_row.code AND u.valid_from = v_row.valid_from;
            SELECT u.* INTO v_pred FROM thidua.org_unit u
             WHERE u.code = v_row.pred AND thidua.unit_in_force(u.id, v_row.valid_from - 1);
            IF NOT FOUND THEN
                v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'problem',
                                      'predecessors', 'predecessor_unknown',
                                      v_row.pred)::thidua.reorg_line;
                v_nbad := v_nbad + 1;
            ELSIF thidua.unit_in_force(v_pred.id, v_row.valid_from) THEN
                v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'problem',
                                      'predecessors', 'predecessor_open',
                                      v_row.pred)::thidua.reorg_line;
                v_nbad := v_nbad + 1;
            ELSIF v_pred.id = v_unit.id THEN
                v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'problem',
                                      'predecessors', 'predecessor_self',
                                      v_row.pred)::thidua.reorg_line;
                v_nbad := v_nbad + 1;
            ELSIF EXISTS (SELECT 1 FROM thidua.org_unit_successor l
                           WHERE l.predecessor_id = v_pred.id AND l.successor_id = v_unit.id) THEN
                v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'unchanged',
                                      'predecessors', NULL, v_row.pred)::thidua.reorg_line;
            ELSE
                INSERT INTO thidua.org_unit_successor (predecessor_id, successor_id, effective_on,
                                                       note)
                VALUES (v_pred.id, v_unit.id, v_row.valid_from, v_row.basis);
                INSERT INTO thidua.org_unit_change (unit_id, action, detail, basis, by_unit_id,
                                                    by_cert)
                VALUES (v_unit.id, 'succeed', v_row.pred, v_row.basis, p_caller, p_cert);
                v_out := v_out || ROW(v_row.line, v_row.code, v_row.name, 'succeed',
                                      'predecessors', NULL, v_row.pred)::thidua.reorg_line;
            END IF;
        END LOOP;

        IF v_nbad > 0 OR NOT p_apply THEN
            -- Undo this block's changes; v_out survives (variables are not transactional).
            RAISE EXCEPTION 'reorganisation not applied' USING ERRCODE = 'TD902';
        END IF;
    EXCEPTION WHEN SQLSTATE 'TD902' THEN
        NULL;
    END;
    RETURN QUERY
        SELECT o.line, o.code, o.name, o.action, o.field, o.problem, o.detail
          FROM unnest(v_out) WITH ORDINALITY AS o (line, code, name, action, field, problem,
                                                   detail, n)
         ORDER BY o.line, o.n;
END
$$;

-- ---------------------------------------------------------------------------
-- The issuer of a decision is the unit in force on the decision's date. By
-- default the caller's unit, or, for a date before the caller existed, the
-- unit of the caller's level that it succeeds (92 recording a decision that
-- 93 signed in June 2025). A named issuer must be in force that day and
-- within the caller's reach. The rest is 003's.
CREATE OR REPLACE FUNCTION thidua.award_decision_get(p_caller bigint, p_cert bytea, p_issuer text,
                                                     p_number text, p_date text, p_signer text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_issuer bigint;
    v_date   date := thidua.parse_date(p_date);
    v_prob   text;
    v_row    thidua.award_decision;
    v_unit   thidua.org_unit;
BEGIN
    IF v_date IS NULL OR v_date < DATE '1945-01-01' THEN
        RAISE EXCEPTION 'decision date must be a date written YYYY-MM-DD'
            USING ERRCODE = 'TD400', COLUMN = 'decision.date';
    END IF;
    IF coalesce(p_issuer, '') = '' THEN
        SELECT u.id INTO v_issuer
          FROM thidua.org_unit_closure cl
          JOIN thidua.org_unit u ON u.id = cl.descendant_id
          JOIN thidua.org_unit me ON me.id = p_caller
         WHERE cl.ancestor_id = p_caller AND (cl.depth = 0 OR cl.depth IS NULL)
           AND u.level = me.level AND thidua.unit_in_force(u.id, v_date)
         ORDER BY cl.depth NULLS LAST, u.valid_from DESC
         LIMIT 1;
        IF v_issuer IS NULL THEN
            SELECT u.* INTO v_unit FROM thidua.org_unit u WHERE u.id = p_caller;
            RAISE EXCEPTION 'your unit % was not in force on % and succeeds no unit that was: '
                            'name the issuer', v_unit.code, to_char(v_date, 'DD/MM/YYYY')
                USING ERRCODE = 'TD400', COLUMN = 'decision.issuer';
        END IF;
    ELSE
        v_issuer := thidua.unit_resolve(p_issuer, v_date);
        IF v_issuer IS NULL THEN
            RAISE EXCEPTION 'unknown issuer "%"', p_issuer
                USING ERRCODE = 'TD400', COLUMN = 'decision.issuer';
        END IF;
        IF NOT thidua.unit_in_force(v_issuer, v_date) THEN
            SELECT u.* INTO v_unit FROM thidua.org_unit u WHERE u.id = v_issuer;
            RAISE EXCEPTION '%', format('the issuer %s (%s) was not in force on %s%s', v_unit.code,
                                        v_unit.name, to_char(v_date, 'DD/MM/YYYY'),
                                        CASE WHEN thidua.unit_successors_text(v_issuer) <> ''
                                             THEN '; its successor: '
                                                  || thidua.unit_successors_text(v_issuer)
                                             ELSE '' END)
                USING ERRCODE = 'TD400', COLUMN = 'decision.issuer';
        END IF;
    END IF;
    IF NOT thidua.unit_within(p_caller, v_issuer) THEN
        RAISE EXCEPTION 'the issuer must be your unit, below it or a unit it succeeds'
            USING ERRCODE = 'TD403', COLUMN = 'decision.issuer';
    END IF;
    v_prob := thidua.text_problem(p_number, 64, true, false);
    IF v_prob IS NOT NULL THEN
        RAISE EXCEPTION 'decision number %', v_prob USING ERRCODE = 'TD400', COLUMN = 'decision.number';
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

-- ---------------------------------------------------------------------------
-- The report names each award's issuer (a decision of 19/09/2025 is Thành
-- phố Cần Thơ's, of a record Huyện Phụng Hiệp made), and the units the
-- report counts with who succeeded them.
DROP FUNCTION thidua.report_awardees(bigint, text);
CREATE FUNCTION thidua.report_awardees(p_caller bigint, p_campaign text)
RETURNS TABLE (id uuid, form text, form_name text, org_unit text, org_unit_name text,
               nominee_kind text, nominee_name text, title text, decision_number text,
               decision_date text, category text, issuer text, issuer_name text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_camp bigint;
BEGIN
    PERFORM thidua.caller_check(p_caller);
    v_camp := thidua.campaign_resolve(p_campaign);
    RETURN QUERY
        SELECT r.id, f.code, f.name::text, u.code, u.name::text, r.nominee_kind,
               r.nominee_name::text, r.title, ad.number, to_char(ad.decided_on, 'YYYY-MM-DD'),
               c.code, iu.code, iu.name::text
          FROM thidua.record r
          JOIN thidua.org_unit_closure cl ON cl.ancestor_id = p_caller
                                         AND cl.descendant_id = r.org_unit_id
          JOIN thidua.award a ON a.record_id = r.id
          JOIN thidua.award_form f ON f.id = a.award_form_id
          JOIN thidua.award_decision ad ON ad.id = a.award_decision_id
          JOIN thidua.org_unit iu ON iu.id = ad.issuer_unit_id
          JOIN thidua.org_unit u ON u.id = r.org_unit_id
          JOIN thidua.category c ON c.id = r.category_id
         WHERE r.campaign_id = v_camp AND r.status = 'awarded' AND a.revoked_at IS NULL
         ORDER BY f.sort_order, f.code, u.code COLLATE "C", r.nominee_name, r.id;
END
$$;

-- The closed units among those the caller's report counts, each with the
-- units that carry on its work today ("92 Thành phố Cần Thơ").
CREATE FUNCTION thidua.report_successions(p_caller bigint, p_campaign text)
RETURNS TABLE (org_unit text, org_unit_name text, last_day text, successors text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_camp bigint;
BEGIN
    PERFORM thidua.caller_check(p_caller);
    v_camp := thidua.campaign_resolve(p_campaign);
    RETURN QUERY
        SELECT u.code, u.name::text, to_char(u.valid_to - 1, 'YYYY-MM-DD'),
               thidua.unit_successors_text(u.id)
          FROM (SELECT t.org_unit_id FROM thidua.tally_within(p_caller, v_camp) t
                 GROUP BY t.org_unit_id
                HAVING sum(t.n) <> 0) k
          JOIN thidua.org_unit u ON u.id = k.org_unit_id
         WHERE u.valid_to IS NOT NULL AND u.valid_to <= current_date
         ORDER BY u.code COLLATE "C", u.id;
END
$$;

-- ---------------------------------------------------------------------------
-- A closed unit makes no new record. push_judge and push_many of 015, with
-- one more verdict: an element that would create a record of a unit no
-- longer in force is REJECTED (field org_unit), naming the units that carry
-- on its work; a new revision of a stored record of that unit is judged as
-- before (its own office in the grace period, its successor at any time).
-- Nothing else changes.
CREATE OR REPLACE FUNCTION thidua.push_judge(p_items thidua.push_item[], p_occ integer, p_found uuid[],
                                  p_ins_ids uuid[], p_ins_ords integer[])
RETURNS SETOF thidua.ack
LANGUAGE sql STABLE AS $$
    WITH j AS (
        SELECT i.*, r.id AS r_id, r.revision AS r_revision, r.status AS r_status,
               r.content_hash AS r_hash, r.org_unit_id AS r_unit, r.campaign_id AS r_camp,
               cl.descendant_id IS NOT NULL AS r_mine,
               ins.ord AS ins_ord,
               NOT thidua.unit_in_force(nu.id, current_date) AS unit_closed, nu.code AS unit_code,
               nu.valid_from AS unit_first_day,
               nu.name AS unit_name, nu.valid_to - 1 AS unit_last_day,
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
          LEFT JOIN thidua.org_unit nu ON nu.id = i.unit_id
         WHERE i.occ = p_occ
    ), v AS (
        SELECT j.*,
               CASE
                   WHEN j.pre_result IS NOT NULL THEN 'pre'
                   WHEN j.ins_ord = j.ord THEN 'created'
                   WHEN j.r_id IS NULL AND j.bad_field IS NOT NULL THEN 'bad'
                   WHEN j.r_id IS NULL AND j.unit_closed THEN 'closed'
                   WHEN j.r_id IS NULL THEN NULL
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
               WHEN 'closed' THEN 'REJECTED'
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
               WHEN 'closed' THEN 'org_unit'
               WHEN 'not_mine' THEN 'id'
               WHEN 'conflict' THEN 'content_hash'
               WHEN 'locked' THEN 'status'
               WHEN 'moved_unit' THEN 'org_unit'
               WHEN 'moved_campaign' THEN 'campaign'
           END,
           CASE v.verdict
               WHEN 'pre' THEN v.pre_message
               WHEN 'bad' THEN v.bad_message
               WHEN 'closed' THEN
                   CASE WHEN v.unit_first_day > current_date
                        THEN format('unit %s (%s) is in force from %s', v.unit_code, v.unit_name,
                                    to_char(v.unit_first_day, 'DD/MM/YYYY'))
                        ELSE format('unit %s (%s) closed on %s: a new record is made by %s',
                                    v.unit_code, v.unit_name,
                                    to_char(v.unit_last_day, 'DD/MM/YYYY'),
                                    coalesce(nullif(thidua.unit_successors_text(v.unit_id), ''),
                                             'a unit in force'))
                   END
               WHEN 'not_mine' THEN 'this record belongs to a unit that is not yours'
               WHEN 'stale' THEN format('revision %s is already stored', v.r_revision)
               WHEN 'conflict' THEN format('revision %s is stored with other content', v.revision)
               WHEN 'locked' THEN format('the record is %s: it can no longer change', v.r_status)
               WHEN 'moved_unit' THEN 'a record never moves to another unit'
               WHEN 'moved_campaign' THEN 'a record never moves to another campaign'
           END,
           CASE WHEN v.verdict IN ('created', 'updated') THEN v.new_status
                WHEN v.verdict IN ('pre', 'not_mine', 'closed') THEN NULL
                ELSE v.r_status END,
           CASE WHEN v.verdict IN ('created', 'updated') THEN v.revision
                WHEN v.verdict IN ('pre', 'not_mine', 'closed') THEN NULL
                ELSE v.r_revision END
      FROM v
$$;

CREATE OR REPLACE FUNCTION thidua.push_many(p_callers bigint[], p_certs bytea[], p_batches jsonb)
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
                       AND thidua.unit_in_force(i.unit_id, current_date)
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
