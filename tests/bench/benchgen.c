/*
 * benchgen.c - realistic nominations for the benchmarks (see benchgen.h).
 *
 * The word lists are small on purpose: what matters for the server is the
 * size and the shape of the text (multi-byte letters, several lines of
 * summary), not its variety.
 */
#include "benchgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "uuid.h"

/* ---- the generator ---- */

static uint64_t benchgen_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void benchgen_rng_seed(benchgen_rng_t *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    for (size_t i = 0; i < 4; i++)
        r->s[i] = benchgen_splitmix(&x);
}

static uint64_t benchgen_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t benchgen_rng_next(benchgen_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = benchgen_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = benchgen_rotl(s[3], 45);
    return result;
}

uint32_t benchgen_rng_below(benchgen_rng_t *r, uint32_t n)
{
    /* The bias of a 64-bit modulo by a small n is far below what a benchmark notices. */
    return (uint32_t)(benchgen_rng_next(r) % n);
}

#define PICK(g, list) ((list)[benchgen_rng_below(&(g)->rng, (uint32_t)THIDUA_ARRAY_LEN(list))])

/* ---- words ---- */

static const char *const family_names[] = {
    "Nguyễn", "Trần", "Lê",  "Phạm", "Huỳnh", "Hoàng", "Phan",  "Vũ",
    "Võ",     "Đặng", "Bùi", "Đỗ",   "Hồ",    "Ngô",   "Dương", "Lý",
};
static const char *const male_middle[] = {"Văn", "Hữu", "Minh", "Quốc", "Thanh", "Công", "Đức"};
static const char *const female_middle[] = {"Thị", "Ngọc", "Thị Kim", "Thanh", "Thị Mỹ", "Hồng"};
static const char *const male_given[] = {
    "An",  "Bình", "Cường", "Dũng", "Hải", "Hiếu",  "Hùng", "Khoa", "Lộc",
    "Nam", "Phúc", "Quân",  "Sơn",  "Tâm", "Thắng", "Tuấn", "Vĩnh", "Đạt",
};
static const char *const female_given[] = {
    "Hà",     "Hạnh",  "Hoa",  "Hương", "Lan",   "Linh",  "Mai", "Ngân", "Nhung",
    "Phượng", "Quyên", "Thảo", "Thủy",  "Trang", "Tuyết", "Vy",  "Yến",  "Ánh",
};
static const char *const places[] = {
    "Hòa An",     "Tân Long",       "Hiệp Hưng", "Long Thạnh", "Phương Bình", "Vị Thanh",
    "Ngã Bảy",    "Cái Tắc",        "Mái Dầm",   "Vĩnh Viễn",  "Lương Tâm",   "Xà Phiên",
    "Thuận Hưng", "Tân Phước Hưng", "Thạnh Hòa", "Vị Thủy",
};
static const char *const collective_kinds[] = {
    "Trường Tiểu học",        "Trường Trung học cơ sở", "Trạm Y tế xã",
    "Hội Nông dân xã",        "Đoàn Thanh niên xã",     "Hội Liên hiệp Phụ nữ xã",
    "Ban Chỉ huy Quân sự xã", "Hợp tác xã nông nghiệp", "Công an xã",
    "Ban nhân dân ấp",
};
static const char *const positions[] = {
    "Giáo viên",        "Hiệu trưởng",    "Bác sĩ",    "Điều dưỡng",
    "Chủ tịch UBND xã", "Bí thư Đoàn xã", "Trưởng ấp", "Cán bộ địa chính – xây dựng",
    "Công an viên",     "Nông dân",       "Kế toán",   "Chủ nhiệm hợp tác xã",
};
static const char *const titles[] = {
    "Hoàn thành xuất sắc nhiệm vụ trong đợt thi đua đặc biệt",
    "Vận động xây dựng nhà tình thương cho hộ nghèo",
    "Có sáng kiến rút ngắn thời gian giải quyết thủ tục hành chính",
    "Tích cực tham gia bảo đảm an ninh trật tự trên địa bàn",
    "Đóng góp ngày công, kinh phí làm đường giao thông nông thôn",
    "Dẫn đầu phong trào sản xuất lúa chất lượng cao",
    "Thực hiện tốt công tác chăm sóc sức khỏe ban đầu cho nhân dân",
    "Hoàn thành công trình chào mừng đại hội đảng bộ trước thời hạn",
};
static const char *const sentences[] = {
    "Trong đợt thi đua, đã chủ động tham mưu và tổ chức thực hiện hoàn thành vượt mức các chỉ "
    "tiêu được giao.",
    "Vận động được 120 triệu đồng và 350 ngày công để sửa chữa cầu, đường trong ấp.",
    "Phối hợp với các đoàn thể tổ chức 14 buổi tuyên truyền về pháp luật và an toàn giao thông.",
    "Mô hình được Ủy ban nhân dân huyện đánh giá cao và nhân rộng ra các xã lân cận.",
    "Tỷ lệ hồ sơ giải quyết đúng hạn đạt 100%, không có hồ sơ trễ hẹn hay phải bổ sung nhiều lần.",
    "Thường xuyên giúp đỡ hộ nghèo, hộ cận nghèo về giống, vốn và kỹ thuật sản xuất.",
    "Gương mẫu chấp hành chủ trương của Đảng, chính sách và pháp luật của Nhà nước.",
    "Kết quả được ghi nhận trong báo cáo tổng kết năm 2024 của địa phương.",
};

