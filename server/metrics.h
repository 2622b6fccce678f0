/*
 * metrics.h - thiduad's health and metrics endpoint, for Prometheus and for
 * load balancers.
 *
 * A tiny HTTP/1.0 responder on its own port ([metrics] listen, off unless
 * set), separate from the TLS port so that a scraper or a health check needs
 * no client certificate. It knows two requests:
 *
 *   GET /metrics  counters and gauges in the Prometheus text format (0.0.4),
 *                 every name prefixed thidua_
 *   GET /health   200 "ok" while the server serves, 503 with the reason when
 *                 it cannot (database unreachable, certificate or CRL expired,
 *                 shutting down)
 *
 * HEAD works too. Each connection carries one request: the answer is written,
 * then the connection is closed (no keep-alive). A request must arrive whole
 * within METRICS_REQUEST_TIMEOUT_MS and fit in METRICS_REQUEST_MAX bytes, and
 * at most METRICS_MAX_CONNS connections are served at once, so a slow or
 * hostile peer costs a bounded amount. There is no authentication: bind it to
 * the loopback or a management network only.
 *
 * Reading the counters costs nothing on the request path: the server's
 * stats and the pool's counters are plain integers, read when scraped.
 */
#ifndef THIDUAD_METRICS_H
#define THIDUAD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "defs.h"
#include "strbuf.h"

#define METRICS_REQUEST_MAX 8192
#define METRICS_REQUEST_TIMEOUT_MS 5000
#define METRICS_MAX_CONNS 16

typedef struct server server_t;
typedef struct metrics metrics_t;

/*
 * Listen on host:port (port 0: a free port, logged with event=metrics_listening)
 * and serve the server s, which must outlive the endpoint. *out receives the
 * endpoint on success. Returns 0 or -1 with one sentence in err.
 */
THIDUA_MUSTCHECK int metrics_start(server_t *s, const char *host, uint16_t port, metrics_t **out,
                                   char *err, size_t errlen);

/*
 * Close the listener and every connection still open. The endpoint frees
 * itself once libuv has closed its handles; m must not be used afterwards.
 * NULL is allowed.
 */
void metrics_stop(metrics_t *m);

/* Append the Prometheus text exposition of s's counters to sb. */
void metrics_render(const server_t *s, int64_t start_time, strbuf_t *sb);

/* NULL while s serves; otherwise why it cannot ("database unreachable", ...). */
const char *metrics_health(const server_t *s);

#endif
