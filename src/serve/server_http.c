/*
 * server_http.c — the h2o side of a request: from h2o's on_req to a job
 * for a guest thread, and from the finished job back to a response, both
 * on the worker that owns the request.
 *
 * Every accepted request gets exactly one response and one access-log
 * line: refusals (404, 413, 431, 503) are answered at once, the rest when
 * the guest's job comes back, or at once when it ran inline.  Failures in the guest are answered with a
 * generic body naming the request id; what happened (trap, backtrace, exit
 * code, bad CGI output) goes only to the server log under that id.  A job
 * whose client went away (its h2o_req_t freed: the guard's dispose
 * callback clears job->req) is logged with status 499 and dropped.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"
#include "server_impl.h"

static const char *reason_of(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status < 400 ? "OK" : "Error";
    }
}

static void add_header(h2o_req_t *req, const char *name, size_t nlen, const char *value,
                       size_t vlen)
{
    h2o_iovec_t n = h2o_strdup(&req->pool, name, nlen);
    for (size_t i = 0; i < n.len; i++)
        n.base[i] = (char)tolower((unsigned char)n.base[i]);
    h2o_iovec_t v = h2o_strdup(&req->pool, value, vlen);
    h2o_add_header_by_str(&req->pool, &req->res.headers, n.base, n.len, 1, NULL, v.base, v.len);
}

static void send_body(h2o_req_t *req, int status, const char *id, const void *body, size_t len)
{
    req->res.status = status;
    req->res.reason = reason_of(status);
    req->res.content_length = len;
    add_header(req, "x-request-id", 12, id, strlen(id));
    h2o_send_inline(req, body, len);
}

/* The generic answer for everything the server itself says. */
static size_t send_plain(h2o_req_t *req, int status, const char *id)
{
    char body[160];
    int n = snprintf(body, sizeof body, "%d %s (request id %s)\n", status, reason_of(status), id);
    add_header(req, "content-type", 12, "text/plain; charset=utf-8", 25);
    send_body(req, status, id, body, (size_t)n);
    return (size_t)n;
}

static void guard_dispose(void *p)
{
    kn_job **guard = p;
    if (*guard)
        (*guard)->req = NULL;
}

static const char *proto_of(const h2o_req_t *req)
{
    return req->version >= 0x200 ? "HTTP/2.0" : req->version == 0x100 ? "HTTP/1.0" : "HTTP/1.1";
}

/* DST gets "a.b.c.d" for an IPv4 address in network order: inet_ntop and
 * snprintf were a visible share of a small request's time. */
static void ipv4_text(const struct in_addr *in, char *dst)
{
    const unsigned char *b = (const unsigned char *)&in->s_addr;
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (v >= 100)
            *dst++ = (char)('0' + v / 100);
        if (v >= 10)
            *dst++ = (char)('0' + v / 10 % 10);
        *dst++ = (char)('0' + v % 10);
        *dst++ = i < 3 ? '.' : '\0';
    }
}

/* The client's address into J (j->ip, j->port; "?" and 0 when unknown),
 * and "ip:port" into j->client for the log. */
static void peer_of(kn_job *j, h2o_req_t *req)
{
    struct sockaddr_storage ss;
    socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    strcpy(j->ip, "?");
    j->port = 0;
    if (sl && ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        ipv4_text(&a->sin_addr, j->ip);
        j->port = ntohs(a->sin_port);
    } else if (sl && ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, j->ip, (socklen_t)sizeof j->ip);
        j->port = ntohs(a->sin6_port);
    }
    size_t n = strlen(j->ip);
    char digits[8];
    size_t d = sizeof digits;
    unsigned v = j->port;
    do
        digits[--d] = (char)('0' + v % 10);
    while (v /= 10);
    memcpy(j->client, j->ip, n);
    j->client[n] = ':';
    memcpy(j->client + n + 1, digits + d, sizeof digits - d);
    j->client[n + 1 + sizeof digits - d] = 0;
}

typedef struct kn_log_info {
    int routed;
    const char *error;
    uint64_t bytes;
} kn_log_info;

