/*
 * clientcfg.h - the client's configuration file.
 *
 *   [server]
 *   address = province.example.vn:7443
 *   [tls]
 *   ca   = /etc/thidua/ca.crt
 *   cert = /etc/thidua/934-district.crt
 *   key  = /etc/thidua/934-district.key
 *   [store]
 *   path = /var/lib/thidua/934.db
 *   [display]
 *   language = vi          (vi, en, or auto: as the locale says; the default)
 *
 * Found with -c FILE, else $THIDUA_CONFIG, else ./thidua.conf. Relative paths
 * inside the file are taken relative to the file's own folder, so a district
 * office can move the folder as a whole.
 */
#ifndef THIDUA_CLIENT_CLIENTCFG_H
#define THIDUA_CLIENT_CLIENTCFG_H

#include <stddef.h>
#include <stdint.h>
#include "confutil.h"
#include "defs.h"
#include "i18n.h"

/* Owns every string; free with clientcfg_free(). */
typedef struct client_config {
    char *path;        /* the file read */
    char *address;     /* HOST:PORT as written */
    char host[CONFUTIL_HOST_MAX];
    uint16_t port;
    char *tls_ca;
    char *tls_cert;
    char *tls_key;
    char *store_path;
    uint64_t connect_timeout_ms;
    uint32_t retries;  /* sync attempts before giving up */
    i18n_lang_t language;
    /* [console]: serving `thidua ui` beyond this machine (off unless all are set) */
    int ui_network;    /* network = yes: a non-loopback --listen is allowed */
    char *ui_name;     /* name = the host name browsers use (Host check, the URL) */
    char *ui_tls_cert; /* tls_cert, tls_key = the console's own certificate (PEM) */
    char *ui_tls_key;
} client_config_t;

void clientcfg_init(client_config_t *cfg);
void clientcfg_free(client_config_t *cfg);

/* The path to use: explicit, else $THIDUA_CONFIG, else "thidua.conf". */
const char *clientcfg_locate(const char *explicit_path);

/* Read the file; -1 with a sentence naming the file, line and key. */
THIDUA_MUSTCHECK int clientcfg_load(client_config_t *cfg, const char *path, char *err,
                                    size_t errlen);

/* Check that what `need_network` commands require is set and readable. */
THIDUA_MUSTCHECK int clientcfg_check_network(const client_config_t *cfg, char *err, size_t errlen);

/* Write a configuration file (mode 0600); -1 with the reason. */
THIDUA_MUSTCHECK int clientcfg_write(const char *path, const char *address, const char *ca,
                                     const char *cert, const char *key, const char *store,
                                     char *err, size_t errlen);

#endif
