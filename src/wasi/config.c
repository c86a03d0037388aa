/*
 * config.c — kiln_wasi_config: the list of grants, plain data.
 *
 * Nothing here touches the host: directories are opened and sockets bound
 * by kiln_wasi_new (wasi.c), so a config can be built early, reused for
 * many guests and freed at any time.  Strings are copied in.  Everything is
 * allocated through the config's allocator (kn_alloc.h), which each
 * kiln_wasi made from it inherits.
 */
#include <stdlib.h>
#include <string.h>

#include "wasi_config.h"

kiln_error *kiln_wasi_config_new(kiln_wasi_config **out)
{
    return kiln_wasi_config_new_alloc(NULL, NULL, out);
}

kiln_error *kiln_wasi_config_new_alloc(kiln_alloc_fn alloc, void *ud, kiln_wasi_config **out)
{
    if (!out)
        return kiln_error_new(KILN_ERR_ARG, "kiln_wasi_config_new: out is NULL");
    kn_allocator a = {alloc, ud};
    kiln_wasi_config *c = kn_calloc(&a, 1, sizeof *c);
    if (!c)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    c->alloc = a;
    for (int i = 0; i < 3; i++)
        c->stdio[i] = KILN_WASI_STDIO_INHERIT;
    *out = c;
    return NULL;
}

static void strlist_free(const kn_allocator *a, wasi_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        kn_free(a, l->items[i]);
    kn_free(a, l->items);
    kn_free(a, l->keylen);
}

void kiln_wasi_config_free(kiln_wasi_config *c)
{
    if (!c)
        return;
    kn_allocator a = c->alloc;
    strlist_free(&a, &c->args);
    strlist_free(&a, &c->env);
    for (size_t i = 0; i < c->ndirs; i++) {
        kn_free(&a, c->dirs[i].host);
        kn_free(&a, c->dirs[i].guest);
    }
    kn_free(&a, c->dirs);
    for (size_t i = 0; i < c->nsockets; i++)
        kn_free(&a, c->sockets[i].addr);
    kn_free(&a, c->sockets);
    kn_free(&a, c);
}

static char *dup_str(kiln_wasi_config *c, const char *s)
{
    return kn_strndup(&c->alloc, s, strlen(s));
}

/* Grow an array of `size`-byte items to hold one more; false when out of
 * memory. */
static bool grow(kiln_wasi_config *c, void **items, size_t n, size_t size)
{
    void *p = kn_realloc_n(&c->alloc, *items, n + 1, size);
    if (!p)
        return false;
    *items = p;
    return true;
}

/* Appends S (taken over, freed on failure); KEYLEN is kept when the list
 * tracks name lengths (with_keys).  Capacity doubles: an embedder such as
 * kiln serve builds a config of a few dozen variables per request. */
static kiln_error *strlist_push(kiln_wasi_config *c, wasi_strlist *l, char *s, bool with_keys,
                                size_t keylen)
{
    if (s && l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **items = kn_realloc_n(&c->alloc, l->items, cap, sizeof *items);
        if (items)
            l->items = items;
        size_t *keys = items && with_keys ? kn_realloc_n(&c->alloc, l->keylen, cap, sizeof *keys)
                                          : NULL;
        if (keys)
            l->keylen = keys;
        if (items && (keys || !with_keys))
            l->cap = cap;
    }
    if (!s || l->n == l->cap) {
        kn_free(&c->alloc, s);
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    }
    if (with_keys)
        l->keylen[l->n] = keylen;
    l->items[l->n++] = s;
    return NULL;
}

kiln_error *kiln_wasi_config_arg(kiln_wasi_config *c, const char *arg)
{
    if (!c || !arg)
        return kiln_error_new(KILN_ERR_ARG, "kiln_wasi_config_arg: NULL argument");
    return strlist_push(c, &c->args, dup_str(c, arg), false, 0);
}

kiln_error *kiln_wasi_config_env(kiln_wasi_config *c, const char *name, const char *value)
{
    if (!c || !name || !value)
        return kiln_error_new(KILN_ERR_ARG, "kiln_wasi_config_env: NULL argument");
    size_t nl = strlen(name), vl = strlen(value);
    if (nl == 0 || memchr(name, '=', nl))
        return kiln_error_new(KILN_ERR_ARG,
                              "environment variable name '%s' is empty or holds '='", name);
    char *s = kn_malloc(&c->alloc, nl + vl + 2);
    if (!s)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    memcpy(s, name, nl);
    s[nl] = '=';
    memcpy(s + nl + 1, value, vl + 1);
    /* (the last byte first: names often share a prefix, like HTTP_) */
    for (size_t i = 0; i < c->env.n; i++)
        if (c->env.keylen[i] == nl && c->env.items[i][nl - 1] == s[nl - 1] &&
            memcmp(c->env.items[i], s, nl) == 0) {
            kn_free(&c->alloc, c->env.items[i]);
            c->env.items[i] = s;
            return NULL;
        }
    return strlist_push(c, &c->env, s, true, nl);
}