/* What the log needs of REQ, copied so that a job whose client went away
 * can still be logged.  Best effort: without memory the line has no path. */
static void remember(kn_job *j, h2o_req_t *req)
{
    peer_of(j, req);
    j->proto = req->version >= 0x200 ? "HTTP/2" : proto_of(req);
    if ((j->line = malloc(req->method.len + req->path.len + 1))) {
        memcpy(j->line, req->method.base, req->method.len);
        memcpy(j->line + req->method.len, req->path.base, req->path.len);
        j->method_len = req->method.len;
        j->path_len = req->path.len;
    }
}

/* The access-log line and metrics of a request answered with STATUS, then
 * the end of the job. */
static void finish(kn_job *j, int status, const kn_log_info *li)
{
    kn_srv *s = j->worker->srv;
    uint64_t ns = kn_now_ns() - j->start_ns;
    const kn_trigger *t = li->routed ? &j->app->app->triggers[j->trigger] : NULL;
    if (s->log) {
        kn_access_entry e = {
            .ts = j->arrived, .id = j->id,
            .method = j->line ? j->line : "", .method_len = j->method_len,
            .path = j->line ? j->line + j->method_len : "", .path_len = j->path_len,
            .route = t ? (t->route ? t->route : "(private)") : NULL,
            .component = t ? j->app->app->components[t->component].id : NULL,
            .status = status, .bytes = li->bytes, .us = ns / 1000,
            .guest_us = j->out.guest_ns / 1000, .client = j->client,
            .proto = j->proto, .error = li->error,
        };
        kn_accesslog_write(s->log, &e);
    }
    kn_metrics_route *mr = t ? j->app->routes[j->trigger] : j->app ? j->app->unrouted : NULL;
    if (mr)
        kn_metrics_request(mr, j->worker->index, status, ns);
    kn_wagi_env_free(&j->env);
    free(j->body);
    free(j->line);
    kn_exec_output_free(&j->out);
    kn_srv_app_release(j->app);
    free(j);
    atomic_fetch_sub(&s->inflight, 1);
}

static void refuse(kn_job *j, h2o_req_t *req, int status, int routed)
{
    if (status == 503)
        add_header(req, "retry-after", 11, "1", 1);
    kn_log_info li = {.routed = routed, .bytes = send_plain(req, status, j->id)};
    finish(j, status, &li);
}

static size_t header_bytes(const h2o_req_t *req)
{
    size_t n = 0;
    for (size_t i = 0; i < req->headers.size; i++)
        n += req->headers.entries[i].name->len + req->headers.entries[i].value.len;
    return n;
}

/* The WAGI environment of REQ matched by M into j->env. */
static int build_env(kn_job *j, h2o_req_t *req, const kn_route_match *m, size_t pathlen)
{
    kn_srv *s = j->worker->srv;
    size_t nh = req->headers.size;
    kn_wagi_header *hs = calloc(nh + 1, sizeof *hs);
    if (!hs)
        return -1;
    for (size_t i = 0; i < nh; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        hs[i] = (kn_wagi_header){h->name->base, h->value.base, h->name->len, h->value.len};
    }
    if (req->authority.len) /* h2o keeps Host (and :authority) out of headers */
        hs[nh++] = (kn_wagi_header){"host", req->authority.base, 4, req->authority.len};
    size_t q = req->query_at;
    kn_wagi_request wr = {
        .method = req->method.base, .method_len = req->method.len,
        .path = req->path.base, .path_len = pathlen,
        .query = q != SIZE_MAX ? req->path.base + q + 1 : NULL,
        .query_len = q != SIZE_MAX ? req->path.len - q - 1 : 0,
        .headers = hs, .nheaders = nh, .protocol = proto_of(req), .tls = s->ssl != NULL,
        .client_ip = j->ip, .client_port = j->port, .listen_host = s->listen_host,
        .listen_port = s->listen_port, .content_length = req->entity.len,
    };
    const kn_trigger *t = &j->app->app->triggers[j->trigger];
    int rc = kn_wagi_env_build(&wr, m, t->argv, &j->env);
    free(hs);
    return rc;
}

static void respond(kn_job *j, h2o_req_t *req);

