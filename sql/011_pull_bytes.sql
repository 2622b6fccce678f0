-- 011_pull_bytes.sql - a pull page bounded by bytes in the database.
--
-- thidua.pull() of 005 returned up to p_limit (max_pull, 1000 by default)
-- whole records, and thiduad then cut the page to half a frame. With long
-- summaries (20,000 characters, up to 60 kB each) that was some 60 MB read,
-- sent to thiduad and held in its memory for 2 MB answered, for every pull
-- of a backlog: 64 pipelined pulls took thiduad from 16 MB to 170 MB.
--
-- The page now stops here: a fourth argument, p_budget, is the bytes the
-- page may take (thiduad passes half its max_frame, server/pull.c), and the
-- page ends before the running total of its rows' sizes passes it. The first
-- row is always kept, however large, so a page always moves the cursor on;
-- has_more is true when the limit or the budget left changes out. A NULL
-- budget is no bound.
--
-- A row's size is the bytes of its texts plus 320 for the rest of it on the
-- wire (the id, the numbers, the hash, the tag and length of each of its 35
-- fields and thiduad's own allowance: about 250 bytes at most): never less
-- than what thiduad packs, so thiduad's cut at the same budget stays a
-- safety net that does not fire. octet_length() reads
-- the length a stored text records in its header, without decompressing or
-- fetching it, so measuring the rows costs no more than finding them, and
-- the texts of the rows left out of the page are never read at all.
--
-- The three-argument form stays, as the unbounded page, for a thiduad older
-- than this migration that still serves beside a new one during an upgrade
-- (docs/operations.md, "Upgrades"); it is one call to the new form.

CREATE FUNCTION thidua.pull(p_caller bigint, p_cursor bigint, p_limit integer,
                            p_budget bigint)
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
    -- units, page and head as in 005: the first p_limit changes after the
    -- cursor, and whether more follow.
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
    ), sized AS (
        -- Each row with its record (one lookup per row, fenced as in 005) and
        -- the running total of the sizes. The columns are named one by one: a
        -- whole-row value would fetch every text of the page to build it.
        SELECT p.seq, p.kind, p.more,
               o.id, o.campaign, o.org_unit, o.nominee_kind, o.nominee_name, o.birth_date,
               o.gender, o.position, o.workplace, o.title, o.summary, o.category, o.achieved_on,
               o.proposed_award, o.revision, o.status, o.content_hash, o.withdrawn, o.change_seq,
               o.updated_at_ms, o.decision_action, o.decision_revision, o.decision_reason,
               o.decided_at_ms, o.award_form, o.award_number, o.award_date, o.award_signer,
               o.award_issuer, o.revoked_reason, o.revoke_number, o.revoke_date, o.revoke_signer,
               o.revoke_issuer,
               row_number() OVER w AS n,
               sum(o.bytes) OVER w AS running,
               sum(o.bytes) OVER () AS total,
               count(*) OVER () AS n_rows
          FROM head p
         CROSS JOIN LATERAL (
               SELECT x.*,
                      320 + octet_length(p.kind)
                          + coalesce(octet_length(x.campaign), 0)
                          + coalesce(octet_length(x.org_unit), 0)
                          + coalesce(octet_length(x.nominee_kind), 0)
                          + coalesce(octet_length(x.nominee_name), 0)
                          + coalesce(octet_length(x.birth_date), 0)
                          + coalesce(octet_length(x.gender), 0)
                          + coalesce(octet_length(x.position), 0)
                          + coalesce(octet_length(x.workplace), 0)
                          + coalesce(octet_length(x.title), 0)
                          + coalesce(octet_length(x.summary), 0)
                          + coalesce(octet_length(x.category), 0)
                          + coalesce(octet_length(x.achieved_on), 0)
                          + coalesce(octet_length(x.proposed_award), 0)
                          + coalesce(octet_length(x.status), 0)
                          + coalesce(octet_length(x.decision_action), 0)
                          + coalesce(octet_length(x.decision_reason), 0)
                          + coalesce(octet_length(x.award_form), 0)
                          + coalesce(octet_length(x.award_number), 0)
                          + coalesce(octet_length(x.award_date), 0)
                          + coalesce(octet_length(x.award_signer), 0)
                          + coalesce(octet_length(x.award_issuer), 0)
                          + coalesce(octet_length(x.revoked_reason), 0)
                          + coalesce(octet_length(x.revoke_number), 0)
                          + coalesce(octet_length(x.revoke_date), 0)
                          + coalesce(octet_length(x.revoke_signer), 0)
                          + coalesce(octet_length(x.revoke_issuer), 0) AS bytes
                 FROM thidua.record_out x
                WHERE x.id = p.record_id
               OFFSET 0) o
        WINDOW w AS (ORDER BY p.seq ROWS UNBOUNDED PRECEDING)
    )
    SELECT s.seq, s.kind,
           s.more OR coalesce(s.n_rows > 1 AND s.total > p_budget, false),
           s.id, s.campaign, s.org_unit, s.nominee_kind, s.nominee_name, s.birth_date, s.gender,
           s.position, s.workplace, s.title, s.summary, s.category, s.achieved_on,
           s.proposed_award, s.revision, s.status, s.content_hash, s.withdrawn, s.change_seq,
           s.updated_at_ms, s.decision_action, s.decision_revision, s.decision_reason,
           s.decided_at_ms, s.award_form, s.award_number, s.award_date, s.award_signer,
           s.award_issuer, s.revoked_reason, s.revoke_number, s.revoke_date, s.revoke_signer,
           s.revoke_issuer
      FROM sized s
     WHERE s.n = 1 OR p_budget IS NULL OR s.running <= p_budget
     ORDER BY s.seq
$$;

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
    SELECT * FROM thidua.pull(p_caller, p_cursor, p_limit, NULL)
$$;
