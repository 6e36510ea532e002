/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_audit.c: `lucent audit verify|prove`: what an auditor runs on a site's
 * audit log, with only the site's public verifier key.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "lucent/trust.h"

static const char help[] =
    "usage: lucent audit verify LOG --key VKEY_FILE [--checkpoint NOTE]\n"
    "       lucent audit prove LOG --index I [--size N]\n"
    "       lucent audit prove LOG --from N1 --to N2\n"
    "       lucent audit append LOG --keys DIR [--passphrase-stdin]   (entries on stdin)\n"
    "\n"
    "verify: recomputes the Merkle tree of the audit log LOG, checks every record, and\n"
    "checks every signed checkpoint (the one given with --checkpoint and all in LOG.ckpt/)\n"
    "against the site's verifier key (site.vkey from 'lucent keys init'). Reports the\n"
    "first bad entry with its byte offset. A log cut short, reordered or spliced since a\n"
    "checkpoint fails. Exit 0 when everything holds, 1 otherwise.\n"
    "\n"
    "prove: prints JSON with an RFC 6962 inclusion proof of entry I in the tree of the\n"
    "first N entries (default: all), or a consistency proof between the trees of N1 and\n"
    "N2 entries, with the tree heads; hashes are base64.\n"
    "\n"
    "append: appends each line of standard input as one entry (e.g. a JSON event recorded\n"
    "by hand: a maintenance visit, a key handover) and signs a checkpoint with the site key\n"
    "in DIR. The station appends its own events itself.\n";

static void b64(const uint8_t *h, char out[64])
{
    sodium_bin2base64(out, 64, h, LC_HASH_SIZE, sodium_base64_VARIANT_ORIGINAL);
}

static int read_vkey(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int ok = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return ok;
}

static int verify(int argc, char **argv)
{
    const char *cmd = "audit";
    const char *log = NULL, *keyf = NULL, *ckpt = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            if (log)
                return cli_usage(cmd, "more than one LOG");
            log = a;
            continue;
        }
        if (!v)
            return cli_usage(cmd, "%s needs a value", a);
        i++;
        if (strcmp(a, "--key") == 0)
            keyf = v;
        else if (strcmp(a, "--checkpoint") == 0)
            ckpt = v;
        else
            return cli_usage(cmd, "unknown option '%s'", a);
    }
    if (!log)
        return cli_usage(cmd, "missing LOG");
    char vkey[LC_VKEY_MAX + 8];
    if (keyf && !read_vkey(keyf, vkey, sizeof vkey)) {
        fprintf(stderr, "lucent audit: %s: cannot read the verifier key\n", keyf);
        return CLI_BAD_INPUT;
    }
    lc_audit_report rep;
    lc_error err;
    lc_error_clear(&err);
    lc_status st = lc_audit_verify(log, keyf ? vkey : NULL, ckpt, &rep, &err);
    char root[64];
    b64(rep.root, root);
    if (st != LC_OK) {
        if (rep.bad_entry >= 0)
            fprintf(stderr, "lucent audit: first bad entry: %" PRId64 " at byte %" PRIu64 "\n",
                    rep.bad_entry, rep.bad_offset);
        return cli_fail(cmd, &err);
    }
    printf("%s: %" PRIu64 " entries intact, tree head %s, %" PRIu64
           " signed checkpoint(s) verified%s\n",
           log, rep.entries, root, rep.checkpoints,
           rep.torn_bytes ? " (an unacknowledged torn final record is ignored)" : "");
    return CLI_OK;
}

