-- 010_history_page.sql - GetRecord reads a record's history one page at a time.
--
-- record_history() of 004 returns the whole history, and a revision carries
-- its whole content: 80 revisions with long achievement reports make an
-- answer larger than a frame, which the server can only refuse. A district
-- could so make a record's history unreadable to the province. A page is now
-- the newest entries before a cursor, at most p_limit of them, and it stops
-- before the running sum of the entries' sizes passes p_budget bytes. The
-- first entry is always taken, so every page moves the cursor back.
--
-- record_history() stays as 004 left it, for a server not yet upgraded while
-- the schema already is (a rolling upgrade); this server no longer calls it.

-- One page of the history of p_id, in the columns of record_history() and
-- with `more`, the same on every row: older entries follow the page. p_before
-- 0 is the newest entry; otherwise the entries with change_seq < p_before.
-- The page is chosen newest first, as a reviewer reads, and returned in feed
-- order (oldest first), as record_history() returns the whole history. Only
-- the entries walked are sized, so a page costs its own size whatever the
-- length of the history (the index change_feed_record is walked backwards).
CREATE FUNCTION thidua.record_history_page(p_caller bigint, p_id uuid, p_before bigint,
                                           p_limit integer, p_budget bigint)
RETURNS TABLE (
    change_seq bigint, kind text, revision integer, action text, reason text, at_ms bigint,
    by_unit text, by_fingerprint text,
    id text, campaign text, org_unit text, nominee_kind text, nominee_name text,
    birth_date text, gender text, "position" text, workplace text, title text, summary text,
    category text, achieved_on text, proposed_award text, content_hash text, withdrawn boolean,
    more boolean)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
    v_before bigint := CASE WHEN p_before > 0 THEN p_before ELSE 9223372036854775807 END;
    v_seqs bigint[] := '{}';
    v_used bigint := 0;
    v_more boolean := false;
    e record;
BEGIN
    FOR e IN
        SELECT f.seq,
               256 + coalesce(octet_length(v.content::text), 0)
                   + coalesce(octet_length(d.reason), 0) AS size
          FROM thidua.change_feed f
          JOIN thidua.record r ON r.id = f.record_id
          LEFT JOIN thidua.decision d ON d.id = f.decision_id
          LEFT JOIN thidua.record_revision v
                 ON f.kind IN ('revision', 'withdraw') AND v.record_id = f.record_id
                AND v.revision = f.revision
         WHERE f.record_id = p_id AND f.seq < v_before
           AND thidua.unit_within(p_caller, r.org_unit_id)
         ORDER BY f.seq DESC
    LOOP
        IF cardinality(v_seqs) > 0
           AND (cardinality(v_seqs) >= p_limit OR v_used + e.size > p_budget) THEN
            v_more := true;
            EXIT;
        END IF;
        v_seqs := v_seqs || e.seq;
        v_used := v_used + e.size;
    END LOOP;

    RETURN QUERY
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
           encode(v.content_hash, 'hex'), (v.content->>'withdrawn')::boolean,
           v_more
      FROM thidua.change_feed f
      LEFT JOIN thidua.decision d ON d.id = f.decision_id
      LEFT JOIN thidua.org_unit du ON du.id = d.by_unit_id
      LEFT JOIN thidua.record_revision v
             ON f.kind IN ('revision', 'withdraw') AND v.record_id = f.record_id
            AND v.revision = f.revision
      LEFT JOIN thidua.org_unit vu ON vu.id = v.by_unit_id
     -- v_seqs holds only entries the caller may read (unit_within above).
     WHERE f.record_id = p_id AND f.seq = ANY (v_seqs)
     ORDER BY f.seq;
END
$$;
