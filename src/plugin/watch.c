/*
 * watch.c — kiln_plugin_registry_watch: hot reload from a directory.  A
 * thread owned by the registry waits (poll) on an inotify descriptor for
 * files closed after writing (IN_CLOSE_WRITE) or renamed in (IN_MOVED_TO),
 * and on an eventfd that kn_watch_stop writes to end it; nothing else
 * stops it, and the registry joins it before freeing anything.
 *
 * Each NAME.wasm or NAME.json event is debounced (the file is handled once
 * it has been quiet for KN_WATCH_QUIET_MS), then the file is read once;
 * its bytes give both the version string (the first 12 hex digits of
 * their sha256) and the manifest (a .wasm as a one-module manifest, a
 * .json parsed with the directory as base), so the version named is the
 * content loaded even if the file changes again meanwhile.  The version is
 * loaded with the self-test and promoted; the watcher then unloads the
 * versions it loaded earlier that are neither stable, previous nor canary.
 * Anything that fails is logged at WARN and changes nothing: the running
 * version keeps serving.  Other files (dot files, temporaries) are ignored.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kiln_plugin.h"
#include "registry.h"
#include "sha256.h"

#define KN_WATCH_QUIET_MS 50
#define KN_WATCH_MAX_FILE (256u << 20)   /* bigger files are refused */

typedef struct kn_pending {
    char file[NAME_MAX + 1];
    uint64_t due_ms;
} kn_pending;

