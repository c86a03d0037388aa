/* test_cgi.c — WAGI output parsing as Spin's executor and RFC 3875 define
 * it: content-type, location (302), status, CR handling, the 500 and 502
 * cases, and headers passed through in order. */
#include <string.h>

#include "../unit/unit.h"
#include "cgi.h"

static int parse(const char *out, kn_cgi_response *r)
{
    return kn_cgi_parse((const uint8_t *)out, strlen(out), r);
}

static int header_is(const kn_cgi_header *h, const char *name, const char *value)
{
    return h->name_len == strlen(name) && !memcmp(h->name, name, h->name_len) &&
           h->value_len == strlen(value) && !memcmp(h->value, value, h->value_len);
}

static int body_is(const kn_cgi_response *r, const char *body)
{
    return r->body_len == strlen(body) && !memcmp(r->body, body, r->body_len);
}

TEST(cgi_content_type)
{
    kn_cgi_response r;
    CHECK_EQ(parse("Content-Type: text/plain\n\nhello\n", &r), 0);
    CHECK_EQ(r.status, 200);
    CHECK(r.problem == NULL);
    CHECK_EQ(r.nheaders, 1);
    CHECK(header_is(&r.headers[0], "Content-Type", "text/plain"));
    CHECK(body_is(&r, "hello\n"));
    kn_cgi_response_free(&r);
}

TEST(cgi_crlf_and_body_crs_kept)
{
    kn_cgi_response r;
    CHECK_EQ(parse("content-type:  text/html \r\nX-A: 1\r\n\r\na\r\nb", &r), 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.nheaders, 2);
    CHECK(header_is(&r.headers[0], "content-type", "text/html"));
    CHECK(header_is(&r.headers[1], "X-A", "1"));
    CHECK(body_is(&r, "a\r\nb"));
    kn_cgi_response_free(&r);
}

TEST(cgi_location_is_302)
{
    kn_cgi_response r;
    CHECK_EQ(parse("Location: /elsewhere\n\n", &r), 0);
    CHECK_EQ(r.status, 302);
    CHECK(header_is(&r.headers[0], "Location", "/elsewhere"));
    CHECK_EQ(r.body_len, 0);
    kn_cgi_response_free(&r);
    /* An explicit status wins, before or after location. */
    CHECK_EQ(parse("Status: 301 Moved\nLocation: /x\n\n", &r), 0);
    CHECK_EQ(r.status, 301);
    kn_cgi_response_free(&r);
    CHECK_EQ(parse("Location: /x\nStatus: 307\n\n", &r), 0);
    CHECK_EQ(r.status, 307);
    kn_cgi_response_free(&r);
}

TEST(cgi_status)
{
    kn_cgi_response r;
    CHECK_EQ(parse("status: 404 Not Found\ncontent-type: text/plain\n\nnope", &r), 0);
    CHECK_EQ(r.status, 404);
    CHECK_EQ(r.nheaders, 1); /* status is not passed on */
    CHECK(body_is(&r, "nope"));
    kn_cgi_response_free(&r);
    CHECK_EQ(parse("Status: 204\n\n", &r), 0); /* status alone is enough */
    CHECK_EQ(r.status, 204);
    kn_cgi_response_free(&r);
    const char *bad[] = {"Status: 2000\n\n", "Status: abc\n\n", "Status: 099\n\n",
                         "Status: \n\n", "Status: 20x OK\n\n", "Status: 200OK\n\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_EQ(parse(bad[i], &r), 0);
        CHECK_EQ(r.status, 502);
        CHECK(r.problem != NULL);
        kn_cgi_response_free(&r);
    }
}

TEST(cgi_insufficient_is_500)
{
    kn_cgi_response r;
    const char *outs[] = {"X-Only: 1\n\nbody", "hello world", "no blank line\n", ""};
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++) {
        CHECK_EQ(parse(outs[i], &r), 0);
        CHECK_EQ(r.status, 500);
        CHECK(r.problem != NULL);
        CHECK_EQ(r.nheaders, 0);
        CHECK_EQ(r.body_len, 0);
        kn_cgi_response_free(&r);
    }
}

TEST(cgi_malformed_is_502)
{
    kn_cgi_response r;
    const char *outs[] = {"Content-Type: text/plain\nBad Name: x\n\n",
                          "Content-Type: text/plain\n: empty name\n\n",
                          "Content-Type: text/pl\001ain\n\n",
                          "Content-Type: text/plain\nX: a\rb\n\n",
                          "Content-Type: caf\xc3\xa9\n\n"};
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++) {
        CHECK_EQ(parse(outs[i], &r), 0);
        CHECK_EQ(r.status, 502);
        CHECK(r.problem != NULL);
        kn_cgi_response_free(&r);
    }
}

TEST(cgi_headers_in_order_framing_dropped)
{
    kn_cgi_response r;
    CHECK_EQ(parse("Set-Cookie: a=1\nContent-Type: text/plain\nContent-Length: 99\n"
                   "Set-Cookie: b=2\nTransfer-Encoding: chunked\nConnection: close\n"
                   "just words\n\nx",
                   &r),
             0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.nheaders, 3);
    CHECK(header_is(&r.headers[0], "Set-Cookie", "a=1"));
    CHECK(header_is(&r.headers[1], "Content-Type", "text/plain"));
    CHECK(header_is(&r.headers[2], "Set-Cookie", "b=2"));
    CHECK_EQ(r.skipped, 1);
    CHECK(body_is(&r, "x"));
    kn_cgi_response_free(&r);
}

TEST(cgi_blank_line_forms)
{
    kn_cgi_response r;
    /* "\n\r\n" ends the headers too: CRs do not count in the header part. */
    CHECK_EQ(parse("Content-Type: a/b\n\r\nbody", &r), 0);
    CHECK_EQ(r.status, 200);
    CHECK(body_is(&r, "body"));
    kn_cgi_response_free(&r);
    /* A body that starts with a blank line keeps it. */
    CHECK_EQ(parse("Content-Type: a/b\n\n\nbody", &r), 0);
    CHECK(body_is(&r, "\nbody"));
    kn_cgi_response_free(&r);
}
