/*
 * i18n.h - the language people read: gettext's catalogue of thidua.
 *
 * Every sentence a person reads is written in English in the source, marked
 * _("...") where it is printed or N_("...") where it is only stored (a table
 * of command summaries), and translated from po/vi.po at run time. The
 * language is Vietnamese when the locale says so (LANG=vi_VN.UTF-8) or the
 * configuration says `language = vi`, English otherwise. Machine output
 * (--json, exit codes, the wire) never changes with it: a program that
 * prints JSON asks for English (i18n_use(I18N_EN)) before it prints
 * anything, and thiduad never translates what it sends.
 *
 * Only LC_CTYPE and LC_MESSAGES follow the environment: numbers, times and
 * sorting stay those of the C locale (JSON needs "1.5", never "1,5"; the
 * Vietnamese order comes from ICU, not from the C library).
 */
#ifndef THIDUA_I18N_H
#define THIDUA_I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)

/* The catalogue's name: po/thidua.pot, share/locale/LANG/LC_MESSAGES/thidua.mo. */
#define I18N_DOMAIN "thidua"

typedef enum {
    I18N_AUTO = 0, /* as the locale says */
    I18N_EN,
    I18N_VI,
} i18n_lang_t;

/*
 * Set up the catalogue, in the language of the environment. The catalogue
 * is looked for in share/locale beside the program (bin/../share/locale:
 * the build tree and every install prefix alike), then in the prefix it was
 * built for. Call once, first thing in main.
 */
void i18n_init(void);

/* Read a `language` setting: "vi", "en" or "auto" (any case). 0, or -1 if unknown. */
int i18n_lang_parse(const char *s, i18n_lang_t *out);

/* Use that language from now on; I18N_AUTO goes back to the environment's. */
void i18n_use(i18n_lang_t lang);

/* Whether what is printed now is Vietnamese. */
int i18n_is_vi(void);

#endif