/* Routes and checks the request; 0 when a job was submitted (or run
 * inline and answered), else the
 * status to refuse it with (*routed says whether a route matched). */
static int admit(kn_job *j, h2o_req_t *req, int *routed)
{
    kn_srv *s = j->worker->srv;
    *routed = 0;
    if (!j->app)
        return 503;
    if (header_bytes(req) > KN_MAX_HEADER_BYTES)
        return 431;
    size_t pathlen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    char *scratch = malloc(pathlen + 2);
    kn_route_match m;
    if (!scratch)
        return 500;
    if (!kn_router_match(j->app->router, req->path.base, pathlen, scratch, &m)) {
        free(scratch);
        return 404;
    }
    *routed = 1;
    j->trigger = (size_t)m.id;
    j->comp = &j->app->comps[j->app->app->triggers[j->trigger].component];
    if (req->entity.base && req->entity.len > j->comp->exec.spec->limits.max_body) {
        free(scratch);
        return 413;
    }
    int rc = build_env(j, req, &m, pathlen);
    free(scratch);
    if (rc < 0)
        return 500;
    if (req->entity.len && !(j->body = malloc(req->entity.len)))
        return 500;
    if (req->entity.len)
        memcpy(j->body, req->entity.base, req->entity.len);
    j->body_len = req->entity.len;
    j->guard = h2o_mem_alloc_shared(&req->pool, sizeof *j->guard, guard_dispose);
    *j->guard = j;
    int how = kn_guests_submit(s, j);
    if (how < 0) {
        *j->guard = NULL;
        return 503;
    }
    if (how == 1 && kn_guests_run_inline(s, j)) {
        *j->guard = NULL;
        respond(j, req);
    }
    return 0;
}

static int on_app_req(h2o_handler_t *self, h2o_req_t *req)
{
    kn_worker *w = H2O_STRUCT_FROM_MEMBER(kn_worker, ctx, req->conn->ctx);
    kn_srv *s = w->srv;
    kn_job *j = calloc(1, sizeof *j);
    if (!j) {
        h2o_send_error_503(req, "Service Unavailable", "out of memory\n", 0);
        return 0;
    }
    atomic_fetch_add(&s->inflight, 1);
    clock_gettime(CLOCK_REALTIME, &j->arrived);
    j->start_ns = kn_now_ns();
    kn_reqid_next(&s->ids, j->id);
    j->worker = w;
    j->req = req;
    remember(j, req);
    j->app = kn_srv_app_acquire(s);
    int routed, status = admit(j, req, &routed);
    if (status)
        refuse(j, req, status, routed);
    return 0;
}

/* The response from a finished guest, and the log line for what failed. */
static void respond(kn_job *j, h2o_req_t *req)
{
    const kn_exec_output *o = &j->out;
    const char *cid = j->comp->exec.spec->id;
    kn_log_info li = {.routed = 1};
    int status = 500;
    if (o->outcome != KN_EXEC_OK) {
        status = o->outcome == KN_EXEC_TIMEOUT ? 504 : 500;
        li.error = o->message;
        kn_srv_log("request %s: component %s: %s", j->id, cid, o->message);
        li.bytes = send_plain(req, status, j->id);
        finish(j, status, &li);
        return;
    }
    kn_cgi_response r;
    if (kn_cgi_parse(o->out, o->out_len, &r) < 0) {
        li.error = "out of memory";
        li.bytes = send_plain(req, 500, j->id);
        finish(j, 500, &li);
        return;
    }
    status = r.status;
    if (r.problem) {
        li.error = r.problem;
        kn_srv_log("request %s: component %s: bad CGI output: %s", j->id, cid, r.problem);
        li.bytes = send_plain(req, status, j->id);
    } else {
        for (size_t i = 0; i < r.nheaders; i++)
            add_header(req, r.headers[i].name, r.headers[i].name_len, r.headers[i].value,
                       r.headers[i].value_len);
        send_body(req, status, j->id, r.body, r.body_len);
        li.bytes = r.body_len;
    }
    kn_cgi_response_free(&r);
    finish(j, status, &li);
}

