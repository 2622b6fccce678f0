-- preload.sql - :n records already stored, for the push benchmark's runs at
-- scale (run-push-bench --preload-compare). psql -v n=2000000 -f preload.sql.
--
-- Rows as thidua.push_many leaves them, written set by set rather than
-- through it (2,000,000 pushes would take the benchmark's hour): each record
-- with its first revision in the history and its change in the feed,
-- numbered after what the feed holds, spread over the districts 930 to 937.
-- Collectives with the campaign's first category and the provincial merit
-- certificate, which every nominee kind may receive; about the size of the
-- benchmark's own records.
\set ON_ERROR_STOP on
SET jit = off;

BEGIN;
CREATE TEMP TABLE preload ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, i,
       (SELECT u.id FROM thidua.org_unit u WHERE u.code = (930 + i % 8)::text) AS unit_id
  FROM generate_series(1, :n) AS i;

INSERT INTO thidua.record (id, campaign_id, org_unit_id, nominee_kind, nominee_name, title,
                           summary, category_id, achieved_on, proposed_award_id, revision, status,
                           content_hash)
SELECT p.id, c.id, p.unit_id, 'collective', 'Tập thể số ' || p.i,
       'Hoàn thành xuất sắc nhiệm vụ năm 2024, đợt ' || p.i,
       'Tập thể đã có nhiều đóng góp trong phong trào thi đua của tỉnh. '
           || 'Đơn vị dẫn đầu khối thi đua, hoàn thành vượt mức các chỉ tiêu được giao. '
           || 'Nhiều sáng kiến được áp dụng rộng rãi trong toàn ngành.',
       (SELECT k.id FROM thidua.category k WHERE k.campaign_id = c.id ORDER BY k.sort_order, k.id
         LIMIT 1),
       c.starts_on + (p.i % 300), af.id, 1, 'submitted', sha256(p.id::text::bytea)
  FROM preload p
 CROSS JOIN LATERAL (SELECT * FROM thidua.campaign ORDER BY starts_on DESC, id DESC LIMIT 1) c
  JOIN thidua.award_form af ON af.campaign_id = c.id AND af.code = 'BK_UBND_TINH';

INSERT INTO thidua.record_revision (record_id, revision, content_hash, content, by_unit_id,
                                    by_cert)
SELECT r.id, 1, r.content_hash,
       jsonb_build_object('id', r.id, 'nominee_kind', r.nominee_kind,
                          'nominee_name', r.nominee_name, 'title', r.title, 'summary', r.summary,
                          'revision', 1, 'withdrawn', false),
       r.org_unit_id, sha256('preload')
  FROM thidua.record r
  JOIN preload p ON p.id = r.id;

INSERT INTO thidua.change_feed (seq, record_id, org_unit_id, kind, revision)
SELECT f.last_seq + p.i, p.id, p.unit_id, 'revision', 1
  FROM preload p, thidua.feed_counter f;
UPDATE thidua.feed_counter SET last_seq = last_seq + :n;
COMMIT;

VACUUM ANALYZE thidua.record;
VACUUM ANALYZE thidua.record_revision;
VACUUM ANALYZE thidua.change_feed;
