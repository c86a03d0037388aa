/*
 * wasi_config.h — the layout of kiln_wasi_config, shared by config.c (which
 * fills it) and wasi.c (which opens what it grants).
 */
#ifndef KN_WASI_CONFIG_H
#define KN_WASI_CONFIG_H

#include <stddef.h>

#include "kiln_wasi.h"
#include "kn_alloc.h"

typedef struct wasi_strlist {
    char **items;
    size_t n, cap;
    size_t *keylen; /* env only: each item's name length (the replace scan
                       compares lengths before bytes), else NULL */
} wasi_strlist;

typedef struct wasi_dir_grant {
    char *host, *guest;
    unsigned perms;
} wasi_dir_grant;

typedef struct wasi_socket_grant {
    char *addr;   /* to bind and listen on, or NULL: */
    int fd;       /* an already listening socket of the embedder's */
} wasi_socket_grant;

/* stdio[i] for an in-memory stream (not API: set by the _bytes and _buffer
 * calls). */
#define WASI_STDIO_MEM (-4)

struct kiln_wasi_config {
    kn_allocator alloc;           /* for this config and each kiln_wasi made from it */
    wasi_strlist args;
    wasi_strlist env;             /* "NAME=VALUE" */
    wasi_dir_grant *dirs;
    size_t ndirs;
    wasi_socket_grant *sockets;
    size_t nsockets;
    int stdio[3];                 /* host fd, KILN_WASI_STDIO_* or WASI_STDIO_MEM */
    const void *stdin_bytes;      /* stdio[0] == WASI_STDIO_MEM: borrowed */
    size_t stdin_len;
    size_t out_max[3];            /* stdio[1], [2] == WASI_STDIO_MEM: caps */
    kiln_wasi_resolve resolve;
    kiln_wasi_trace_fn trace;     /* kiln_wasi_config_trace */
    void *trace_ud;
};

#endif
