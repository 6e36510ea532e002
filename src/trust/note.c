/* SPDX-License-Identifier: Apache-2.0 */
/*
 * note.c: C2SP signed notes with Ed25519 and tlog checkpoints
 * (c2sp.org/signed-note, c2sp.org/tlog-checkpoint). A note is text ending in
 * '\n', a blank line, and signature lines "— <name> <base64(key id ||
 * signature)>\n"; the signature covers the text including its final newline.
 * Parsing is strict and bounded: notes come from files an attacker may edit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trust/trust_int.h"
#include "util/util.h"

#define NOTE_MAX   (1u << 20)
#define EM_DASH_SP "\xe2\x80\x94 "

static int text_ok(const char *t, size_t n)
{
    if (n == 0 || t[n - 1] != '\n')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c < 0x20 && c != '\n')
            return 0;
        if (c == '\n' && i + 1 < n && t[i + 1] == '\n')
            return 0;
    }
    return 1;
}

lc_status lc_note_sign(const lc_site_keys *keys, const char *text, char **out, lc_error *err)
{
    *out = NULL;
    size_t n = text ? strlen(text) : 0;
    if (n > NOTE_MAX || !text_ok(text, n))
        return lc_error_set(err, LC_ERR_ARG,
                            "note text must end in a newline, have no blank line and no "
                            "control characters");
    uint8_t sig[4 + crypto_sign_BYTES];
    memcpy(sig, keys->key_id, 4);
    crypto_sign_detached(sig + 4, NULL, (const uint8_t *)text, n, keys->sk);
    char b64[sodium_base64_ENCODED_LEN(sizeof sig, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
    size_t cap = n + 1 + strlen(EM_DASH_SP) + strlen(keys->name) + 1 + strlen(b64) + 2;
    char *s = malloc(cap);
    if (!s)
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    snprintf(s, cap, "%s\n" EM_DASH_SP "%s %s\n", text, keys->name, b64);
    *out = s;
    return LC_OK;
}

/* Splits a vkey "<name>+<hex id>+<base64(0x01 || pk)>". */
static lc_status parse_vkey(const char *vkey, char name[LC_KEY_NAME_MAX], uint8_t id[4],
                            uint8_t pk[crypto_sign_PUBLICKEYBYTES], lc_error *err)
{
    const char *p1 = vkey ? strchr(vkey, '+') : NULL;
    const char *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
    if (!p1 || !p2 || (size_t)(p1 - vkey) >= LC_KEY_NAME_MAX || p2 - p1 != 9)
        return lc_error_set(err, LC_ERR_ARG, "verifier key is not <name>+<id>+<key>");
    memcpy(name, vkey, (size_t)(p1 - vkey));
    name[p1 - vkey] = '\0';
    uint8_t raw[1 + crypto_sign_PUBLICKEYBYTES];
    size_t got = 0;
    const char *b = p2 + 1;
    size_t bl = strcspn(b, "\r\n");
    if (sodium_hex2bin(id, 4, p1 + 1, 8, NULL, &got, NULL) != 0 || got != 4 ||
        sodium_base642bin(raw, sizeof raw, b, bl, NULL, &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        got != sizeof raw || raw[0] != 0x01 || !lc__key_name_ok(name))
        return lc_error_set(err, LC_ERR_ARG, "verifier key is malformed");
    memcpy(pk, raw + 1, crypto_sign_PUBLICKEYBYTES);
    uint8_t want[4];
    lc__key_id(name, pk, want);
    if (memcmp(want, id, 4) != 0)
        return lc_error_set(err, LC_ERR_ARG, "verifier key id does not match its key");
    return LC_OK;
}

lc_status lc_note_verify(const char *vkey, const char *note, size_t note_len, size_t *text_len,
                         lc_error *err)
{
    lc_status st = lc__sodium_ready(err);
    if (st != LC_OK)
        return st;
    char name[LC_KEY_NAME_MAX];
    uint8_t id[4], pk[crypto_sign_PUBLICKEYBYTES];
    st = parse_vkey(vkey, name, id, pk, err);
    if (st != LC_OK)
        return st;
    if (note_len > NOTE_MAX || note_len < 2)
        return lc_error_set(err, LC_ERR_FORMAT, "note: empty or larger than 1 MiB");
    /* The text ends at the last blank line ("\n\n"). */
    size_t split = 0;
    int found = 0;
    for (size_t i = note_len - 1; i > 0; i--) {
        if (note[i] == '\n' && note[i - 1] == '\n') {
            split = i; /* text is note[0..split) including its newline */
            found = 1;
            break;
        }
    }
    if (!found || !text_ok(note, split))
        return lc_error_set(err, LC_ERR_FORMAT, "note: no signed text before a blank line");
    if (note[note_len - 1] != '\n')
        return lc_error_set(err, LC_ERR_FORMAT, "note: signature lines must end in a newline");
    size_t pos = split + 1;
    int lines = 0;
    while (pos < note_len) {
        const char *line = note + pos;
        const char *nl = memchr(line, '\n', note_len - pos);
        size_t ll = (size_t)(nl - line);
        if (++lines > 100)
            return lc_error_set(err, LC_ERR_FORMAT, "note: more than 100 signatures");
        size_t dl = strlen(EM_DASH_SP);
        if (ll < dl || memcmp(line, EM_DASH_SP, dl) != 0)
            return lc_error_set(err, LC_ERR_FORMAT, "note: signature line %d is malformed", lines);
        const char *sp = memchr(line + dl, ' ', ll - dl);
        if (!sp)
            return lc_error_set(err, LC_ERR_FORMAT, "note: signature line %d is malformed", lines);
        size_t nl_name = (size_t)(sp - (line + dl));
        uint8_t sig[4 + crypto_sign_BYTES + 1];
        size_t got = 0;
        const char *b = sp + 1;
        size_t bl = ll - (size_t)(b - line);
        if (sodium_base642bin(sig, sizeof sig, b, bl, NULL, &got, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0 ||
            got < 5)
            return lc_error_set(err, LC_ERR_FORMAT, "note: signature line %d has bad base64",
                                lines);
        if (nl_name == strlen(name) && memcmp(line + dl, name, nl_name) == 0 &&
            memcmp(sig, id, 4) == 0) {
            /* The first line of our key decides the whole note. */
            if (got != 4 + crypto_sign_BYTES ||
                crypto_sign_verify_detached(sig + 4, (const uint8_t *)note, split, pk) != 0)
                return lc_error_set(err, LC_ERR_FORMAT, "note: signature of %s is invalid", name);
            if (text_len)
                *text_len = split;
            return LC_OK;
        }
        pos += ll + 1;
    }
    return lc_error_set(err, LC_ERR_FORMAT, "note: not signed by %s", name);
}

lc_status lc_checkpoint_format(const char *origin, uint64_t size, const uint8_t root[LC_HASH_SIZE],
                               char *buf, size_t cap, lc_error *err)
{
    char b64[sodium_base64_ENCODED_LEN(LC_HASH_SIZE, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, root, LC_HASH_SIZE, sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(buf, cap, "%s\n%" PRIu64 "\n%s\n", origin, size, b64);
    if (n < 0 || (size_t)n >= cap || !lc__key_name_ok(origin))
        return lc_error_set(err, LC_ERR_ARG, "checkpoint: bad origin or buffer too small");
    return LC_OK;
}

lc_status lc_checkpoint_parse(const char *text, size_t len, char origin[LC_KEY_NAME_MAX],
                              uint64_t *size, uint8_t root[LC_HASH_SIZE], lc_error *err)
{
    const char *l1 = memchr(text, '\n', len);
    const char *l2 = l1 ? memchr(l1 + 1, '\n', len - (size_t)(l1 + 1 - text)) : NULL;
    const char *l3 = l2 ? memchr(l2 + 1, '\n', len - (size_t)(l2 + 1 - text)) : NULL;
    if (!l3)
        return lc_error_set(err, LC_ERR_FORMAT, "checkpoint: fewer than three lines");
    size_t ol = (size_t)(l1 - text);
    if (ol == 0 || ol >= LC_KEY_NAME_MAX)
        return lc_error_set(err, LC_ERR_FORMAT, "checkpoint: bad origin line");
    memcpy(origin, text, ol);
    origin[ol] = '\0';
    const char *s = l1 + 1;
    if (s == l2 || (s[0] == '0' && l2 - s > 1) || l2 - s > 20)
        return lc_error_set(err, LC_ERR_FORMAT, "checkpoint: bad tree size line");
    uint64_t v = 0;
    for (const char *p = s; p < l2; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
            return lc_error_set(err, LC_ERR_FORMAT, "checkpoint: bad tree size line");
        v = v * 10 + (uint64_t)(*p - '0');
    }
    size_t got = 0;
    if (sodium_base642bin(root, LC_HASH_SIZE, l2 + 1, (size_t)(l3 - l2 - 1), NULL, &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        got != LC_HASH_SIZE)
        return lc_error_set(err, LC_ERR_FORMAT, "checkpoint: root hash is not 32 bytes of base64");
    *size = v;
    return LC_OK;
}
