/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keys.c: the site's keys, made on the site (lc_keys_init) and loaded by the
 * station and the audit tools (lc_keys_load). Secret files are JSON, mode
 * 0600, either plain or sealed under a passphrase with Argon2id
 * (crypto_pwhash) and XSalsa20-Poly1305 (crypto_secretbox). No key is built
 * into lucent. Every buffer that held a secret is wiped before it is freed.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust/trust_int.h"
#include "util/util.h"

lc_status lc__sodium_ready(lc_error *err)
{
    if (sodium_init() < 0)
        return lc_error_set(err, LC_ERR_STATE, "libsodium could not be initialised");
    return LC_OK;
}

void lc__key_id(const char *name, const uint8_t pk[crypto_sign_PUBLICKEYBYTES], uint8_t id[4])
{
    crypto_hash_sha256_state st;
    uint8_t h[crypto_hash_sha256_BYTES];
    const uint8_t sep[2] = {0x0A, 0x01};
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
    crypto_hash_sha256_update(&st, sep, 2);
    crypto_hash_sha256_update(&st, pk, crypto_sign_PUBLICKEYBYTES);
    crypto_hash_sha256_final(&st, h);
    memcpy(id, h, 4);
}

int lc__key_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= LC_KEY_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (name[i] <= ' ' || name[i] > '~' || name[i] == '+')
            return 0;
    return 1;
}

static void make_vkey(lc_site_keys *k)
{
    uint8_t raw[1 + crypto_sign_PUBLICKEYBYTES];
    char b64[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_ORIGINAL)];
    raw[0] = 0x01;
    memcpy(raw + 1, k->pk, crypto_sign_PUBLICKEYBYTES);
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
    snprintf(k->vkey, sizeof k->vkey, "%s+%02x%02x%02x%02x+%s", k->name, k->key_id[0], k->key_id[1],
             k->key_id[2], k->key_id[3], b64);
}

static char *b64_of(const uint8_t *bin, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc(cap);
    if (s)
        sodium_bin2base64(s, cap, bin, len, sodium_base64_VARIANT_ORIGINAL);
    return s;
}

/* Decodes base64 into exactly `want` bytes. */
static int b64_exact(const char *s, uint8_t *out, size_t want)
{
    size_t got = 0;
    if (!s || sodium_base642bin(out, want, s, strlen(s), NULL, &got, NULL,
                                sodium_base64_VARIANT_ORIGINAL) != 0)
        return 0;
    return got == want;
}

/* Writes text to path with mode 0600, never replacing an existing file. */
static lc_status write_private(const char *path, const char *text, lc_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return lc_error_set(err, errno == EEXIST ? LC_ERR_STATE : LC_ERR_IO,
                            "%s: cannot create: %s", path, strerror(errno));
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(path);
            return lc_error_set(err, LC_ERR_IO, "%s: write failed: %s", path, strerror(e));
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(path);
        return lc_error_set(err, LC_ERR_IO, "%s: sync failed", path);
    }
    return LC_OK;
}

