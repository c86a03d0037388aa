/*
 * curl_dl.c — loads libcurl on first use (curl_dl.h says why).
 *
 * pthread_once makes the load and curl_global_init (which is not
 * thread-safe) happen exactly once per process.  The table, the handle and
 * the reason for a failure are the only static state: written once inside
 * the once-routine and read-only afterwards, process setup of a dependency
 * rather than state the library's behaviour depends on.  The handle is
 * never closed: libcurl may keep threads (the resolver) and atexit work.
 */
#include "curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

/* The soname of libcurl 7.x and 8.x (Debian's libcurl4 package). */
#define KN_CURL_SONAME "libcurl.so.4"

static pthread_once_t kn_curl_once = PTHREAD_ONCE_INIT;
static kn_curl_api kn_curl_table;
static const kn_curl_api *kn_curl_ready;
static const char *kn_curl_why = "libcurl was not loaded";

/* Each entry: the symbol and where its address goes in the table. */
#define KN_CURL_FUNCS(X)                                                    \
    X(curl_global_init, global_init) X(curl_easy_init, easy_init)          \
    X(curl_easy_setopt, easy_setopt) X(curl_easy_perform, easy_perform)    \
    X(curl_easy_getinfo, easy_getinfo) X(curl_easy_cleanup, easy_cleanup)  \
    X(curl_easy_strerror, easy_strerror) X(curl_slist_append, slist_append) \
    X(curl_slist_free_all, slist_free_all) X(curl_free, free)              \
    X(curl_url, url) X(curl_url_cleanup, url_cleanup) X(curl_url_set, url_set) \
    X(curl_url_get, url_get) X(curl_url_strerror, url_strerror)

static void kn_curl_load(void)
{
    void *h = dlopen(KN_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        kn_curl_why = "cannot load " KN_CURL_SONAME " (is libcurl4 installed?)";
        return;
    }
    kn_curl_api *t = &kn_curl_table;
    void *sym;
    /* POSIX dlsym returns object pointers; converting them to function
     * pointers through memcpy-free assignment is what POSIX requires to
     * work (XSH dlsym, "Application Usage"). */
#define KN_CURL_BIND(SYM, FIELD)                                            \
    if (!(sym = dlsym(h, #SYM))) {                                          \
        kn_curl_why = KN_CURL_SONAME " lacks " #SYM;                        \
        return;                                                             \
    }                                                                       \
    *(void **)&t->FIELD = sym;
    KN_CURL_FUNCS(KN_CURL_BIND)
#undef KN_CURL_BIND
    CURLcode rc = t->global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        kn_curl_why = t->easy_strerror(rc);
        return;
    }
    kn_curl_ready = t;
}

const kn_curl_api *kn_curl(const char **why)
{
    pthread_once(&kn_curl_once, kn_curl_load);
    if (!kn_curl_ready && why)
        *why = kn_curl_why;
    return kn_curl_ready;
}