/* ---- records ---- */

int benchgen_init(benchgen_t *g, const Thidua__V1__Campaign *campaign, const char *org_unit,
                  uint64_t seed, uint64_t stream, char *err, size_t errlen)
{
    memset(g, 0, sizeof(*g));
    if (campaign == NULL || campaign->code == NULL ||
        date_parse_iso(campaign->starts_on, &g->first_day, NULL) != 0 ||
        date_parse_iso(campaign->ends_on, &g->last_day, NULL) != 0 || g->last_day < g->first_day) {
        snprintf(err, errlen, "the campaign has no usable window");
        return -1;
    }
    if (campaign->n_categories == 0) {
        snprintf(err, errlen, "the campaign %s has no category", campaign->code);
        return -1;
    }
    for (size_t k = 0; record_nominee_kinds[k] != NULL; k++) {
        int found = 0;
        for (size_t i = 0; i < campaign->n_award_forms && !found; i++) {
            const Thidua__V1__AwardForm *f = campaign->award_forms[i];
            for (size_t j = 0; j < f->n_nominee_kinds && !found; j++)
                found = strcmp(f->nominee_kinds[j], record_nominee_kinds[k]) == 0;
        }
        if (!found) {
            snprintf(err, errlen, "the campaign %s has no award form for a %s nominee",
                     campaign->code, record_nominee_kinds[k]);
            return -1;
        }
    }
    g->campaign = campaign;
    g->org_unit = org_unit;
    benchgen_rng_seed(&g->rng, seed, stream);
    return 0;
}

/* A version 4 UUID from the stream, so that a seed names the same records every run. */
static void benchgen_uuid(benchgen_t *g, char out[UUID_STR_SIZE])
{
    static const char hexd[] = "0123456789abcdef";
    uint8_t b[16];
    uint64_t hi = benchgen_rng_next(&g->rng), lo = benchgen_rng_next(&g->rng);
    for (size_t i = 0; i < 8; i++) {
        b[i] = (uint8_t)(hi >> (8 * i));
        b[8 + i] = (uint8_t)(lo >> (8 * i));
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hexd[b[i] >> 4];
        out[o++] = hexd[b[i] & 15];
    }
    out[o] = '\0';
}

static const char *benchgen_form_for(benchgen_t *g, const char *kind)
{
    const Thidua__V1__Campaign *c = g->campaign;
    /* Start anywhere and take the first form that fits: init made sure one does. */
    size_t start = benchgen_rng_below(&g->rng, (uint32_t)c->n_award_forms);
    for (size_t n = 0; n < c->n_award_forms; n++) {
        const Thidua__V1__AwardForm *f = c->award_forms[(start + n) % c->n_award_forms];
        for (size_t j = 0; j < f->n_nominee_kinds; j++) {
            if (strcmp(f->nominee_kinds[j], kind) == 0)
                return f->code;
        }
    }
    return "";
}

