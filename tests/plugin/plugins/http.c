/* http.c — http_request: GET the URL given as input; the output is
 * "STATUS BODY", and http_headers' JSON goes to the log. */
#include "../pdk/kiln_pdk.h"

KP_EXPORT(get)
{
    uint64_t n;
    char *url = (char *)kp_input(&n);
    char req[512] = "{\"url\": \"";
    strncat(req, url, 400);
    strcat(req, "\", \"method\": \"GET\", \"headers\": {\"X-Test\": \"1\"}}");
    kp_handle res = kp_http_request(kp_new_str(req), 0);
    char num[24], out[512] = "";
    strcat(out, kp_utoa((uint64_t)kp_http_status_code(), num));
    strcat(out, " ");
    uint64_t blen = 0;
    char *body = kp_read(res, &blen);
    if (body)
        strncat(out, body, 400);
    kp_handle h = kp_http_headers();
    if (h)
        kp_log_info(h);
    kp_output_str(out);
    return 0;
}