void kn_http_on_done(h2o_multithread_receiver_t *recv, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *msg =
            H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&msg->link);
        kn_job *j = H2O_STRUCT_FROM_MEMBER(kn_job, msg, msg);
        h2o_req_t *req = j->req;
        if (req) {
            *j->guard = NULL;
            respond(j, req);
        } else {
            kn_log_info li = {.routed = 1, .error = "client went away"};
            finish(j, 499, &li);
        }
    }
}

/* ---- admin -------------------------------------------------------------- */

static void admin_text(h2o_req_t *req, int status, const char *type, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = reason_of(status);
    req->res.content_length = len;
    add_header(req, "content-type", 12, type, strlen(type));
    h2o_send_inline(req, body, len);
}

static int on_admin_req(h2o_handler_t *self, h2o_req_t *req)
{
    kn_worker *w = H2O_STRUCT_FROM_MEMBER(kn_worker, ctx, req->conn->ctx);
    kn_srv *s = w->srv;
    size_t len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    const char *text = "text/plain; charset=utf-8";
    if (h2o_memis(req->path.base, len, H2O_STRLIT("/health"))) {
        admin_text(req, 200, text, "ok\n", 3);
    } else if (h2o_memis(req->path.base, len, H2O_STRLIT("/ready"))) {
        kn_srv_app *a = kn_srv_app_acquire(s);
        int ready = a && !atomic_load(&s->draining);
        kn_srv_app_release(a);
        if (ready)
            admin_text(req, 200, text, "ready\n", 6);
        else
            admin_text(req, 503, text, "not ready\n", 10);
    } else if (h2o_memis(req->path.base, len, H2O_STRLIT("/metrics"))) {
        char *out;
        size_t n;
        if (kn_metrics_render(s->metrics, &out, &n) < 0) {
            admin_text(req, 500, text, "out of memory\n", 14);
        } else {
            admin_text(req, 200, KN_METRICS_CONTENT_TYPE, out, n);
            free(out);
        }
    } else {
        admin_text(req, 404, text, "not found\n", 10);
    }
    return 0;
}

void kn_http_on_accept(h2o_socket_t *listener, const char *err)
{
    if (err)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock)
        h2o_accept(listener->data, sock);
}

/* h2o 2.2's timeouts for slow and idle clients, all set to --idle-timeout.
 * HTTP/1's req_timeout is armed when a connection starts waiting for a
 * request (after accept and after each response) and cleared only when
 * the whole request, body included, has arrived: data trickling in does
 * not extend it, so it bounds idle keep-alive, slow headers and slow
 * bodies alike.  HTTP/2's idle_timeout runs while no request of the
 * connection is being answered and restarts on every frame read; the TLS
 * handshake has its own. */
static void set_timeouts(kn_srv *s)
{
    uint64_t ms = s->cfg.idle_timeout_ms ? s->cfg.idle_timeout_ms : 10000;
    s->gconf.http1.req_timeout = ms;
    s->gconf.http2.idle_timeout = ms;
    s->gconf.handshake_timeout = ms;
}

/* Hosts and handlers: the app and the admin listener get separate host
 * lists, so no Host header can reach the admin handler on the app port. */
void kn_http_setup(kn_srv *s)
{
    h2o_config_init(&s->gconf);
    s->gconf.server_name = h2o_iovec_init(H2O_STRLIT("kiln/" KILN_VERSION_STRING));
    set_timeouts(s);
    h2o_hostconf_t *app = h2o_config_register_host(&s->gconf, h2o_iovec_init(H2O_STRLIT("app")), 65535);
    h2o_pathconf_t *p = h2o_config_register_path(app, "/", 0);
    h2o_create_handler(p, sizeof(h2o_handler_t))->on_req = on_app_req;
    h2o_hostconf_t *admin =
        h2o_config_register_host(&s->gconf, h2o_iovec_init(H2O_STRLIT("admin")), 65534);
    p = h2o_config_register_path(admin, "/", 0);
    h2o_create_handler(p, sizeof(h2o_handler_t))->on_req = on_admin_req;
    s->app_hosts[0] = app;
    s->admin_hosts[0] = admin;
}