int benchgen_record(benchgen_t *g, record_t *out, uint8_t hash[RECORD_HASH_LEN], char *err,
                    size_t errlen)
{
    char id[UUID_STR_SIZE], name[160], birth[DATE_STR_SIZE] = "", achieved[DATE_STR_SIZE];
    char workplace[120] = "", summary[1200] = "";
    const char *kind, *gender = "", *position = "";

    benchgen_uuid(g, id);
    uint32_t roll = benchgen_rng_below(&g->rng, 10);
    kind = roll < 7 ? "individual" : roll < 9 ? "collective" : "household";
    int female = (int)benchgen_rng_below(&g->rng, 2);

    if (strcmp(kind, "individual") == 0) {
        snprintf(name, sizeof(name), "%s %s %s", PICK(g, family_names),
                 female ? PICK(g, female_middle) : PICK(g, male_middle),
                 female ? PICK(g, female_given) : PICK(g, male_given));
        int32_t born;
        if (date_from_ymd(1960 + (int)benchgen_rng_below(&g->rng, 40),
                          1 + (int)benchgen_rng_below(&g->rng, 12),
                          1 + (int)benchgen_rng_below(&g->rng, 28), &born) != 0 ||
            date_format_iso(born, birth) != 0) {
            snprintf(err, errlen, "cannot make a birth date");
            return -1;
        }
        gender = female ? "female" : "male";
        position = PICK(g, positions);
        snprintf(workplace, sizeof(workplace), "UBND xã %s", PICK(g, places));
    } else if (strcmp(kind, "collective") == 0) {
        snprintf(name, sizeof(name), "%s %s", PICK(g, collective_kinds), PICK(g, places));
    } else {
        snprintf(name, sizeof(name), "Hộ %s %s %s %s", female ? "bà" : "ông", PICK(g, family_names),
                 female ? PICK(g, female_middle) : PICK(g, male_middle),
                 female ? PICK(g, female_given) : PICK(g, male_given));
    }

    int32_t day = g->first_day +
                  (int32_t)benchgen_rng_below(&g->rng, (uint32_t)(g->last_day - g->first_day + 1));
    if (date_format_iso(day, achieved) != 0) {
        snprintf(err, errlen, "cannot format an achievement date");
        return -1;
    }
    /* Two to four sentences, one per line, as officers type a report. */
    size_t nsent = 2 + benchgen_rng_below(&g->rng, 3), o = 0;
    for (size_t i = 0; i < nsent; i++) {
        int n =
            snprintf(summary + o, sizeof(summary) - o, "%s%s", i ? "\n" : "", PICK(g, sentences));
        if (n < 0 || (size_t)n >= sizeof(summary) - o)
            break;
        o += (size_t)n;
    }

    Thidua__V1__Record in = THIDUA__V1__RECORD__INIT;
    in.id = id;
    in.campaign = g->campaign->code;
    in.org_unit = (char *)g->org_unit;
    in.nominee_kind = (char *)kind;
    in.nominee_name = name;
    in.birth_date = birth;
    in.gender = (char *)gender;
    in.position = (char *)position;
    in.workplace = workplace;
    in.title = (char *)PICK(g, titles);
    in.summary = summary;
    in.category =
        g->campaign->categories[benchgen_rng_below(&g->rng, (uint32_t)g->campaign->n_categories)]
            ->code;
    in.achieved_on = achieved;
    in.proposed_award = (char *)benchgen_form_for(g, kind);
    in.revision = 1;

    valid_error_t verr;
    int rc = record_from_proto(out, &in, NULL, &verr);
    if (rc == TD_OK)
        rc = record_check_campaign(out, g->campaign, &verr);
    if (rc != TD_OK) {
        snprintf(err, errlen, "generated record refused: %s: %s", verr.field, verr.reason);
        record_free(out);
        return -1;
    }
    if (record_content_hash(out, hash) != 0) {
        snprintf(err, errlen, "cannot hash a record");
        record_free(out);
        return -1;
    }
    return 0;
}
