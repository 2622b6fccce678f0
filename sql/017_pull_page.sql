-- 017_pull_page.sql - a pull page of the province reads its own rows.
--
-- Since 005 a page took, for each of the caller's units, its first p_limit + 1
-- changes after the cursor (the index change_feed_unit) and kept the first
-- p_limit + 1 of them all, in feed order: for a caller with n units, n times
-- the rows it keeps, and a sort. The province of the benchmark has 8 districts:
-- 8,008 rows read and sorted for a page of 1,000, 12 ms of the page's 28 ms at
-- 1,000,000 changes, while a walk of the feed in its own order finds the same
-- page in under 1 ms, every row being the province's. (005 walked the feed so
-- only for callers of more than 32 units, and then without bound: a caller
-- holding few of the feed's rows read all of them.)
--
-- pull_page now walks the feed in order for a caller of several units, and
-- stops at a full page or after as many positions as the per-unit path would
-- read rows (n times p_limit + 1, n at most 64). When the walk holds a full
-- page, or nothing lies beyond it, it is the page; otherwise the caller holds
-- less than a unit's share of the feed and the per-unit path runs as before. A caller of
-- one unit takes the per-unit path at once. So a page costs at most twice
-- what it did, and the province's page an eighth. The rows, their order and
-- has_more are those of 011.

-- The first p_limit + 1 changes (clamped to 1..10000, plus one) after
-- p_cursor in the caller's unit and the units below it, in feed order.
CREATE FUNCTION thidua.pull_page(p_caller bigint, p_cursor bigint, p_limit integer)
RETURNS TABLE (seq bigint, kind text, record_id uuid)
LANGUAGE sql STABLE AS $$
    WITH units AS MATERIALIZED (
        SELECT c.descendant_id AS id
          FROM thidua.org_unit_closure c
         WHERE c.ancestor_id = p_caller
    ), want AS MATERIALIZED (
        SELECT least(greatest(p_limit, 1), 10000) + 1 AS rows,
               (SELECT count(*) FROM units) AS units,
               (least(greatest(p_limit, 1), 10000) + 1) * least((SELECT count(*) FROM units), 64)
                   AS reach
    ), walk AS MATERIALIZED (
        -- The feed in order, up to its first full page of the caller's units,
        -- no further than the per-unit path would read (positions are dense,
        -- so the reach is a bound on rows read; not a condition of being right).
        SELECT f.seq, f.kind, f.record_id
          FROM thidua.change_feed f
         WHERE (SELECT w.units FROM want w) > 1
           AND f.seq > greatest(p_cursor, 0)
           AND f.seq <= greatest(p_cursor, 0) + (SELECT w.reach FROM want w)
           AND f.org_unit_id IN (SELECT u.id FROM units u)
         ORDER BY f.seq
         LIMIT (SELECT w.rows FROM want w)
    ), walked AS MATERIALIZED (
        -- The walk is the page when it is full, or when nothing lies beyond its reach.
        SELECT (SELECT w.units FROM want w) > 1
               AND ((SELECT count(*) FROM walk) >= (SELECT w.rows FROM want w)
                    OR coalesce((SELECT max(f.seq) FROM thidua.change_feed f), 0)
                       <= greatest(p_cursor, 0) + (SELECT w.reach FROM want w))
               AS enough
    )
    (SELECT k.seq, k.kind, k.record_id
       FROM walk k
      WHERE (SELECT e.enough FROM walked e)
      ORDER BY k.seq)
    UNION ALL
    (SELECT f.seq, f.kind, f.record_id
       FROM units u
      CROSS JOIN LATERAL (SELECT f.seq, f.kind, f.record_id
                            FROM thidua.change_feed f
                           WHERE f.org_unit_id = u.id
                             AND (f.org_unit_id, f.seq) > (u.id, greatest(p_cursor, 0))
                           ORDER BY f.org_unit_id, f.seq
                           LIMIT (SELECT w.rows FROM want w)) f
      WHERE NOT (SELECT e.enough FROM walked e)
      ORDER BY f.seq
      LIMIT (SELECT w.rows FROM want w))
$$;

-- thidua.pull of 011, its page from pull_page.
CREATE OR REPLACE FUNCTION thidua.pull(p_caller bigint, p_cursor bigint, p_limit integer,
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
LANGUAGE sql STABLE
-- The planner's guess for the per-unit path, which rarely runs, lifts the
-- statement's cost above jit_above_cost: 50 ms of compiling for a 10 ms page.
SET jit = off
AS $$
    -- The page's changes come from pull_page (017); head as in 005.
    WITH page AS (
        SELECT x.seq, x.kind, x.record_id
          FROM thidua.pull_page(p_caller, p_cursor, p_limit) AS x
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
