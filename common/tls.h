/*
 * tls.h - OpenSSL contexts for thidua's mutual TLS, and the identity a peer
 * certificate carries.
 *
 * Both binaries build their SSL_CTX here, so the policy lives in one place:
 * TLS 1.2 at least (1.3 preferred), ECDHE with AEAD ciphers only, no
 * renegotiation, and no session resumption at all (tickets and the session
 * cache are off): a resumed session skips the client-certificate check, so a
 * revoked certificate could otherwise keep working.
 *
 * The server requires a client certificate signed by the province CA and, if
 * a CRL file is configured, not revoked. The client verifies the server's
 * certificate and its host name (tls_set_peer_host, per connection).
 *
 * An SSL_CTX is reference-counted: every SSL made from it holds a reference.
 * To reload certificates (SIGHUP), build a new context, use it for new
 * connections and SSL_CTX_free() the old one; open connections keep theirs.
 *
 * Errors are returned as text in the caller's buffer, naming the file and
 * OpenSSL's reason, e.g. "tls: cannot read certificate x.crt: No such file or
 * directory". TLS_ERRLEN is a size that always fits.
 */
#ifndef THIDUA_TLS_H
#define THIDUA_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "defs.h"

enum { TLS_ERRLEN = 512 };

/*
 * The files a context is built from (PEM). The strings are only read during
 * the call.
 */
typedef struct tls_files {
    const char *ca_file;   /* required: the CA that signs the peer's certificate */
    const char *cert_file; /* our certificate (chain); server: required, client: NULL = none */
    const char *key_file;  /* its private key: see tls_check_key_permissions */
    const char *crl_file;  /* server, optional: revocation list(s) of the CA; NULL = no check */
} tls_files_t;

/*
 * Build a server context: our certificate and key (checked to match), client
 * certificates required and verified against ca_file (and crl_file when given:
 * a CRL not signed by the CA, or already past its nextUpdate, is an error).
 * Returns NULL and a message in err on failure.
 */
THIDUA_MUSTCHECK SSL_CTX *tls_server_ctx_new(const tls_files_t *files, char *err, size_t errlen);

/*
 * Build a client context: the server's certificate is verified against
 * ca_file; cert_file/key_file are the client certificate (both NULL for a
 * client without one: only tests want that). crl_file must be NULL.
 * Each SSL also needs tls_set_peer_host() before the handshake.
 */
THIDUA_MUSTCHECK SSL_CTX *tls_client_ctx_new(const tls_files_t *files, char *err, size_t errlen);

/*
 * A private key must not be readable by anyone but its owner: refuse a path
 * that is not a regular file, or whose mode gives anything to others, or to
 * the group (except read, when root owns the file: the usual root:group 0640
 * arrangement for a service account). Context building calls this for every
 * key; the server refuses to start on failure. Returns 0 or -1 with err set.
 */
THIDUA_MUSTCHECK int tls_check_key_permissions(const char *path, char *err, size_t errlen);

/*
 * Client side: send host as SNI (unless it is an IP address, which SNI does
 * not allow) and require the server certificate to match it (DNS name or IP
 * address subjectAltName). Returns 0 or -1 with err set.
 */
THIDUA_MUSTCHECK int tls_set_peer_host(SSL *ssl, const char *host, char *err, size_t errlen);

/* Who the peer's certificate says it is; filled after a completed handshake. */
typedef struct tls_peer {
    char unit[65];        /* subject CN: the org unit code, e.g. "93-934" */
    char role[33];        /* subject OU: "district" or "province"; "" if absent */
    char fingerprint[65]; /* SHA-256 of the DER certificate, lowercase hex */
    char serial[41];      /* serial number, uppercase hex (as `scripts/pki list` shows it) */
    int64_t not_after;    /* end of validity, Unix seconds (UTC) */
} tls_peer_t;

/*
 * Read the peer's identity. Fails (-1, err set) when there is no peer
 * certificate, when the subject has no CN or more than one CN or OU, or when
 * they hold control characters or do not fit. On failure the fingerprint,
 * serial and not_after are still filled when a certificate exists.
 */
THIDUA_MUSTCHECK int tls_peer_identity(SSL *ssl, tls_peer_t *out, char *err, size_t errlen);

/*
 * Explain why an SSL_* call on ssl failed. ssl_error is SSL_get_error() of
 * that call, taken right after it. Consumes OpenSSL's error queue (callers
 * clear it with ERR_clear_error() before each SSL_* call). Verification
 * failures name the reason ("client certificate refused: certificate
 * revoked"); an alert from the peer about our certificate says so ("the
 * server refused our certificate: tlsv13 alert certificate required").
 * Returns buf.
 */
const char *tls_ssl_error(SSL *ssl, int ssl_error, char *buf, size_t size);

/* An ASN1_TIME as Unix seconds (UTC); 0 when absent or unreadable. */
int64_t tls_asn1_seconds(const ASN1_TIME *t);
/* notAfter of the context's own certificate (Unix seconds), 0 if none. */
int64_t tls_ctx_not_after(SSL_CTX *ctx);
/* The earliest nextUpdate of the CRLs the context checks against; 0 without a CRL. */
int64_t tls_ctx_crl_next_update(SSL_CTX *ctx);

/*
 * Verify again the peer certificate of an established ssl against ctx's CA
 * and CRL (a context loaded since the handshake, on reload): 0 if it still
 * passes, else TD_EREFUSED with the verifier's reason in err ("certificate
 * revoked"). A session whose certificate is revoked must not outlive the CRL
 * that says so.
 */
THIDUA_MUSTCHECK int tls_peer_recheck(SSL_CTX *ctx, SSL *ssl, char *err, size_t errlen);

#endif
