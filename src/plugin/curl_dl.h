/*
 * curl_dl.h — libcurl, loaded when the first http_request needs it.
 *
 * libcurl and what it links (TLS, Kerberos, LDAP, IDN, ssh: about 25
 * shared objects) cost every process that maps them about 12 ms of
 * dynamic loading, which `kiln run`, `kiln call` without HTTP and every
 * embedder of libkiln-plugin would pay for a feature most never use.  So
 * http.c reaches libcurl through this table, filled by dlopen on first
 * use (once per process), and nothing links -lcurl.  The types and
 * constants are still curl's own, from <curl/curl.h>.
 */
#ifndef KN_CURL_DL_H
#define KN_CURL_DL_H

#include <curl/curl.h>

typedef struct kn_curl_api {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *c);
    CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *c);
    const char *(*easy_strerror)(CURLcode rc);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
    void (*free)(void *p);
    CURLU *(*url)(void);
    void (*url_cleanup)(CURLU *u);
    CURLUcode (*url_set)(CURLU *u, CURLUPart part, const char *content, unsigned int flags);
    CURLUcode (*url_get)(const CURLU *u, CURLUPart part, char **content, unsigned int flags);
    const char *(*url_strerror)(CURLUcode rc);
} kn_curl_api;

/* libcurl's functions after curl_global_init, or NULL with *why (static
 * text) saying what failed: the library is missing, lacks a function, or
 * did not initialise.  Thread-safe; the work is done once per process. */
const kn_curl_api *kn_curl(const char **why);

#endif
