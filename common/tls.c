/*
 * tls.c - building thidua's SSL_CTX for both sides, and reading the peer's
 * identity after the handshake.
 *
 * The policy (versions, ciphers, no resumption, client certificates) is set in
 * one function, tls_ctx_common(), so the server and the client cannot drift
 * apart. Files are checked for readability before OpenSSL sees them: its own
 * message for a missing file is far less helpful than strerror().
 */
#include "tls.h"
#include "error.h"
#include "hex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* TLS 1.2 only: forward secrecy and AEAD. TLS 1.3 suites are all fine as they are. */
static const char tls_ciphers_12[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                     "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const char tls_groups[] = "X25519:P-256:P-384";

/* Resumption is off, but OpenSSL wants an id context whenever it verifies clients. */
static const unsigned char tls_session_id_context[] = "thidua";

THIDUA_PRINTF(3, 4) static void tls_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* The first reason in OpenSSL's error queue (the root cause), then clear it. */
static const char *tls_queue_reason(char *buf, size_t size)
{
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) {
        snprintf(buf, size, "unknown error");
        return buf;
    }
    const char *reason = ERR_reason_error_string(e);
    if (reason != NULL)
        snprintf(buf, size, "%s", reason);
    else
        ERR_error_string_n(e, buf, size);
    return buf;
}

/*
 * Like tls_queue_reason, and also say whether the queue held lib/reason
 * anywhere (the interesting error is not always the first).
 */
static const char *tls_queue_scan(int lib, int reason, int *found, char *buf, size_t size)
{
    unsigned long first = ERR_peek_error(), e;
    *found = 0;
    while ((e = ERR_get_error()) != 0)
        if (ERR_GET_LIB(e) == lib && ERR_GET_REASON(e) == reason)
            *found = 1;
    const char *text = first != 0 ? ERR_reason_error_string(first) : "unknown error";
    if (text != NULL)
        snprintf(buf, size, "%s", text);
    else
        ERR_error_string_n(first, buf, size);
    return buf;
}

/* Open and close the file: strerror() says why OpenSSL would fail, in plain words. */
static int tls_check_readable(const char *path, const char *what, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        tls_seterr(err, errlen, "tls: cannot read %s %s: %s", what, path, strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

int tls_check_key_permissions(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        tls_seterr(err, errlen, "tls: cannot read key %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        tls_seterr(err, errlen, "tls: key %s is not a regular file", path);
        return -1;
    }
    mode_t mode = st.st_mode & 07777;
    int group_ok = (mode & (S_IWGRP | S_IXGRP)) == 0 && ((mode & S_IRGRP) == 0 || st.st_uid == 0);
    if ((mode & S_IRWXO) != 0 || !group_ok) {
        tls_seterr(err, errlen,
                   "tls: key %s has mode %04o: it must not be accessible by group or others "
                   "(chmod 600)",
                   path, (unsigned)mode);
        return -1;
    }
    return 0;
}

int64_t tls_asn1_seconds(const ASN1_TIME *t)
{
    struct tm tm;
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

int64_t tls_ctx_not_after(SSL_CTX *ctx)
{
    X509 *cert = SSL_CTX_get0_certificate(ctx);
    return cert != NULL ? tls_asn1_seconds(X509_get0_notAfter(cert)) : 0;
}

int tls_peer_recheck(SSL_CTX *ctx, SSL *ssl, char *err, size_t errlen)
{
    X509 *peer = SSL_get0_peer_certificate(ssl);
    X509_STORE_CTX *vctx = X509_STORE_CTX_new();
    int rc = TD_EREFUSED;
    if (peer == NULL || vctx == NULL) {
        tls_seterr(err, errlen, "%s", peer == NULL ? "no peer certificate" : "out of memory");
        X509_STORE_CTX_free(vctx);
        return peer == NULL ? TD_EREFUSED : TD_ENOMEM;
    }
    /* The chain the peer sent holds intermediates only on the server side: the CA is in the store. */
    if (X509_STORE_CTX_init(vctx, SSL_CTX_get_cert_store(ctx), peer, SSL_get_peer_cert_chain(ssl)) ==
            1 &&
        X509_STORE_CTX_set_purpose(vctx, X509_PURPOSE_SSL_CLIENT) == 1) {
        if (X509_verify_cert(vctx) == 1)
            rc = 0;
        else
            tls_seterr(err, errlen, "%s",
                       X509_verify_cert_error_string(X509_STORE_CTX_get_error(vctx)));
    } else {
        tls_seterr(err, errlen, "cannot set up the verification");
    }
    X509_STORE_CTX_free(vctx);
    return rc;
}

int64_t tls_ctx_crl_next_update(SSL_CTX *ctx)
{
    if (ctx == NULL)
        return 0;
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx));
    int64_t earliest = 0;
    for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        X509_OBJECT *o = sk_X509_OBJECT_value(objs, i);
        if (X509_OBJECT_get_type(o) != X509_LU_CRL)
            continue;
        int64_t next = tls_asn1_seconds(X509_CRL_get0_nextUpdate(X509_OBJECT_get0_X509_CRL(o)));
        if (next != 0 && (earliest == 0 || next < earliest))
            earliest = next;
    }
    return earliest;
}