struct kn_watch {
    kiln_plugin_registry *r;
    char *dir;
    char *self_test;      /* NULL: none */
    int ifd, efd;
    pthread_t thread;
    bool started;
    kn_pending *pending;  /* files waiting to be quiet, on the thread only */
    size_t npending, cap;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* 1 for NAME.wasm, 2 for NAME.json, 0 for anything else. */
static int file_kind(const char *file)
{
    size_t n = strlen(file);
    if (file[0] == '.' || n < 6)
        return 0;
    if (strcmp(file + n - 5, ".wasm") == 0)
        return 1;
    if (strcmp(file + n - 5, ".json") == 0)
        return 2;
    return 0;
}

/* ---- one file ----------------------------------------------------------------- */

static bool read_file(const char *path, uint8_t **bytes, size_t *len, const char **why)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    *why = NULL;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *why = fd < 0 ? strerror(errno) : "not a regular file";
        if (fd >= 0)
            close(fd);
        return false;
    }
    size_t n = (size_t)st.st_size, got = 0;
    uint8_t *b = n <= KN_WATCH_MAX_FILE ? malloc(n ? n : 1) : NULL;
    while (b && got < n) {
        ssize_t k = read(fd, b + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    if (!b || got != n) {
        *why = !b ? (n > KN_WATCH_MAX_FILE ? "file too large" : "out of memory")
                  : "short read";
        free(b);
        return false;
    }
    *bytes = b;
    *len = n;
    return true;
}

/* The first 12 hex digits of the sha256 of bytes: the version's name. */
static bool short_sha256(const uint8_t *bytes, size_t len, char out[13])
{
    uint8_t md[KN_SHA256_LEN];
    char hex[KN_SHA256_HEX_LEN + 1];
    if (!kn_sha256(bytes, len, md))
        return false;
    kn_sha256_hex(md, hex);
    memcpy(out, hex, 12);
    out[12] = 0;
    return true;
}

static kiln_error *make_manifest(kn_watch *w, int kind, const uint8_t *bytes, size_t len,
                                 kiln_plugin_manifest **m)
{
    if (kind == 1)
        return kiln_plugin_manifest_from_wasm(bytes, len, m);
    return kiln_plugin_manifest_parse((const char *)bytes, len, w->dir, m);
}

static void refuse(kn_watch *w, const char *name, const char *path, const char *version,
                   const char *why)
{
    const char *old = kn_registry_stable(w->r, name);
    kn_registry_log(w->r, KILN_LOG_WARN, "plugin watch: refused %s%s%s: %s; %s%s", path,
                    version ? " as version " : "", version ? version : "", why,
                    old ? "still serving version " : "nothing to serve", old ? old : "");
}

/* Load (or find) version of name from m and make it stable. */
static void install(kn_watch *w, const char *name, const char *path, const char *version,
                    const kiln_plugin_manifest *m)
{
    const char *old = kn_registry_stable(w->r, name);
    bool existed = false;
    kiln_error *e = kn_registry_load_watched(w->r, name, version, m, w->self_test, &existed);
    if (!e && existed && old && strcmp(old, version) == 0) {
        kn_registry_log(w->r, KILN_LOG_DEBUG, "plugin watch: %s unchanged (version %s)", path,
                        version);
        return;
    }
    if (!e)
        e = kiln_plugin_registry_promote(w->r, name, version);
    if (e) {
        refuse(w, name, path, version, kiln_error_message(e));
        kiln_error_free(e);
        return;
    }
    kn_registry_prune_watched(w->r, name);
    kn_registry_log(w->r, KILN_LOG_INFO, "plugin watch: %s is now %s version %s%s%s", path, name,
                    version, old ? ", was " : "", old ? old : "");
}

static void handle_file(kn_watch *w, const char *file)
{
    int kind = file_kind(file);
    if (!kind)
        return;
    char name[NAME_MAX + 1], path[PATH_MAX], version[13];
    size_t nlen = strlen(file) - 5;
    memcpy(name, file, nlen);
    name[nlen] = 0;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", w->dir, file) >= sizeof path) {
        refuse(w, name, file, NULL, "path too long");
        return;
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    const char *why;
    if (!read_file(path, &bytes, &len, &why)) {
        refuse(w, name, path, NULL, why);
        return;
    }
    kiln_plugin_manifest *m = NULL;
    kiln_error *e = NULL;
    if (!short_sha256(bytes, len, version))
        refuse(w, name, path, NULL, "cannot hash the file");
    else if ((e = make_manifest(w, kind, bytes, len, &m)))
        refuse(w, name, path, version, kiln_error_message(e));
    else
        install(w, name, path, version, m);
    kiln_error_free(e);
    kiln_plugin_manifest_free(m);
    free(bytes);
}

/* Every NAME.wasm, then every NAME.json (a manifest beside its module wins). */
static void scan(kn_watch *w)
{
    for (int kind = 1; kind <= 2; kind++) {
        DIR *d = opendir(w->dir);
        if (!d)
            return;
        for (struct dirent *de; (de = readdir(d));)
            if (file_kind(de->d_name) == kind)
                handle_file(w, de->d_name);
        closedir(d);
    }
}

/* ---- the thread ---------------------------------------------------------------- */

static void pending_add(kn_watch *w, const char *file)
{
    if (!file_kind(file) || strlen(file) > NAME_MAX)
        return;
    uint64_t due = now_ms() + KN_WATCH_QUIET_MS;
    for (size_t i = 0; i < w->npending; i++)
        if (strcmp(w->pending[i].file, file) == 0) {
            w->pending[i].due_ms = due;
            return;
        }
    if (w->npending == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 8;
        kn_pending *p = realloc(w->pending, cap * sizeof *p);
        if (!p) {
            kn_registry_log(w->r, KILN_LOG_WARN, "plugin watch: out of memory; %s ignored", file);
            return;
        }
        w->pending = p;
        w->cap = cap;
    }
    strcpy(w->pending[w->npending].file, file);
    w->pending[w->npending++].due_ms = due;
}

/* Handle the files that have been quiet long enough; the poll timeout
 * until the next one is due (-1: none pending). */
static int pending_run(kn_watch *w)
{
    uint64_t now = now_ms(), next = UINT64_MAX;
    for (size_t i = 0; i < w->npending;) {
        if (w->pending[i].due_ms <= now) {
            char file[NAME_MAX + 1];
            strcpy(file, w->pending[i].file);
            w->pending[i] = w->pending[--w->npending];
            handle_file(w, file);
            now = now_ms();
            continue;
        }
        if (w->pending[i].due_ms < next)
            next = w->pending[i].due_ms;
        i++;
    }
    return next == UINT64_MAX ? -1 : (int)(next > now ? next - now : 0);
}

/* Queue the files an inotify read names; a queue overflow rescans all. */
static void read_events(kn_watch *w)
{
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(w->ifd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
            if (ev->mask & IN_Q_OVERFLOW)
                scan(w);
            else if (ev->len > 0 && (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)))
                pending_add(w, ev->name);
            p += sizeof *ev + ev->len;
        }
    }
}