static int prove(int argc, char **argv)
{
    const char *cmd = "audit";
    const char *log = NULL;
    long index = -1, size = -1, from = -1, to = -1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            if (log)
                return cli_usage(cmd, "more than one LOG");
            log = a;
            continue;
        }
        if (!v)
            return cli_usage(cmd, "%s needs a value", a);
        i++;
        long *dst = strcmp(a, "--index") == 0  ? &index
                    : strcmp(a, "--size") == 0 ? &size
                    : strcmp(a, "--from") == 0 ? &from
                    : strcmp(a, "--to") == 0   ? &to
                                               : NULL;
        if (!dst)
            return cli_usage(cmd, "unknown option '%s'", a);
        if (!cli_parse_long(v, 0, 1L << 62, dst))
            return cli_usage(cmd, "%s '%s' is not a count", a, v);
    }
    if (!log)
        return cli_usage(cmd, "missing LOG");
    if ((index >= 0) == (from >= 0 || to >= 0))
        return cli_usage(cmd, "give either --index I or --from N1 --to N2");
    lc_error err;
    lc_error_clear(&err);
    uint8_t *leaves = NULL;
    uint64_t n = 0;
    if (lc_audit_read_leaves(log, &leaves, &n, &err) != LC_OK)
        return cli_fail(cmd, &err);
    uint8_t proof[LC_MERKLE_MAX_PROOF][LC_HASH_SIZE];
    size_t cnt = 0;
    lc_status st;
    char h1[64], h2[64];
    uint8_t r1[LC_HASH_SIZE], r2[LC_HASH_SIZE];
    if (index >= 0) {
        uint64_t sz = size >= 0 ? (uint64_t)size : n;
        if (sz > n) {
            free(leaves);
            fprintf(stderr, "lucent audit: %s: has %" PRIu64 " entries, not %" PRIu64 "\n", log, n,
                    sz);
            return CLI_BAD_INPUT;
        }
        st = lc_merkle_inclusion_proof(leaves, sz, (uint64_t)index, proof, &cnt, &err);
        if (st == LC_OK)
            st = lc_merkle_root(leaves, sz, r1, &err);
        if (st == LC_OK) {
            b64(r1, h1);
            b64(leaves + (size_t)index * LC_HASH_SIZE, h2);
            printf("{\"type\":\"inclusion\",\"leafIdx\":%ld,\"treeSize\":%" PRIu64
                   ",\"root\":\"%s\",\"leafHash\":\"%s\",\"proof\":[",
                   index, sz, h1, h2);
        }
    } else {
        if (from < 0 || to < 0 || (uint64_t)to > n) {
            free(leaves);
            fprintf(stderr,
                    "lucent audit: %s: --from and --to must be within its %" PRIu64 " entries\n",
                    log, n);
            return CLI_BAD_INPUT;
        }
        st = lc_merkle_consistency_proof(leaves, (uint64_t)from, (uint64_t)to, proof, &cnt, &err);
        if (st == LC_OK)
            st = lc_merkle_root(leaves, (uint64_t)from, r1, &err);
        if (st == LC_OK)
            st = lc_merkle_root(leaves, (uint64_t)to, r2, &err);
        if (st == LC_OK) {
            b64(r1, h1);
            b64(r2, h2);
            printf("{\"type\":\"consistency\",\"size1\":%ld,\"size2\":%ld,\"root1\":\"%s\","
                   "\"root2\":\"%s\",\"proof\":[",
                   from, to, h1, h2);
        }
    }
    free(leaves);
    if (st != LC_OK) {
        err.status = LC_ERR_FORMAT; /* a bad index is bad input here, not a usage error */
        return cli_fail(cmd, &err);
    }
    for (size_t i = 0; i < cnt; i++) {
        char h[64];
        b64(proof[i], h);
        printf("%s\"%s\"", i ? "," : "", h);
    }
    printf("]}\n");
    return CLI_OK;
}

static int append(int argc, char **argv)
{
    const char *cmd = "audit";
    const char *log = NULL, *kdir = NULL;
    int pstdin = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--passphrase-stdin") == 0) {
            pstdin = 1;
            continue;
        }
        if (a[0] != '-') {
            if (log)
                return cli_usage(cmd, "more than one LOG");
            log = a;
            continue;
        }
        if (!v)
            return cli_usage(cmd, "%s needs a value", a);
        i++;
        if (strcmp(a, "--keys") == 0)
            kdir = v;
        else
            return cli_usage(cmd, "unknown option '%s'", a);
    }
    if (!log || !kdir)
        return cli_usage(cmd, "append needs LOG and --keys DIR");
    char pass[1024];
    if (!cli_read_passphrase(NULL, pstdin, pass, sizeof pass)) {
        fprintf(stderr, "lucent audit: cannot read the passphrase\n");
        return CLI_BAD_INPUT;
    }
    lc_error err;
    lc_error_clear(&err);
    lc_site_keys *keys = NULL;
    lc_status st = lc_keys_load(kdir, pass[0] ? pass : NULL, &keys, &err);
    memset(pass, 0, sizeof pass);
    if (st != LC_OK)
        return cli_fail(cmd, &err);
    lc_audit *a = NULL;
    uint64_t torn = 0;
    st = lc_audit_open(log, &a, &torn, &err);
    if (st != LC_OK) {
        lc_keys_free(keys);
        return cli_fail(cmd, &err);
    }
    if (torn)
        fprintf(stderr,
                "lucent audit: %s: dropped an unacknowledged torn record of %" PRIu64 " bytes\n",
                log, torn);
    char *line = NULL;
    size_t cap = 0, count = 0;
    long n;
    while (st == LC_OK && (n = (long)getline(&line, &cap, stdin)) > 0) {
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        if (n == 0)
            continue;
        st = lc_audit_append(a, line, (size_t)n, NULL, &err);
        count++;
    }
    free(line);
    if (st == LC_OK)
        st = lc_audit_checkpoint(a, keys, NULL, &err);
    uint64_t size = lc_audit_size(a);
    lc_audit_close(a);
    lc_keys_free(keys);
    if (st != LC_OK)
        return cli_fail(cmd, &err);
    printf("%s: appended %zu entries; %" PRIu64 " in all; checkpoint signed\n", log, count, size);
    return CLI_OK;
}

static int run(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("audit", "expected 'verify' or 'prove'");
    if (strcmp(argv[1], "verify") == 0)
        return verify(argc, argv);
    if (strcmp(argv[1], "prove") == 0)
        return prove(argc, argv);
    if (strcmp(argv[1], "append") == 0)
        return append(argc, argv);
    return cli_usage("audit", "unknown action '%s'; expected 'verify' or 'prove'", argv[1]);
}

const cli_command cmd_audit = {"audit", "verify the audit log, produce Merkle proofs", help, run};
