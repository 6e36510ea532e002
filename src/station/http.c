/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c: the libmicrohttpd glue. Collects a request (headers, query, a body
 * of at most LC__BODY_MAX bytes) into an lc__req, lets lc__api_handle answer
 * it, and sends the lc__resp with the security headers every answer carries.
 * One thread per connection, so a long poll waits on its own thread and a
 * slow console blocks nobody else; MHD's own error log is silenced (the
 * library never prints). Plain HTTP on loopback by default; TLS when a
 * certificate and key are configured.
 */
#define _DEFAULT_SOURCE /* inet_ntop */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "station/station_int.h"
#include "util/util.h"

typedef struct conn {
    char *body;
    size_t len, cap;
    int too_large;
} conn;

static void quiet_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls, (void)fmt, (void)ap;
}

/* Rebuilds the query string from MHD's parsed arguments (values decoded;
 * arguments holding '&' or '=' in a value are dropped: no API uses them). */
typedef struct qbuf {
    char s[2048];
    size_t n;
} qbuf;

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    qbuf *q = cls;
    if (!key || strchr(key, '&') || strchr(key, '=') || (value && (strchr(value, '&'))))
        return MHD_YES;
    int w = snprintf(q->s + q->n, sizeof q->s - q->n, "%s%s=%s", q->n ? "&" : "", key,
                     value ? value : "");
    if (w > 0 && (size_t)w < sizeof q->s - q->n)
        q->n += (size_t)w;
    else
        q->s[q->n] = 0;
    return MHD_YES;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_size, void **con_cls)
{
    (void)version;
    lc_station *st = cls;
    conn *cn = *con_cls;
    if (!cn) {
        cn = lc__calloc(1, sizeof *cn);
        if (!cn)
            return MHD_NO;
        *con_cls = cn;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        if (!cn->too_large && cn->len + n <= LC__BODY_MAX) {
            if (cn->len + n + 1 > cn->cap) {
                size_t cap = cn->len + n + 1 < 4096 ? 4096 : (cn->len + n + 1) * 2;
                if (cap > LC__BODY_MAX + 1)
                    cap = LC__BODY_MAX + 1;
                char *nb = realloc(cn->body, cap);
                if (!nb)
                    return MHD_NO;
                cn->body = nb, cn->cap = cap;
            }
            memcpy(cn->body + cn->len, upload_data, n);
            cn->len += n;
            cn->body[cn->len] = 0;
        } else {
            cn->too_large = 1;
        }
        *upload_size = 0;
        return MHD_YES;
    }

    char client[64] = "?";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, client,
                      sizeof client);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, client,
                      sizeof client);
    }
    qbuf q = {{0}, 0};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &q);
    lc__req rq = {
        .method = method,
        .path = url,
        .query = q.s,
        .cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Cookie"),
        .csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token"),
        .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
        .origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin"),
        .host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host"),
        .client = client,
        .body = cn->body ? cn->body : "",
        .body_len = cn->len,
        .body_too_large = cn->too_large,
    };
    lc__resp rs;
    memset(&rs, 0, sizeof rs);
    lc__api_handle(st, &rq, &rs);

    struct MHD_Response *r;
    if (rs.body_static)
        r = MHD_create_response_from_buffer(rs.len, (void *)rs.body_static, MHD_RESPMEM_PERSISTENT);
    else if (rs.body)
        r = MHD_create_response_from_buffer(rs.len, rs.body, MHD_RESPMEM_MUST_FREE);
    else
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        lc__resp_free(&rs);
        return MHD_NO;
    }
    rs.body = NULL; /* now MHD's */
    MHD_add_response_header(r, "Content-Type", rs.ctype ? rs.ctype : "text/plain");
    MHD_add_response_header(r, "Cache-Control", rs.cacheable ? "no-cache" : "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; script-src 'self'; style-src 'self'; "
                            "img-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; "
                            "base-uri 'none'; form-action 'self'");
    if (rs.set_cookie[0])
        MHD_add_response_header(r, "Set-Cookie", rs.set_cookie);
    if (rs.retry_after_s > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", rs.retry_after_s);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)rs.status, r);
    MHD_destroy_response(r);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    conn *cn = *con_cls;
    if (cn) {
        free(cn->body);
        free(cn);
        *con_cls = NULL;
    }
}

static lc_status read_pem(const char *path, char **out, lc_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    lc_status s = lc__read_file(path, 1 << 20, &buf, &len, err);
    if (s != LC_OK)
        return s;
    *out = (char *)buf;
    return LC_OK;
}

lc_status lc__http_start(lc_station *st, lc_error *err)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)st->cfg.port);
    if (inet_pton(AF_INET, st->cfg.address, &sa.sin_addr) != 1)
        return lc_error_set(err, LC_ERR_ARG, "station: address '%s' is not an IPv4 address",
                            st->cfg.address);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
    int tls = st->cfg.tls_cert[0] != 0;
    if (tls) {
        if (!st->cfg.tls_key[0])
            return lc_error_set(err, LC_ERR_ARG, "station: tls_cert needs tls_key");
        lc_status s = read_pem(st->cfg.tls_cert, &st->tls_cert_pem, err);
        if (s == LC_OK)
            s = read_pem(st->cfg.tls_key, &st->tls_key_pem, err);
        if (s != LC_OK)
            return s;
        flags |= MHD_USE_TLS;
    }
    if (tls)
        st->mhd = MHD_start_daemon(flags, (uint16_t)st->cfg.port, NULL, NULL, handler, st,
                                   MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_LIMIT, 512u,
                                   MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_NOTIFY_COMPLETED,
                                   completed, st, MHD_OPTION_EXTERNAL_LOGGER, quiet_log, NULL,
                                   MHD_OPTION_HTTPS_MEM_CERT, st->tls_cert_pem,
                                   MHD_OPTION_HTTPS_MEM_KEY, st->tls_key_pem, MHD_OPTION_END);
    else
        st->mhd = MHD_start_daemon(flags, (uint16_t)st->cfg.port, NULL, NULL, handler, st,
                                   MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_LIMIT, 512u,
                                   MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_NOTIFY_COMPLETED,
                                   completed, st, MHD_OPTION_EXTERNAL_LOGGER, quiet_log, NULL,
                                   MHD_OPTION_END);
    if (!st->mhd)
        return lc_error_set(err, LC_ERR_IO,
                            "station: cannot listen on %s:%d (in use, or bad TLS files)",
                            st->cfg.address, st->cfg.port);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(st->mhd, MHD_DAEMON_INFO_BIND_PORT);
    st->port = di ? di->port : st->cfg.port;
    lc__log(st, "listening on %s://%s:%d/", tls ? "https" : "http", st->cfg.address, st->port);
    return LC_OK;
}

void lc__http_stop(lc_station *st)
{
    if (st->mhd) {
        MHD_stop_daemon(st->mhd);
        st->mhd = NULL;
    }
}
