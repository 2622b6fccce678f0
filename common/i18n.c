/*
 * i18n.c - which catalogue, which language (i18n.h).
 *
 * gettext picks the language from LANGUAGE, then LC_MESSAGES; it ignores
 * both when LC_MESSAGES is the C locale. To force Vietnamese where the
 * environment is C, LC_MESSAGES is set to vi_VN.UTF-8 when that locale is
 * installed, and to C.UTF-8 with LANGUAGE=vi otherwise (which glibc honours,
 * C.UTF-8 not being "C"). To force English, LANGUAGE is cleared and
 * LC_MESSAGES set to C.UTF-8.
 */
#include "i18n.h"

#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef THIDUA_LOCALEDIR
#define THIDUA_LOCALEDIR "/usr/share/locale"
#endif

/* What the environment said at i18n_init, to go back to it. */
static char env_messages[128];
static char env_language[128];
static int env_language_set;

/* dir = the directory of this program, "/../share/locale" appended; 0 if it exists. */
static int locale_beside_program(char *dir, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return -1;
    *slash = '\0';
    struct stat st;
    size_t need = strlen(exe) + sizeof("/../share/locale");
    if (need > size)
        return -1;
    memcpy(dir, exe, strlen(exe));
    memcpy(dir + strlen(exe), "/../share/locale", sizeof("/../share/locale"));
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

void i18n_init(void)
{
    setlocale(LC_CTYPE, "");
    const char *m = setlocale(LC_MESSAGES, "");
    if (m == NULL)
        m = "C";
    size_t len = strlen(m);
    if (len >= sizeof(env_messages))
        len = sizeof(env_messages) - 1;
    memcpy(env_messages, m, len);
    env_messages[len] = '\0';
    const char *l = getenv("LANGUAGE");
    env_language_set = l != NULL;
    if (l != NULL) {
        len = strlen(l);
        if (len >= sizeof(env_language))
            len = sizeof(env_language) - 1;
        memcpy(env_language, l, len);
        env_language[len] = '\0';
    }

    char dir[PATH_MAX];
    bindtextdomain(I18N_DOMAIN,
                   locale_beside_program(dir, sizeof(dir)) == 0 ? dir : THIDUA_LOCALEDIR);
    bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
    textdomain(I18N_DOMAIN);
}

int i18n_lang_parse(const char *s, i18n_lang_t *out)
{
    if (strcasecmp(s, "vi") == 0)
        *out = I18N_VI;
    else if (strcasecmp(s, "en") == 0)
        *out = I18N_EN;
    else if (strcasecmp(s, "auto") == 0)
        *out = I18N_AUTO;
    else
        return -1;
    return 0;
}

void i18n_use(i18n_lang_t lang)
{
    switch (lang) {
    case I18N_VI:
        if (setlocale(LC_MESSAGES, "vi_VN.UTF-8") != NULL) {
            unsetenv("LANGUAGE");
        } else {
            setlocale(LC_MESSAGES, "C.UTF-8");
            setenv("LANGUAGE", "vi", 1);
        }
        break;
    case I18N_EN:
        unsetenv("LANGUAGE");
        setlocale(LC_MESSAGES, "C.UTF-8");
        break;
    case I18N_AUTO:
        if (env_language_set)
            setenv("LANGUAGE", env_language, 1);
        else
            unsetenv("LANGUAGE");
        setlocale(LC_MESSAGES, env_messages);
        break;
    }
    /* gettext caches its answers per language: make it look again. */
    textdomain(I18N_DOMAIN);
}

int i18n_is_vi(void)
{
    /* The catalogue's own header entry says which language answered. */
    const char *probe = gettext("");
    const char *lang = probe != NULL ? strstr(probe, "Language: ") : NULL;
    return lang != NULL && strncmp(lang + strlen("Language: "), "vi", 2) == 0;
}
