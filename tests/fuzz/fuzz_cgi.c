/* fuzz_cgi.c — libFuzzer target for the WAGI output parser
 * (src/serve/cgi.c): any bytes a guest writes to stdout must give a
 * response whose status is a real HTTP status, whose headers are safe to
 * send (token names, visible-ASCII values), and whose body lies inside the
 * output; anything else aborts. */
#include <stdlib.h>
#include <string.h>

#include "cgi.h"

static int tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void check_header(const kn_cgi_header *h)
{
    if (h->name_len == 0)
        abort();
    for (size_t i = 0; i < h->name_len; i++)
        if (!tchar((unsigned char)h->name[i]))
            abort();
    for (size_t i = 0; i < h->value_len; i++) {
        unsigned char c = (unsigned char)h->value[i];
        if ((c < 0x20 && c != '\t') || c >= 0x7f)
            abort();
    }
    if (h->value_len && (h->value[0] == ' ' || h->value[h->value_len - 1] == ' '))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kn_cgi_response r;
    if (kn_cgi_parse(data, size, &r))
        return 0; /* out of memory */
    if (r.status < 100 || r.status > 999)
        abort();
    if ((r.status == 500 || r.status == 502) && r.problem && (r.nheaders || r.body_len))
        abort();
    if (!r.problem && (r.body < data || r.body + r.body_len != data + size))
        abort();
    for (size_t i = 0; i < r.nheaders; i++)
        check_header(&r.headers[i]);
    kn_cgi_response_free(&r);
    return 0;
}