/* Policy shared by both sides. */
static SSL_CTX *tls_ctx_common(const SSL_METHOD *method, char *err, size_t errlen)
{
    char reason[256];
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(method);
    if (ctx == NULL) {
        tls_seterr(err, errlen, "tls: cannot create a context: %s",
                   tls_queue_reason(reason, sizeof(reason)));
        return NULL;
    }
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx, tls_ciphers_12) != 1 ||
        SSL_CTX_set1_groups_list(ctx, tls_groups) != 1 ||
        SSL_CTX_set_session_id_context(ctx, tls_session_id_context,
                                       sizeof(tls_session_id_context) - 1) != 1 ||
        SSL_CTX_set_num_tickets(ctx, 0) != 1) {
        tls_seterr(err, errlen, "tls: cannot set the protocol policy: %s",
                   tls_queue_reason(reason, sizeof(reason)));
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_security_level(ctx, 2);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    /*
     * A retried SSL_write may come from the connection's own queue rather than
     * the caller's buffer; the bytes and length stay the same.
     */
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_verify_depth(ctx, 4);
    return ctx;
}

static int tls_load_ca(SSL_CTX *ctx, const char *ca_file, char *err, size_t errlen)
{
    char reason[256];
    if (ca_file == NULL || ca_file[0] == '\0') {
        tls_seterr(err, errlen, "tls: no CA file configured");
        return -1;
    }
    if (tls_check_readable(ca_file, "CA certificate", err, errlen) != 0)
        return -1;
    ERR_clear_error();
    if (SSL_CTX_load_verify_file(ctx, ca_file) != 1) {
        tls_seterr(err, errlen, "tls: cannot read CA certificate %s: %s", ca_file,
                   tls_queue_reason(reason, sizeof(reason)));
        return -1;
    }
    return 0;
}

static int tls_load_own(SSL_CTX *ctx, const tls_files_t *files, char *err, size_t errlen)
{
    char reason[256];
    if (files->cert_file == NULL || files->key_file == NULL) {
        tls_seterr(err, errlen, "tls: a certificate needs both a certificate and a key file");
        return -1;
    }
    if (tls_check_readable(files->cert_file, "certificate", err, errlen) != 0)
        return -1;
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(ctx, files->cert_file) != 1) {
        tls_seterr(err, errlen, "tls: cannot read certificate %s: %s", files->cert_file,
                   tls_queue_reason(reason, sizeof(reason)));
        return -1;
    }
    if (tls_check_key_permissions(files->key_file, err, errlen) != 0)
        return -1;
    if (tls_check_readable(files->key_file, "key", err, errlen) != 0)
        return -1;
    ERR_clear_error();
    int mismatch = 0;
    if (SSL_CTX_use_PrivateKey_file(ctx, files->key_file, SSL_FILETYPE_PEM) != 1) {
        /* Loading already compares the key with the certificate. */
        tls_queue_scan(ERR_LIB_X509, X509_R_KEY_VALUES_MISMATCH, &mismatch, reason, sizeof(reason));
        if (!mismatch) {
            tls_seterr(err, errlen, "tls: cannot read key %s: %s", files->key_file, reason);
            return -1;
        }
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
        mismatch = 1;
    }
    if (mismatch) {
        ERR_clear_error();
        tls_seterr(err, errlen, "tls: key %s does not match certificate %s", files->key_file,
                   files->cert_file);
        return -1;
    }
    return 0;
}

/* The CA certificate in store whose key signed crl, or NULL. */
static X509 *tls_crl_issuer(X509_STORE *store, X509_CRL *crl)
{
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
        if (ca == NULL || X509_NAME_cmp(X509_get_subject_name(ca), X509_CRL_get_issuer(crl)) != 0)
            continue;
        EVP_PKEY *key = X509_get0_pubkey(ca);
        if (key != NULL && X509_CRL_verify(crl, key) == 1)
            return ca;
    }
    ERR_clear_error();
    return NULL;
}

/*
 * Load every CRL in the file into the context's store and turn on revocation
 * checking of the peer's certificate. Mistakes that would otherwise show up
 * only as refused clients (wrong CA, expired list) are reported now.
 */
