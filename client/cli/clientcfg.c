/*
 * clientcfg.c - reading and writing the client's INI file.
 */
#include "clientcfg.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void clientcfg_init(client_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->connect_timeout_ms = 10 * 1000;
    cfg->retries = 8;
}

void clientcfg_free(client_config_t *cfg)
{
    free(cfg->path);
    free(cfg->address);
    free(cfg->tls_ca);
    free(cfg->tls_cert);
    free(cfg->tls_key);
    free(cfg->store_path);
    free(cfg->ui_name);
    free(cfg->ui_tls_cert);
    free(cfg->ui_tls_key);
    memset(cfg, 0, sizeof(*cfg));
}

const char *clientcfg_locate(const char *explicit_path)
{
    if (explicit_path != NULL && explicit_path[0] != '\0')
        return explicit_path;
    const char *env = getenv("THIDUA_CONFIG");
    if (env != NULL && env[0] != '\0')
        return env;
    return "thidua.conf";
}

typedef struct {
    client_config_t *cfg;
    char dir[4096]; /* folder of the file, for relative paths */
    char why[512];
    int failed;
} clientcfg_load_t;

/* Store value in *slot, made relative to the file's folder when it is a relative path. */
static int clientcfg_set_path(clientcfg_load_t *st, char **slot, const char *value)
{
    if (value[0] == '/' || value[0] == '\0' || strcmp(st->dir, ".") == 0)
        return confutil_set_string(slot, value);
    char buf[8192];
    int n = snprintf(buf, sizeof(buf), "%s/%s", st->dir, value);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return -1;
    return confutil_set_string(slot, buf);
}

static int clientcfg_handler(void *user, const char *section, const char *key, const char *value)
{
    clientcfg_load_t *st = user;
    client_config_t *cfg = st->cfg;
    int rc = 0;

    if (st->failed)
        return 0;
    if (strcmp(section, "server") == 0 && strcmp(key, "address") == 0) {
        rc = confutil_hostport(value, cfg->host, &cfg->port, st->why, sizeof(st->why));
        if (rc == 0)
            rc = confutil_set_string(&cfg->address, value);
    } else if (strcmp(section, "server") == 0 && strcmp(key, "connect_timeout") == 0) {
        rc = confutil_duration_ms(value, 100, 600 * 1000, &cfg->connect_timeout_ms, st->why,
                                  sizeof(st->why));
    } else if (strcmp(section, "server") == 0 && strcmp(key, "retries") == 0) {
        uint64_t v;
        rc = confutil_size(value, 0, 1000, &v, st->why, sizeof(st->why));
        cfg->retries = (uint32_t)v;
    } else if (strcmp(section, "tls") == 0 && strcmp(key, "ca") == 0) {
        rc = clientcfg_set_path(st, &cfg->tls_ca, value);
    } else if (strcmp(section, "tls") == 0 && strcmp(key, "cert") == 0) {
        rc = clientcfg_set_path(st, &cfg->tls_cert, value);
    } else if (strcmp(section, "tls") == 0 && strcmp(key, "key") == 0) {
        rc = clientcfg_set_path(st, &cfg->tls_key, value);
    } else if (strcmp(section, "store") == 0 && strcmp(key, "path") == 0) {
        rc = clientcfg_set_path(st, &cfg->store_path, value);
    } else if (strcmp(section, "console") == 0 && strcmp(key, "network") == 0) {
        rc = confutil_bool(value, &cfg->ui_network, st->why, sizeof(st->why));
    } else if (strcmp(section, "console") == 0 && strcmp(key, "name") == 0) {
        rc = confutil_set_string(&cfg->ui_name, value);
    } else if (strcmp(section, "console") == 0 && strcmp(key, "tls_cert") == 0) {
        rc = clientcfg_set_path(st, &cfg->ui_tls_cert, value);
    } else if (strcmp(section, "console") == 0 && strcmp(key, "tls_key") == 0) {
        rc = clientcfg_set_path(st, &cfg->ui_tls_key, value);
    } else if (strcmp(section, "display") == 0 && strcmp(key, "language") == 0) {
        rc = i18n_lang_parse(value, &cfg->language);
        if (rc != 0)
            snprintf(st->why, sizeof(st->why), _("[display] language: \"%s\" is not vi, en or auto"),
                     value);
    } else {
        snprintf(st->why, sizeof(st->why), _("unknown setting [%s] %s"), section, key);
        rc = -1;
    }
    if (rc != 0) {
        if (st->why[0] == '\0')
            snprintf(st->why, sizeof(st->why), _("[%s] %s: out of memory"), section, key);
        st->failed = 1;
        return 0;
    }
    return 1;
}

int clientcfg_load(client_config_t *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen,
                 _("cannot read configuration file %s: %s (create one with "
                   "`thidua -c %s init ...`)"),
                 path, strerror(errno), path);
        return -1;
    }
    clientcfg_load_t st;
    memset(&st, 0, sizeof(st));
    st.cfg = cfg;
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    snprintf(st.dir, sizeof(st.dir), "%s", dirname(tmp));

    int line = ini_parse_file(f, clientcfg_handler, &st);
    fclose(f);
    if (line != 0) {
        snprintf(err, errlen, _("%s line %d: %s"), path, line, st.why[0] ? st.why : _("syntax error"));
        return -1;
    }
    if (confutil_set_string(&cfg->path, path) != 0) {
        snprintf(err, errlen, "%s", _("out of memory"));
        return -1;
    }
    if (cfg->store_path == NULL) {
        snprintf(err, errlen, _("%s: [store] path is not set"), path);
        return -1;
    }
    return 0;
}

int clientcfg_check_network(const client_config_t *cfg, char *err, size_t errlen)
{
    const struct {
        const char *what;
        const char *value;
    } need[] = {
        {"[server] address", cfg->address},
        {"[tls] ca", cfg->tls_ca},
        {"[tls] cert", cfg->tls_cert},
        {"[tls] key", cfg->tls_key},
    };
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(need); i++) {
        if (need[i].value == NULL) {
            snprintf(err, errlen, _("%s: %s is not set"), cfg->path, need[i].what);
            return -1;
        }
        if (i > 0 && access(need[i].value, R_OK) != 0) {
            snprintf(err, errlen, "%s %s: %s", need[i].what, need[i].value, strerror(errno));
            return -1;
        }
    }
    return 0;
}

int clientcfg_write(const char *path, const char *address, const char *ca, const char *cert,
                    const char *key, const char *store, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, _("cannot write %s: %s"), path, strerror(errno));
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        snprintf(err, errlen, _("cannot write %s: %s"), path, strerror(errno));
        close(fd);
        return -1;
    }
    fprintf(f,
            "# thidua client configuration (see docs/district-guide.md)\n"
            "[server]\naddress = %s\n\n[tls]\nca = %s\ncert = %s\nkey = %s\n\n"
            "[store]\npath = %s\n",
            address, ca, cert, key, store);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        snprintf(err, errlen, _("cannot write %s: %s"), path, strerror(errno));
        fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        snprintf(err, errlen, _("cannot write %s: %s"), path, strerror(errno));
        return -1;
    }
    return 0;
}
