/*
 * cmd_ping.c - `thidua ping`: can this office reach the province, and as whom?
 *
 * Connects with the office's certificate, says Hello, sends a few Pings and
 * prints what the server sees (unit, role, certificate fingerprint) and the
 * round-trip times. The first thing to run after installing a certificate.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"
#include "rpc.h"

static const char *role_name(Thidua__V1__Role r)
{
    switch (r) {
    case THIDUA__V1__ROLE__ROLE_DISTRICT: return "district";
    case THIDUA__V1__ROLE__ROLE_PROVINCE: return "province";
    default: return "unknown";
    }
}

/* The role as people say it; JSON keeps role_name(). */
static const char *role_label(Thidua__V1__Role r)
{
    switch (r) {
    case THIDUA__V1__ROLE__ROLE_DISTRICT: return _("district");
    case THIDUA__V1__ROLE__ROLE_PROVINCE: return _("province");
    default: return _("unknown");
    }
}

static void ping_text(const cli_t *cli, const Thidua__V1__Welcome *w, double connect_ms, double min,
                      double avg, double max, long count)
{
    char d1[DATE_STR_SIZE], d2[DATE_STR_SIZE];
    printf(_("server:      %s at %s\n"), w->server_version, cli->cfg.address);
    printf(_("unit:        %s (%s)\n"), w->org_unit_name, w->org_unit);
    printf(_("role:        %s\n"), role_label(w->role));
    printf(_("certificate: %s\n"), w->certificate_fingerprint);
    if (w->campaign != NULL)
        printf(_("campaign:    %s (%s, %s to %s)\n"), w->campaign->name, w->campaign->code,
               out_date_vn(w->campaign->starts_on, d1), out_date_vn(w->campaign->ends_on, d2));
    char note[800];
    if (out_unit_closed_note(w, note, sizeof(note))[0] != '\0')
        printf(_("closed:      %s\n"), note);
    printf(_("connect:     %.1f ms\n"), connect_ms);
    printf(ngettext("round trip:  min %.2f / avg %.2f / max %.2f ms over %ld ping\n",
                    "round trip:  min %.2f / avg %.2f / max %.2f ms over %ld pings\n", count),
           min, avg, max, count);
}

int cmd_ping(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"count", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long count = 3;
    int opt;
    while ((opt = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            count = strtol(optarg, NULL, 10);
            if (count < 1 || count > 100000) {
                cli_error("%s", _("ping: --count must be 1 to 100000"));
                return CLI_EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(_("usage: thidua ping [-n COUNT]\n\n"
                    "Connect to the server, show the unit and role it sees for this\n"
                    "office's certificate, and measure the round-trip time.\n"),
                  stdout);
            return CLI_EXIT_OK;
        default: return CLI_EXIT_USAGE;
        }
    }
    int rc = cli_load_config(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    char err[1024];
    if (clientcfg_check_network(&cli->cfg, err, sizeof(err)) != 0) {
        cli_error("%s", err);
        return CLI_EXIT_STORE;
    }

    rpc_t rpc;
    uint64_t t0 = uv_hrtime();
    rc = rpc_open(&rpc, &cli->cfg, err, sizeof(err));
    if (rc != 0) {
        cli_error(_("cannot connect: %s"), err);
        return cli_rpc_exit(rc);
    }
    double connect_ms = (double)(uv_hrtime() - t0) / 1e6;

    double min = 0, max = 0, sum = 0;
    for (long i = 0; i < count; i++) {
        Thidua__V1__Ping ping = THIDUA__V1__PING__INIT;
        ping.nonce = (uint64_t)i + 1;
        Thidua__V1__Envelope *reply;
        uint64_t t = uv_hrtime();
        rc = rpc_call(&rpc, &ping.base, &reply);
        if (rc != 0) {
            cli_error(_("ping failed: %s"), rpc_error(&rpc));
            rpc_close(&rpc);
            return cli_rpc_exit(rc);
        }
        double ms = (double)(uv_hrtime() - t) / 1e6;
        int ok = reply->body_case == THIDUA__V1__ENVELOPE__BODY_PONG &&
                 reply->pong->nonce == ping.nonce;
        thidua__v1__envelope__free_unpacked(reply, NULL);
        if (!ok) {
            cli_error("%s", _("the server answered Ping with something else"));
            rpc_close(&rpc);
            return CLI_EXIT_NETWORK;
        }
        if (i == 0 || ms < min)
            min = ms;
        if (ms > max)
            max = ms;
        sum += ms;
    }

    const Thidua__V1__Welcome *w = rpc.welcome;
    if (cli->json) {
        printf("{\"server\":\"%s\",\"unit\":\"%s\",\"unit_name\":\"%s\",\"role\":\"%s\","
               "\"fingerprint\":\"%s\",\"campaign\":\"%s\",\"connect_ms\":%.3f,"
               "\"rtt_min_ms\":%.3f,\"rtt_avg_ms\":%.3f,\"rtt_max_ms\":%.3f,\"pings\":%ld}\n",
               w->server_version, w->org_unit, w->org_unit_name, role_name(w->role),
               w->certificate_fingerprint, w->campaign ? w->campaign->code : "", connect_ms,
               min, sum / (double)count, max, count);
    } else {
        ping_text(cli, w, connect_ms, min, sum / (double)count, max, count);
    }
    rpc_close(&rpc);
    return CLI_EXIT_OK;
}
