/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_station.c: `lucent station [--config FILE] [--demo] ...`: runs the
 * screening station (lucent/station.h) until SIGTERM or SIGINT, logging to
 * stderr. Signals are blocked before any thread starts and taken with
 * sigwait() on the main thread, so shutdown runs in ordinary code.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "lucent/station.h"
#include "lucent/store.h"

static const char help[] =
    "usage: lucent station [--config FILE] [--demo] [options]\n"
    "\n"
    "Runs the screening station: the bag pipeline (acquire, TIP, process,\n"
    "analyse, store, publish) and the web console with its JSON API\n"
    "(docs/api.md, docs/station.md). Listens on 127.0.0.1:8080 unless told\n"
    "otherwise. Stops cleanly on SIGTERM or Ctrl-C.\n"
    "\n"
    "There is no default account: create the first admin with\n"
    "  lucent user add --data DIR --role admin NAME\n"
    "\n"
    "options (override the configuration file):\n"
    "  --config FILE      JSON configuration (address, port, data_dir, demo, demo_rate,\n"
    "                     tip_share, threat_share, seed, scenes_dir, tls_cert, tls_key,\n"
    "                     atr, atr_sensitivity, retention_days, ...)\n"
    "  --demo             feed simulated bags\n"
    "  --data DIR         data folder (default lucent-data)\n"
    "  --address A        IPv4 listen address (default 127.0.0.1)\n"
    "  --port N           port (default 8080; 0 = any free port)\n"
    "  --rate R           demo bags per second (default 0.2)\n"
    "  --tip-share X      share of bags with a projected TIP threat, 0..1 (default 0.1)\n"
    "  --threat-share X   demo: share of bags with a real threat (default 0.05)\n"
    "  --seed N           demo random seed\n"
    "  --scenes DIR       demo: also use the scene files (*.json) in DIR\n"
    "  --no-atr           no automatic threat recognition (no machine alarms)\n"
    "  --atr-sensitivity S|CLASS=S,...\n"
    "                     its operating point, 0..1, for every class or some\n"
    "                     (explosive, weapon, dense; default 0.5; higher alarms more;\n"
    "                     docs/atr.md gives what each point detects)\n"
    "  --retention-days D erase scans with no alarm after D days (default 30; fractions\n"
    "                     allowed; 0 = keep forever). Erasure destroys the scan's key\n"
    "                     and is an audit event; alarm and searched bags are kept\n"
    "\n"
    "Stored scans are sealed (XChaCha20-Poly1305, one key per scan wrapped with the\n"
    "site data key in DATA/keys): no image or report is written in the clear.\n"
    "\n"
    "example:\n"
    "  lucent user add --data lucent-data --role admin alice\n"
    "  lucent station --demo --data lucent-data\n";

static void log_line(void *user, const char *line)
{
    (void)user;
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s station: %s\n", stamp, line);
    fflush(stderr);
}

static int run(int argc, char **argv)
{
    lc_station_config cfg;
    lc_station_config_init(&cfg);
    lc_error err;
    /* The configuration file first, so flags override it wherever they are. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc)
                return cli_usage("station", "--config needs a file");
            if (lc_station_config_load(argv[i + 1], &cfg, &err) != LC_OK)
                return cli_fail("station", &err);
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        double d;
        long l;
        if (strcmp(a, "--demo") == 0) {
            cfg.demo = 1;
            continue;
        }
        if (strcmp(a, "--no-atr") == 0) {
            cfg.atr = 0;
            continue;
        }
        if (!v)
            return cli_usage("station", "unknown option or missing value: %s", a);
        if (strcmp(a, "--config") == 0) {
        } else if (strcmp(a, "--data") == 0) {
            if (strlen(v) >= sizeof cfg.data_dir)
                return cli_usage("station", "--data: path too long");
            strcpy(cfg.data_dir, v);
        } else if (strcmp(a, "--address") == 0) {
            if (strlen(v) >= sizeof cfg.address)
                return cli_usage("station", "--address: too long");
            strcpy(cfg.address, v);
        } else if (strcmp(a, "--scenes") == 0) {
            if (strlen(v) >= sizeof cfg.scenes_dir)
                return cli_usage("station", "--scenes: path too long");
            strcpy(cfg.scenes_dir, v);
        } else if (strcmp(a, "--port") == 0) {
            if (!cli_parse_long(v, 0, 65535, &l))
                return cli_usage("station", "--port: must be 0..65535");
            cfg.port = (int)l;
        } else if (strcmp(a, "--rate") == 0) {
            if (!cli_parse_double(v, &d) || d < 0.001 || d > 20)
                return cli_usage("station", "--rate: must be 0.001..20 bags per second");
            cfg.demo_rate = d;
        } else if (strcmp(a, "--tip-share") == 0) {
            if (!cli_parse_double(v, &d) || d < 0 || d > 1)
                return cli_usage("station", "--tip-share: must be 0..1");
            cfg.tip_share = d;
        } else if (strcmp(a, "--threat-share") == 0) {
            if (!cli_parse_double(v, &d) || d < 0 || d > 1)
                return cli_usage("station", "--threat-share: must be 0..1");
            cfg.threat_share = d;
        } else if (strcmp(a, "--atr-sensitivity") == 0) {
            if (!cli_parse_sensitivity(v, cfg.atr_sensitivity))
                return cli_usage("station", "--atr-sensitivity: needs 0..1 or CLASS=S,... with "
                                            "classes explosive, weapon, dense");
        } else if (strcmp(a, "--retention-days") == 0) {
            if (!cli_parse_double(v, &d) || d < 0 || d > 36500)
                return cli_usage("station",
                                 "--retention-days: must be 0..36500 (0 = keep forever)");
            cfg.retention_days = d;
        } else if (strcmp(a, "--seed") == 0) {
            if (!cli_parse_long(v, 0, 2147483647L, &l))
                return cli_usage("station", "--seed: must be a non-negative integer");
            cfg.seed = (uint64_t)l;
        } else {
            return cli_usage("station", "unknown option %s", a);
        }
        i++;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    lc_station *st = NULL;
    if (lc_station_start(&cfg, log_line, NULL, &st, &err) != LC_OK)
        return cli_fail("station", &err);
    lc_store *store = NULL;
    if (lc_store_open(cfg.data_dir, &store, &err) == LC_OK) {
        if (lc_store_user_count(store) == 0)
            log_line(NULL, "no accounts yet: create the first admin with 'lucent user add "
                           "--data DIR --role admin NAME'");
        lc_store_close(store);
    }
    sigdelset(&set, SIGPIPE);
    int sig = 0;
    sigwait(&set, &sig);
    log_line(NULL, sig == SIGTERM ? "SIGTERM: stopping" : "interrupted: stopping");
    lc_station_stop(st);
    log_line(NULL, "stopped");
    return CLI_OK;
}

const cli_command cmd_station = {
    "station", "run the screening station (web console, API, pipeline)", help, run};