static int tls_load_crl(SSL_CTX *ctx, const char *crl_file, char *err, size_t errlen)
{
    char reason[256];
    if (tls_check_readable(crl_file, "CRL", err, errlen) != 0)
        return -1;
    ERR_clear_error();
    BIO *bio = BIO_new_file(crl_file, "r");
    if (bio == NULL) {
        tls_seterr(err, errlen, "tls: cannot read CRL %s: %s", crl_file,
                   tls_queue_reason(reason, sizeof(reason)));
        return -1;
    }
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    int count = 0, rc = 0;
    X509_CRL *crl;
    while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
        const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
        if (tls_crl_issuer(store, crl) == NULL) {
            tls_seterr(err, errlen, "tls: CRL %s is not signed by the CA", crl_file);
            rc = -1;
        } else if (next != NULL && X509_cmp_current_time(next) < 0) {
            tls_seterr(err, errlen,
                       "tls: CRL %s expired (next update was due); issue a new one "
                       "(scripts/pki crl)",
                       crl_file);
            rc = -1;
        } else if (X509_STORE_add_crl(store, crl) != 1) {
            tls_seterr(err, errlen, "tls: cannot use CRL %s: %s", crl_file,
                       tls_queue_reason(reason, sizeof(reason)));
            rc = -1;
        }
        X509_CRL_free(crl);
        if (rc != 0)
            break;
        count++;
    }
    BIO_free(bio);
    if (rc != 0)
        return -1;
    /* The loop ends on "no start line" at the end of the file: not an error once we have one. */
    unsigned long e = ERR_peek_last_error();
    if (count == 0 || (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) != PEM_R_NO_START_LINE)) {
        tls_seterr(err, errlen, "tls: cannot read CRL %s: %s", crl_file,
                   count == 0 ? "no CRL in the file" : tls_queue_reason(reason, sizeof(reason)));
        return -1;
    }
    ERR_clear_error();
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    return 0;
}

SSL_CTX *tls_server_ctx_new(const tls_files_t *files, char *err, size_t errlen)
{
    char reason[256];
    SSL_CTX *ctx = tls_ctx_common(TLS_server_method(), err, errlen);
    if (ctx == NULL)
        return NULL;
    if (tls_load_own(ctx, files, err, errlen) != 0 ||
        tls_load_ca(ctx, files->ca_file, err, errlen) != 0)
        goto fail;
    if (files->crl_file != NULL && files->crl_file[0] != '\0' &&
        tls_load_crl(ctx, files->crl_file, err, errlen) != 0)
        goto fail;

    /* Tell clients which CA we accept, so one holding several certificates can choose. */
    ERR_clear_error();
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(files->ca_file);
    if (names == NULL) {
        tls_seterr(err, errlen, "tls: cannot read CA certificate %s: %s", files->ca_file,
                   tls_queue_reason(reason, sizeof(reason)));
        goto fail;
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    return ctx;

fail:
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *tls_client_ctx_new(const tls_files_t *files, char *err, size_t errlen)
{
    if (files->crl_file != NULL) {
        tls_seterr(err, errlen, "tls: a client does not check a CRL");
        return NULL;
    }
    SSL_CTX *ctx = tls_ctx_common(TLS_client_method(), err, errlen);
    if (ctx == NULL)
        return NULL;
    if (tls_load_ca(ctx, files->ca_file, err, errlen) != 0)
        goto fail;
    if ((files->cert_file != NULL || files->key_file != NULL) &&
        tls_load_own(ctx, files, err, errlen) != 0)
        goto fail;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;

fail:
    SSL_CTX_free(ctx);
    return NULL;
}

int tls_set_peer_host(SSL *ssl, const char *host, char *err, size_t errlen)
{
    char reason[256];
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    ERR_clear_error();
    /* An IP address is matched against IP subjectAltNames and is never sent as SNI. */
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host) == 1)
        return 0;
    ERR_clear_error();
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (X509_VERIFY_PARAM_set1_host(param, host, 0) != 1 ||
        SSL_set_tlsext_host_name(ssl, host) != 1) {
        tls_seterr(err, errlen, "tls: cannot use host name %s: %s", host,
                   tls_queue_reason(reason, sizeof(reason)));
        return -1;
    }
    return 0;
}

/*
 * Copy the single entry nid of name as UTF-8 into out. Absent: "" and 0 unless
 * required. Refuses duplicates, embedded NULs and control characters (the
 * value goes into logs and the audit trail).
 */