static void *watch_main(void *arg)
{
    kn_watch *w = arg;
    int timeout = -1;
    for (;;) {
        struct pollfd fds[2] = {{.fd = w->efd, .events = POLLIN}, {.fd = w->ifd, .events = POLLIN}};
        int n = poll(fds, 2, timeout);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0 && fds[0].revents)
            break;
        if (n > 0 && fds[1].revents)
            read_events(w);
        timeout = pending_run(w);
    }
    return NULL;
}

/* ---- start and stop ------------------------------------------------------------ */

static void watch_free(kn_watch *w)
{
    if (w->ifd >= 0)
        close(w->ifd);
    if (w->efd >= 0)
        close(w->efd);
    free(w->pending);
    free(w->dir);
    free(w->self_test);
    free(w);
}

void kn_watch_stop(kn_watch *w)
{
    if (w->started) {
        uint64_t one = 1;
        while (write(w->efd, &one, sizeof one) < 0 && errno == EINTR)
            ;
        pthread_join(w->thread, NULL);
    }
    watch_free(w);
}

static kiln_error *watch_alloc(const char *dir, const char *self_test, kn_watch **out)
{
    kn_watch *w = calloc(1, sizeof *w);
    if (!w)
        return kiln_error_new(KILN_ERR_NOMEM, "plugin watch: out of memory");
    w->ifd = w->efd = -1;
    w->dir = strdup(dir);
    w->self_test = self_test ? strdup(self_test) : NULL;
    if (!w->dir || (self_test && !w->self_test)) {
        watch_free(w);
        return kiln_error_new(KILN_ERR_NOMEM, "plugin watch: out of memory");
    }
    w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    w->efd = eventfd(0, EFD_CLOEXEC);
    if (w->ifd < 0 || w->efd < 0) {
        kiln_error *e = kiln_error_new(KILN_ERR_HOST, "plugin watch: %s", strerror(errno));
        watch_free(w);
        return e;
    }
    *out = w;
    return NULL;
}

kiln_error *kiln_plugin_registry_watch(kiln_plugin_registry *r, const char *dir,
                                       const char *self_test)
{
    if (!r || !dir || !*dir)
        return kiln_error_new(KILN_ERR_ARG, "plugin watch: a registry and a directory are needed");
    kn_watch *w = NULL;
    kiln_error *e = watch_alloc(dir, self_test, &w);
    if (e)
        return e;
    w->r = r;
    if (!kn_registry_set_watch(r, w)) {
        watch_free(w);
        return kiln_error_new(KILN_ERR_ARG, "plugin watch: the registry already watches a "
                                            "directory");
    }
    /* Watch before scanning: a file written in between is seen twice at
     * worst, and the second time is a version already loaded. */
    if (inotify_add_watch(w->ifd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR) < 0)
        e = kiln_error_new(KILN_ERR_ARG, "plugin watch: %s: %s", dir, strerror(errno));
    if (!e) {
        scan(w);
        int rc = pthread_create(&w->thread, NULL, watch_main, w);
        if (rc != 0)
            e = kiln_error_new(KILN_ERR_HOST, "plugin watch: cannot start a thread: %s",
                               strerror(rc));
        w->started = rc == 0;
    }
    if (e) {
        kn_registry_set_watch(r, NULL);
        watch_free(w);
    }
    return e;
}