/* Serialises one secret, sealed when a passphrase is given. */
static lc_status secret_json(const char *kind, const char *name, const uint8_t *secret, size_t len,
                             const char *pass, char **out, lc_error *err)
{
    *out = NULL;
    json_t *o = json_object();
    if (!o)
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    json_object_set_new(o, "lucent_key", json_integer(1));
    json_object_set_new(o, "kind", json_string(kind));
    json_object_set_new(o, "name", json_string(name));
    lc_status st = LC_OK;
    char *a = NULL, *b = NULL, *c = NULL;
    if (!pass || !*pass) {
        json_object_set_new(o, "sealed", json_false());
        a = b64_of(secret, len);
        if (!a)
            st = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
        else
            json_object_set_new(o, "secret", json_string(a));
    } else {
        uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
        uint8_t kek[crypto_secretbox_KEYBYTES];
        uint8_t box[crypto_secretbox_MACBYTES + 64];
        randombytes_buf(salt, sizeof salt);
        randombytes_buf(nonce, sizeof nonce);
        unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
        if (len > 64 || crypto_pwhash(kek, sizeof kek, pass, strlen(pass), salt, ops, mem,
                                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
            st = lc_error_set(err, LC_ERR_NOMEM, "key sealing failed (memory for Argon2id)");
        } else {
            crypto_secretbox_easy(box, secret, len, nonce, kek);
            json_object_set_new(o, "sealed", json_true());
            json_object_set_new(o, "kdf", json_string("argon2id13"));
            json_object_set_new(o, "opslimit", json_integer((json_int_t)ops));
            json_object_set_new(o, "memlimit", json_integer((json_int_t)mem));
            a = b64_of(salt, sizeof salt);
            b = b64_of(nonce, sizeof nonce);
            c = b64_of(box, crypto_secretbox_MACBYTES + len);
            if (!a || !b || !c) {
                st = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
            } else {
                json_object_set_new(o, "salt", json_string(a));
                json_object_set_new(o, "nonce", json_string(b));
                json_object_set_new(o, "box", json_string(c));
            }
        }
        sodium_memzero(kek, sizeof kek);
    }
    if (st == LC_OK) {
        *out = json_dumps(o, JSON_INDENT(2));
        if (!*out)
            st = lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    }
    if (a) {
        sodium_memzero(a, strlen(a));
        free(a);
    }
    free(b);
    free(c);
    /* The unsealed secret lives in the JSON tree too: wipe before freeing. */
    json_t *sec = json_object_get(o, "secret");
    if (sec)
        sodium_memzero((char *)json_string_value(sec), strlen(json_string_value(sec)));
    json_decref(o);
    return st;
}

/* Reads one secret of `len` bytes from a key file. */
static lc_status secret_load(const char *path, const char *kind, const char *pass, uint8_t *secret,
                             size_t len, char name[LC_KEY_NAME_MAX], lc_error *err)
{
    unsigned char *buf = NULL;
    size_t n = 0;
    lc_status st = lc__read_file(path, 65536, &buf, &n, err);
    if (st != LC_OK)
        return st;
    json_error_t jerr;
    json_t *o = json_loadb((const char *)buf, n, 0, &jerr);
    sodium_memzero(buf, n);
    free(buf);
    if (!o)
        return lc_error_set(err, LC_ERR_FORMAT, "%s: line %d: %s", path, jerr.line, jerr.text);
    st = LC_OK;
    const char *k = json_string_value(json_object_get(o, "kind"));
    const char *nm = json_string_value(json_object_get(o, "name"));
    if (json_integer_value(json_object_get(o, "lucent_key")) != 1 || !k || strcmp(k, kind) != 0 ||
        !nm || !lc__key_name_ok(nm)) {
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: not a lucent %s key file", path, kind);
    } else if (!json_is_true(json_object_get(o, "sealed"))) {
        if (!b64_exact(json_string_value(json_object_get(o, "secret")), secret, len))
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: bad secret field", path);
    } else if (!pass || !*pass) {
        st = lc_error_set(err, LC_ERR_ARG, "%s: sealed with a passphrase; none given", path);
    } else {
        uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
        uint8_t box[crypto_secretbox_MACBYTES + 64], kek[crypto_secretbox_KEYBYTES];
        json_int_t ops = json_integer_value(json_object_get(o, "opslimit"));
        json_int_t mem = json_integer_value(json_object_get(o, "memlimit"));
        if (len > 64 ||
            !b64_exact(json_string_value(json_object_get(o, "salt")), salt, sizeof salt) ||
            !b64_exact(json_string_value(json_object_get(o, "nonce")), nonce, sizeof nonce) ||
            !b64_exact(json_string_value(json_object_get(o, "box")), box,
                       crypto_secretbox_MACBYTES + len) ||
            ops < (json_int_t)crypto_pwhash_OPSLIMIT_MIN || ops > 64 ||
            mem < (json_int_t)crypto_pwhash_MEMLIMIT_MIN || mem > ((json_int_t)1 << 32)) {
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: bad sealed key fields", path);
        } else if (crypto_pwhash(kek, sizeof kek, pass, strlen(pass), salt, (unsigned long long)ops,
                                 (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
            st = lc_error_set(err, LC_ERR_NOMEM, "%s: Argon2id failed (memory)", path);
        } else if (crypto_secretbox_open_easy(secret, box, crypto_secretbox_MACBYTES + len, nonce,
                                              kek) != 0) {
            st = lc_error_set(err, LC_ERR_FORMAT, "%s: wrong passphrase or altered key file", path);
        }
        sodium_memzero(kek, sizeof kek);
    }
    if (st == LC_OK)
        lc__strlcpy(name, nm, LC_KEY_NAME_MAX);
    json_decref(o);
    return st;
}

lc_status lc_keys_init(const char *dir, const char *name, const char *passphrase, lc_error *err)
{
    lc_status st = lc__sodium_ready(err);
    if (st != LC_OK)
        return st;
    if (!dir || !name || !lc__key_name_ok(name))
        return lc_error_set(err, LC_ERR_ARG,
                            "key name must be 1..%d printable characters without spaces or '+'",
                            LC_KEY_NAME_MAX - 1);
    st = lc__mkdir_p(dir, err);
    if (st != LC_OK)
        return st;
    chmod(dir, 0700);
    char p_sign[4096], p_data[4096], p_vkey[4096];
    if (!lc__path_join(p_sign, sizeof p_sign, dir, "site.key") ||
        !lc__path_join(p_data, sizeof p_data, dir, "data.key") ||
        !lc__path_join(p_vkey, sizeof p_vkey, dir, "site.vkey"))
        return lc_error_set(err, LC_ERR_ARG, "%s: path too long", dir);
    struct stat sb;
    if (stat(p_sign, &sb) == 0 || stat(p_data, &sb) == 0)
        return lc_error_set(err, LC_ERR_STATE, "%s: keys exist already; refusing to replace them",
                            dir);

    lc_site_keys *k = sodium_malloc(sizeof *k);
    if (!k)
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    memset(k, 0, sizeof *k);
    lc__strlcpy(k->name, name, sizeof k->name);
    crypto_sign_keypair(k->pk, k->sk);
    randombytes_buf(k->data_key, sizeof k->data_key);
    lc__key_id(k->name, k->pk, k->key_id);
    make_vkey(k);

    char *js = NULL, *jd = NULL;
    st = secret_json("signing", name, k->sk, sizeof k->sk, passphrase, &js, err);
    if (st == LC_OK)
        st = secret_json("data", name, k->data_key, sizeof k->data_key, passphrase, &jd, err);
    if (st == LC_OK)
        st = write_private(p_sign, js, err);
    if (st == LC_OK) {
        st = write_private(p_data, jd, err);
        if (st != LC_OK)
            unlink(p_sign);
    }
    if (st == LC_OK) {
        char line[LC_VKEY_MAX + 2];
        snprintf(line, sizeof line, "%s\n", k->vkey);
        unlink(p_vkey);
        st = lc__write_file_atomic(p_vkey, line, strlen(line), err);
    }
    if (js) {
        sodium_memzero(js, strlen(js));
        free(js);
    }
    if (jd) {
        sodium_memzero(jd, strlen(jd));
        free(jd);
    }
    lc_keys_free(k);
    return st;
}

lc_status lc_keys_load(const char *dir, const char *passphrase, lc_site_keys **out, lc_error *err)
{
    *out = NULL;
    lc_status st = lc__sodium_ready(err);
    if (st != LC_OK)
        return st;
    char p_sign[4096], p_data[4096];
    if (!lc__path_join(p_sign, sizeof p_sign, dir, "site.key") ||
        !lc__path_join(p_data, sizeof p_data, dir, "data.key"))
        return lc_error_set(err, LC_ERR_ARG, "%s: path too long", dir);
    lc_site_keys *k = sodium_malloc(sizeof *k);
    if (!k)
        return lc_error_set(err, LC_ERR_NOMEM, "out of memory");
    memset(k, 0, sizeof *k);
    char name2[LC_KEY_NAME_MAX];
    st = secret_load(p_sign, "signing", passphrase, k->sk, sizeof k->sk, k->name, err);
    if (st == LC_OK)
        st = secret_load(p_data, "data", passphrase, k->data_key, sizeof k->data_key, name2, err);
    if (st == LC_OK && strcmp(k->name, name2) != 0)
        st = lc_error_set(err, LC_ERR_FORMAT, "%s: signing and data keys belong to other sites",
                          dir);
    if (st != LC_OK) {
        lc_keys_free(k);
        return st;
    }
    crypto_sign_ed25519_sk_to_pk(k->pk, k->sk);
    lc__key_id(k->name, k->pk, k->key_id);
    make_vkey(k);
    *out = k;
    return LC_OK;
}

void lc_keys_free(lc_site_keys *keys)
{
    if (keys)
        sodium_free(keys); /* sodium_free wipes the memory */
}

const char *lc_keys_name(const lc_site_keys *keys)
{
    return keys->name;
}

const char *lc_keys_vkey(const lc_site_keys *keys)
{
    return keys->vkey;
}

const uint8_t *lc_keys_data_key(const lc_site_keys *keys)
{
    return keys->data_key;
}
