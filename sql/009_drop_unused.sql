-- 009_drop_unused.sql - drop the SQL functions nothing calls any more.
--
-- 005 replaced the push of 003 by a set-based one (push_read, push_judge);
-- the old push was the only caller of push_one, and push_one the only caller
-- of push_check. Both have been dead code since, and the first place a reader
-- looked for "where is a push validated?". Every function left is called by
-- thiduad, a test or another live function: sql/README.md lists them with the
-- migration that holds each one's current body, and
-- tests/integration/test_schema.c holds that list to pg_proc.

DROP FUNCTION thidua.push_one(bigint, bytea, integer, jsonb);
DROP FUNCTION thidua.push_check(jsonb, thidua.campaign);
