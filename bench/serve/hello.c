/* hello.c — the serve benchmark's WAGI handler: the CGI header block and
 * "hello\n", the same six-byte text/plain body every server in the serve
 * section answers with.  Written to stdout in one call so the guest's own
 * work is as small as node's or workerd's handler. */
#include <string.h>
#include <unistd.h>

int main(void)
{
    static const char resp[] = "Content-Type: text/plain\n\nhello\n";
    return write(1, resp, sizeof resp - 1) == (ssize_t)(sizeof resp - 1) ? 0 : 1;
}
