-- 014_feed_deferred.sql - a district's changes are numbered after they commit.
--
-- Until 013 every writer took its feed numbers from thidua.feed_counter and
-- kept that row locked until it committed: a reader that had seen n had seen
-- everything below n, but every push of the province waited for the commit
-- of the one before it, and no two commits could share a disk flush.
--
-- Now a push writes its changes to thidua.change_pending, which no one else
-- locks, and commits on its own. thidua.feed_sequence() then numbers every
-- pending change it can see: it locks the counter, moves the rows into
-- thidua.change_feed under the next numbers and commits. thiduad calls it
-- right after each push commits and before it answers, so the acks still
-- carry feed positions; a pull calls it too, so that the changes of a push
-- whose server died between its commit and its numbering are numbered by
-- the next reader. docs/protocol.md, "The change feed", has the proof that a
-- change is served exactly once.
--
-- Only the numbering is serialised, and one numbering takes the changes of
-- every push that committed before it: under load it numbers many pushes in
-- one transaction and one flush. The province's decisions, awards and
-- revocations, a few a minute, still number their own changes in their own
-- transaction (after the pending ones, so that a decision always follows the
-- revision it decided in the feed).

-- A record's feed position is its latest numbered change, read from the
-- feed's index on (record_id, seq): a column kept on the record would cost a
-- second version of the record row for every change, and the numbering
-- would have to lock record rows that pushes hold.
CREATE OR REPLACE VIEW thidua.record_out AS
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
       coalesce((SELECT max(f.seq) FROM thidua.change_feed f WHERE f.record_id = r.id),
                0)::bigint AS change_seq,
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

ALTER TABLE thidua.record DROP COLUMN change_seq;

-- The feed's rows are written only by feed_append() and feed_sequence(),
-- from a pending change (whose key to the record was checked when it was
-- written) or a record the transaction holds. Key checks here would make the
-- numbering take a share lock on every record it numbers, and wait for any
-- push that holds one of them: the serialisation this migration removes.
ALTER TABLE thidua.change_feed DROP CONSTRAINT change_feed_record_id_fkey;
ALTER TABLE thidua.change_feed DROP CONSTRAINT change_feed_org_unit_id_fkey;

CREATE TABLE thidua.change_pending (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id   uuid NOT NULL REFERENCES thidua.record (id),
    -- No foreign key: the record row already holds one, and a key check here
    -- would lock the unit's row from every writer of the unit.
    org_unit_id bigint NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('revision', 'withdraw')),
    revision    integer NOT NULL,
    decision_id bigint,
    at          timestamptz NOT NULL DEFAULT now()
);

-- Number every pending change this transaction can see, in the order it was
-- written. p_wait false: if another transaction is numbering now, return at
-- once (it will take what this one would have). Returns how many it numbered.
CREATE FUNCTION thidua.feed_sequence(p_wait boolean DEFAULT true) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_last bigint;
    v_n    bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM thidua.change_pending) THEN
        RETURN 0;
    END IF;
    IF p_wait THEN
        SELECT last_seq INTO v_last FROM thidua.feed_counter FOR UPDATE;
    ELSE
        SELECT last_seq INTO v_last FROM thidua.feed_counter FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            RETURN 0;
        END IF;
    END IF;
    -- A statement after the lock: its snapshot holds every change committed
    -- before the previous numbering committed.
    WITH moved AS (
        DELETE FROM thidua.change_pending RETURNING *
    ), numbered AS (
        INSERT INTO thidua.change_feed (seq, record_id, org_unit_id, kind, revision,
                                        decision_id, at)
        SELECT v_last + row_number() OVER (ORDER BY m.id), m.record_id, m.org_unit_id,
               m.kind, m.revision, m.decision_id, m.at
          FROM moved m
        RETURNING seq
    )
    SELECT count(*) INTO v_n FROM numbered;
    IF v_n > 0 THEN
        UPDATE thidua.feed_counter SET last_seq = v_last + v_n;
    END IF;
    RETURN v_n;
END
$$;

-- As in 003, with the district's changes (revision, withdraw) left pending:
-- they get their numbers from feed_sequence() after their commit, and this
-- returns NULL for them. The province's changes are numbered here, after
-- every pending change, and the counter stays locked until their commit.
CREATE OR REPLACE FUNCTION thidua.feed_append(p_ids uuid[], p_kinds text[], p_revisions integer[],
                                              p_decisions bigint[])
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_first bigint;
BEGIN
    IF coalesce(cardinality(p_ids), 0) = 0 THEN
        RETURN NULL;
    END IF;
    IF p_kinds <@ ARRAY['revision', 'withdraw'] THEN
        INSERT INTO thidua.change_pending (record_id, org_unit_id, kind, revision, decision_id)
        SELECT u.id, r.org_unit_id, u.kind, u.rev, u.dec
          FROM unnest(p_ids, p_kinds, p_revisions, p_decisions) WITH ORDINALITY AS u (id, kind, rev, dec, k)
          JOIN thidua.record r ON r.id = u.id
         ORDER BY u.k;
        RETURN NULL;
    END IF;
    PERFORM thidua.feed_sequence(true);
    v_first := thidua.feed_take(cardinality(p_ids));
    INSERT INTO thidua.change_feed (seq, record_id, org_unit_id, kind, revision, decision_id)
    SELECT v_first + u.k - 1, u.id, r.org_unit_id, u.kind, u.rev, u.dec
      FROM unnest(p_ids, p_kinds, p_revisions, p_decisions) WITH ORDINALITY AS u (id, kind, rev, dec, k)
      JOIN thidua.record r ON r.id = u.id;
    RETURN v_first;
END
$$;

-- After a push committed: number what is pending, then the feed position of
-- each (record, revision) pushed, as a DUPLICATE ack reports it (the first
-- change of that revision). ord is the 1-based position in the arrays; NULL
-- seq for a pair with no change.
CREATE FUNCTION thidua.feed_positions(p_ids uuid[], p_revisions integer[])
RETURNS TABLE (ord integer, seq bigint)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM thidua.feed_sequence(true);
    RETURN QUERY
        SELECT u.k::integer,
               (SELECT min(f.seq) FROM thidua.change_feed f
                 WHERE f.record_id = u.id AND f.revision = u.rev
                   AND f.kind IN ('revision', 'withdraw'))
          FROM unnest(p_ids, p_revisions) WITH ORDINALITY AS u (id, rev, k)
         ORDER BY u.k;
END
$$;
