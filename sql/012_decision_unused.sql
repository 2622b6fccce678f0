-- 012_decision_unused.sql - an award decision is kept only if it decided something.
--
-- award() and revoke() find or create the act (award_decision_get) before they
-- look at the records. When every record then fails (not approved, awarded
-- already, a form its nominee cannot get), the act used to stay, empty and
-- permanent: a typo in the signer made the corrected request CONFLICT with
-- the empty act, and concurrent awards of one record under different numbers
-- left one empty act per loser.
--
-- A deferred constraint trigger checks each act inserted by a transaction at
-- its commit and deletes it if no award, revocation or decision refers to it.
-- Doing it at commit, in one place, covers award(), revoke() and any later
-- caller, and sees the transaction's final state. Two transactions using the
-- same new number are serialised by the act's unique key (the second waits
-- for the first to commit), so the second either finds the first's act with
-- its awards, or finds nothing and inserts its own.

CREATE FUNCTION thidua.award_decision_drop_unused() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM thidua.award_decision ad
     WHERE ad.id = NEW.id
       AND NOT EXISTS (SELECT 1 FROM thidua.award a
                        WHERE a.award_decision_id = ad.id OR a.revoke_decision_id = ad.id)
       AND NOT EXISTS (SELECT 1 FROM thidua.decision d WHERE d.award_decision_id = ad.id);
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER award_decision_used
    AFTER INSERT ON thidua.award_decision
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION thidua.award_decision_drop_unused();
