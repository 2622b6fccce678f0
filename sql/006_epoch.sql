-- 006_epoch.sql - the database epoch: a name for this database's history,
-- which a restore from a backup changes.
--
-- A district office remembers how far it has read the change feed (its
-- cursor) and forgets the revisions the server acknowledged. Both are
-- promises about one history of the database. When the province restores a
-- dump, the database goes back to an older moment: feed positions the
-- offices hold are handed out again to other changes, and revisions they
-- delivered after the dump are gone. The server tells the offices which
-- history they are talking to (Welcome.database_epoch); an office that sees
-- another epoch than at its last sync reads the feed again from 0 and sends
-- every record it holds again (docs/operations.md, "Backup and restore").
--
-- The epoch must therefore come from things a dump does not carry, so that
-- no restore can bring the old value back:
-- - the cluster's system identifier (pg_control_system()), chosen by initdb:
--   a restore into a new cluster changes it;
-- - the database's OID: the documented restore goes into a new database
--   (createdb + pg_restore), which gets a new OID;
-- - the OID of thidua.feed_counter: a restore over the old tables
--   (pg_restore --clean) drops and creates them again, with new OIDs.
-- Nothing else changes them: restarts, upgrades of thiduad, VACUUM FULL, and
-- failing over to a streaming replica (which is a copy of the same cluster)
-- keep the epoch. A pg_upgrade to a new PostgreSQL major version makes a new
-- cluster, so the offices send their records once more afterwards: time, not
-- data. Migrations must never drop and create thidua.feed_counter again.
--
-- The server reads the epoch once at start (server/catalog.c); the feed
-- counter's own check (PullResponse.cursor_ahead, server/pull.c) covers a
-- restore made under a running server.

-- 32 lowercase hex digits. Readable by any role: pg_control_system() is.
CREATE FUNCTION thidua.epoch() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT md5(s.system_identifier::text
               || '/' || d.oid::text
               || '/' || 'thidua.feed_counter'::regclass::oid::text)
      FROM pg_control_system() s, pg_database d
     WHERE d.datname = current_database()
$$;
