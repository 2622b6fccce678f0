-- 002_seed.sql - the data the system starts with: Hậu Giang province and its
-- district-level units as of 2024, the special emulation campaign of the
-- article of 10 July 2024, its content areas and the award forms of Law
-- 06/2022 that the province and its districts confer.
--
-- All of it is data: the province may change names or add units, categories
-- and forms later (by a new migration, or by hand). Text is NFC.

-- Province 93 and its district-level units (official codes of 2024). The
-- units are entered as the campaign knew them; the reorganisation of 1 July
-- 2025 (district level abolished, the province merged into Thành phố Cần
-- Thơ) is recorded by closing them (valid_to) and adding the new units with
-- successor links, not by changing these rows. valid_from is the day Hậu
-- Giang was re-established (1 January 2004), a floor: some units took their
-- present status later under the same code.
INSERT INTO thidua.org_unit (code, name, level, unit_type, parent_id, valid_from)
VALUES ('93', 'Tỉnh Hậu Giang', 'province', 'province', NULL, DATE '2004-01-01');

INSERT INTO thidua.org_unit (code, name, level, unit_type, parent_id, valid_from)
SELECT d.code, d.name, 'district', d.unit_type, p.id, DATE '2004-01-01'
  FROM (VALUES ('930', 'Thành phố Vị Thanh', 'city'),
               ('931', 'Thành phố Ngã Bảy', 'city'),
               ('932', 'Huyện Châu Thành A', 'district'),
               ('933', 'Huyện Châu Thành', 'district'),
               ('934', 'Huyện Phụng Hiệp', 'district'),
               -- The official list writes the tone mark on the y: "Thuỷ".
               ('935', 'Huyện Vị Thuỷ', 'district'),
               ('936', 'Huyện Long Mỹ', 'district'),
               ('937', 'Thị xã Long Mỹ', 'town')) AS d (code, name, unit_type)
 CROSS JOIN thidua.org_unit p
 WHERE p.code = '93';

INSERT INTO thidua.campaign (code, name, organiser, organiser_unit_id, slogan, starts_on, ends_on)
SELECT 'HG-DB-2025',
       'Đợt thi đua đặc biệt lập thành tích chào mừng đại hội đảng bộ các cấp nhiệm kỳ 2025-2030',
       'UBND tỉnh Hậu Giang',
       p.id,
       'Thi đua đoàn kết, đổi mới, sáng tạo thực hiện hoàn thành toàn diện và vượt mức mục tiêu, '
           'chỉ tiêu, nhiệm vụ nghị quyết đại hội đảng bộ các cấp',
       DATE '2024-07-01',
       DATE '2025-06-30'
  FROM thidua.org_unit p
 WHERE p.code = '93';

-- The content areas the article names.
INSERT INTO thidua.category (campaign_id, code, name, sort_order)
SELECT c.id, v.code, v.name, v.sort_order
  FROM (VALUES ('KT_XH', 'Kinh tế – xã hội: các mục tiêu, chỉ tiêu của Nghị quyết Đại hội Đảng bộ tỉnh', 1),
               ('QP_AN', 'Quốc phòng – an ninh', 2),
               ('ASXH', 'An sinh xã hội', 3),
               ('HCM', 'Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh', 4),
               ('CONG_TRINH', 'Công trình, phần việc chào mừng đại hội đảng bộ các cấp', 5))
       AS v (code, name, sort_order)
 CROSS JOIN thidua.campaign c
 WHERE c.code = 'HG-DB-2025';

-- The award forms a province and a district confer (Law 06/2022), with the
-- nominee kinds each may go to.
INSERT INTO thidua.award_form (campaign_id, code, name, conferred_by, allowed_kinds, sort_order)
SELECT c.id, v.code, v.name, v.conferred_by, v.allowed_kinds, v.sort_order
  FROM (VALUES
        ('BK_UBND_TINH', 'Bằng khen của Chủ tịch UBND tỉnh', 'province',
         ARRAY['individual', 'collective', 'household'], 1),
        ('CO_THI_DUA_TINH', 'Cờ thi đua của UBND tỉnh', 'province', ARRAY['collective'], 2),
        ('CSTD_TINH', 'Chiến sĩ thi đua cấp tỉnh', 'province', ARRAY['individual'], 3),
        ('TT_LD_XUAT_SAC', 'Tập thể lao động xuất sắc', 'province', ARRAY['collective'], 4),
        ('CSTD_CO_SO', 'Chiến sĩ thi đua cơ sở', 'district', ARRAY['individual'], 5),
        ('LD_TIEN_TIEN', 'Lao động tiên tiến', 'district', ARRAY['individual'], 6),
        ('TT_LD_TIEN_TIEN', 'Tập thể lao động tiên tiến', 'district', ARRAY['collective'], 7),
        ('GIAY_KHEN', 'Giấy khen', 'district',
         ARRAY['individual', 'collective', 'household'], 8))
       AS v (code, name, conferred_by, allowed_kinds, sort_order)
 CROSS JOIN thidua.campaign c
 WHERE c.code = 'HG-DB-2025';
