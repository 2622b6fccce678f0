-- 008_field_limits.sql - the length CHECKs of the text columns, under names
-- that say what they hold, with the limits of the one field table.
--
-- The limits live in common/fields.h (THIDUA_RECORD_FIELDS and
-- THIDUA_DECISION_FIELDS): the C checks, these constraints and the tables of
-- docs/protocol.md and docs/schema.md all follow it. 001 wrote the same
-- numbers as anonymous column CHECKs (record_title_check...); here each
-- becomes <table>_<column>_chars, which tests/integration/test_schema.c
-- reads back from pg_constraint and compares with the table, so that the two
-- cannot drift apart again. A field required for every nominee kind (or
-- every request) may not be empty: BETWEEN 1 AND its limit.
--
-- The SQL functions that answer a push or a decision field by field
-- (push_read of 005; decide, award_decision_get and revoke of 003) keep their
-- own literals for their messages; they are the same numbers, and the tests
-- of both sides of each limit, through the server and on these columns,
-- would see a difference.

ALTER TABLE thidua.record
    DROP CONSTRAINT record_nominee_name_check,
    DROP CONSTRAINT record_position_check,
    DROP CONSTRAINT record_workplace_check,
    DROP CONSTRAINT record_title_check,
    DROP CONSTRAINT record_summary_check,
    ADD CONSTRAINT record_nominee_name_chars CHECK (char_length(nominee_name) BETWEEN 1 AND 200),
    ADD CONSTRAINT record_position_chars CHECK (char_length(position) <= 200),
    ADD CONSTRAINT record_workplace_chars CHECK (char_length(workplace) <= 300),
    ADD CONSTRAINT record_title_chars CHECK (char_length(title) BETWEEN 1 AND 500),
    ADD CONSTRAINT record_summary_chars CHECK (char_length(summary) <= 20000);

ALTER TABLE thidua.award_decision
    DROP CONSTRAINT award_decision_number_check,
    DROP CONSTRAINT award_decision_signer_check,
    ADD CONSTRAINT award_decision_number_chars CHECK (char_length(number) BETWEEN 1 AND 64),
    ADD CONSTRAINT award_decision_signer_chars CHECK (char_length(signer) BETWEEN 1 AND 300);

ALTER TABLE thidua.decision
    DROP CONSTRAINT decision_reason_check,
    ADD CONSTRAINT decision_reason_chars CHECK (char_length(reason) <= 2000);