static int tls_name_entry(X509_NAME *name, int nid, const char *label, int required, char *out,
                          size_t size, char *err, size_t errlen)
{
    out[0] = '\0';
    int idx = X509_NAME_get_index_by_NID(name, nid, -1);
    if (idx < 0) {
        if (!required)
            return 0;
        tls_seterr(err, errlen, "tls: peer certificate has no %s", label);
        return -1;
    }
    if (X509_NAME_get_index_by_NID(name, nid, idx) >= 0) {
        tls_seterr(err, errlen, "tls: peer certificate has more than one %s", label);
        return -1;
    }
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
    if (len < 0) {
        ERR_clear_error();
        tls_seterr(err, errlen, "tls: peer certificate has an unreadable %s", label);
        return -1;
    }
    int bad = (size_t)len >= size || (len == 0 && required);
    for (int i = 0; i < len && !bad; i++)
        bad = utf8[i] < 0x20 || utf8[i] == 0x7f;
    if (bad) {
        OPENSSL_free(utf8);
        tls_seterr(err, errlen, "tls: peer certificate has an invalid %s", label);
        return -1;
    }
    memcpy(out, utf8, (size_t)len);
    out[len] = '\0';
    OPENSSL_free(utf8);
    return 0;
}

int tls_peer_identity(SSL *ssl, tls_peer_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    X509 *cert = SSL_get0_peer_certificate(ssl);
    if (cert == NULL) {
        tls_seterr(err, errlen, "tls: the peer sent no certificate");
        return -1;
    }

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    ERR_clear_error();
    if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32) {
        ERR_clear_error();
        tls_seterr(err, errlen, "tls: cannot compute the certificate fingerprint");
        return -1;
    }
    hex_encode(md, mdlen, out->fingerprint);

    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *serial = bn != NULL ? BN_bn2hex(bn) : NULL;
    if (serial != NULL && strlen(serial) < sizeof(out->serial))
        memcpy(out->serial, serial, strlen(serial) + 1);
    OPENSSL_free(serial);
    BN_free(bn);
    ERR_clear_error();

    out->not_after = tls_asn1_seconds(X509_get0_notAfter(cert));

    X509_NAME *subject = X509_get_subject_name(cert);
    if (tls_name_entry(subject, NID_commonName, "CN (unit code)", 1, out->unit, sizeof(out->unit),
                       err, errlen) != 0 ||
        tls_name_entry(subject, NID_organizationalUnitName, "OU (role)", 0, out->role,
                       sizeof(out->role), err, errlen) != 0)
        return -1;
    return 0;
}

/* Alerts a peer sends when it does not accept our certificate. */
static int tls_is_certificate_alert(int alert)
{
    switch (alert) {
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_ACCESS_DENIED:
    case SSL_AD_CERTIFICATE_REQUIRED:
        return 1;
    default:
        return 0;
    }
}

const char *tls_ssl_error(SSL *ssl, int ssl_error, char *buf, size_t size)
{
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    const char *peer = SSL_is_server(ssl) ? "client" : "server";

    switch (ssl_error) {
    case SSL_ERROR_ZERO_RETURN:
        snprintf(buf, size, "the %s closed the TLS session", peer);
        return buf;
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        snprintf(buf, size, "TLS operation would block");
        return buf;
    case SSL_ERROR_SYSCALL:
        /* With memory BIOs there is no system call: the stream simply ended. */
        snprintf(buf, size, "the connection ended in the middle of a TLS record");
        return buf;
    case SSL_ERROR_SSL:
        break;
    default:
        snprintf(buf, size, "TLS error %d", ssl_error);
        return buf;
    }

    if (e == 0) {
        snprintf(buf, size, "TLS protocol error");
        return buf;
    }
    char reason[256];
    const char *r = ERR_reason_error_string(e);
    if (r == NULL) {
        ERR_error_string_n(e, reason, sizeof(reason));
        r = reason;
    }
    int why = ERR_GET_REASON(e);
    if (ERR_GET_LIB(e) != ERR_LIB_SSL) {
        snprintf(buf, size, "%s", r);
    } else if (why == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        long v = SSL_get_verify_result(ssl);
        snprintf(buf, size, "%s certificate refused: %s", peer,
                 v != X509_V_OK ? X509_verify_cert_error_string(v) : r);
    } else if (why == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
        snprintf(buf, size, "%s certificate refused: %s", peer, r);
    } else if (why > SSL_AD_REASON_OFFSET && why < SSL_AD_REASON_OFFSET + 256) {
        if (tls_is_certificate_alert(why - SSL_AD_REASON_OFFSET))
            snprintf(buf, size, "the %s refused our certificate: %s", peer, r);
        else
            snprintf(buf, size, "the %s sent an alert: %s", peer, r);
    } else {
        snprintf(buf, size, "%s", r);
    }
    return buf;
}