kiln_error *kiln_wasi_config_preopen_dir(kiln_wasi_config *c, const char *host_path,
                                         const char *guest_path, unsigned perms)
{
    if (!c || !host_path || !guest_path)
        return kiln_error_new(KILN_ERR_ARG, "kiln_wasi_config_preopen_dir: NULL argument");
    if (!*host_path || !*guest_path)
        return kiln_error_new(KILN_ERR_ARG, "a preopened directory needs a host and a guest path");
    if (!(perms & KILN_WASI_DIR_READ) || (perms & ~(unsigned)(KILN_WASI_DIR_READ | KILN_WASI_DIR_WRITE)))
        return kiln_error_new(KILN_ERR_ARG,
                              "preopen '%s': perms must be KILN_WASI_DIR_READ, optionally with "
                              "KILN_WASI_DIR_WRITE",
                              host_path);
    if (!grow(c, (void **)&c->dirs, c->ndirs, sizeof *c->dirs))
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    wasi_dir_grant *d = &c->dirs[c->ndirs];
    d->host = dup_str(c, host_path);
    d->guest = dup_str(c, guest_path);
    d->perms = perms;
    if (!d->host || !d->guest) {
        kn_free(&c->alloc, d->host);
        kn_free(&c->alloc, d->guest);
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    }
    c->ndirs++;
    return NULL;
}

static kiln_error *add_socket(kiln_wasi_config *c, const char *addr, int fd)
{
    if (!grow(c, (void **)&c->sockets, c->nsockets, sizeof *c->sockets))
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    wasi_socket_grant *s = &c->sockets[c->nsockets];
    s->addr = addr ? dup_str(c, addr) : NULL;
    s->fd = fd;
    if (addr && !s->addr)
        return kiln_error_new(KILN_ERR_NOMEM, "out of memory");
    c->nsockets++;
    return NULL;
}

kiln_error *kiln_wasi_config_tcp_listen(kiln_wasi_config *c, const char *addr)
{
    if (!c || !addr || !*addr)
        return kiln_error_new(KILN_ERR_ARG, "kiln_wasi_config_tcp_listen: no address");
    return add_socket(c, addr, -1);
}

kiln_error *kiln_wasi_config_preopen_socket(kiln_wasi_config *c, int host_fd)
{
    if (!c || host_fd < 0)
        return kiln_error_new(KILN_ERR_ARG, "kiln_wasi_config_preopen_socket: bad fd %d",
                              host_fd);
    return add_socket(c, NULL, host_fd);
}

kiln_error *kiln_wasi_config_stdio(kiln_wasi_config *c, int guest_fd, int host_fd)
{
    if (!c || guest_fd < 0 || guest_fd > 2)
        return kiln_error_new(KILN_ERR_ARG, "kiln_wasi_config_stdio: guest fd %d is not 0, 1 or 2",
                              guest_fd);
    if (host_fd < KILN_WASI_STDIO_CLOSED)
        return kiln_error_new(KILN_ERR_ARG, "kiln_wasi_config_stdio: bad host fd %d", host_fd);
    c->stdio[guest_fd] = host_fd;
    return NULL;
}

void kiln_wasi_config_resolve(kiln_wasi_config *c, kiln_wasi_resolve how)
{
    if (c)
        c->resolve = how;
}

void kiln_wasi_config_trace(kiln_wasi_config *c, kiln_wasi_trace_fn fn, void *ud)
{
    if (c) {
        c->trace = fn;
        c->trace_ud = fn ? ud : NULL;
    }
}

kiln_error *kiln_wasi_config_stdin_bytes(kiln_wasi_config *c, const void *bytes, size_t len)
{
    if (!c || (len && !bytes))
        return kiln_error_new(KILN_ERR_ARG, "kiln_wasi_config_stdin_bytes: NULL argument");
    c->stdio[0] = WASI_STDIO_MEM;
    c->stdin_bytes = bytes;
    c->stdin_len = len;
    return NULL;
}

static kiln_error *out_buffer(kiln_wasi_config *c, int fd, size_t max_bytes)
{
    if (!c)
        return kiln_error_new(KILN_ERR_ARG, "kiln_wasi_config_std%s_buffer: NULL config",
                              fd == 1 ? "out" : "err");
    c->stdio[fd] = WASI_STDIO_MEM;
    c->out_max[fd] = max_bytes;
    return NULL;
}

kiln_error *kiln_wasi_config_stdout_buffer(kiln_wasi_config *c, size_t max_bytes)
{
    return out_buffer(c, 1, max_bytes);
}

kiln_error *kiln_wasi_config_stderr_buffer(kiln_wasi_config *c, size_t max_bytes)
{
    return out_buffer(c, 2, max_bytes);
}
