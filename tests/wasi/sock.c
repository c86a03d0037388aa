/*
 * sock.c — a TCP server on the socket granted with --tcplisten (no --dir,
 * so it is fd 3).  Checks fd 3's filetype (socket_stream) and that it has
 * no prestat; a non-blocking accept with no client fails with EAGAIN; then,
 * blocking again, prints "== serving" (run.sh starts tcp_client when it
 * sees it) and serves three connections in turn:
 *   1. "hello": poll() says the connection is readable; recv to EOF gets
 *      "hello kiln\n"; replies "echo: hello kiln\n" with send;
 *   2. "big": receives 300000 bytes in pieces and replies with their count
 *      and FNV-1a hash, followed by 200000 bytes of 'z' and "end\n";
 *   3. "peek": recv with MSG_PEEK shows data that the next recv returns
 *      again; replies "bye\n", shuts down writing (the client sees EOF),
 *      and recv then returns 0.
 * run.sh compares this output and tcp_client's with their expected files.
 */
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <wasi/api.h>

#include "check.h"

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, 0);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static char big[400000];

/* recv until EOF into big; returns the length or -1 */
static long recv_all(int fd, size_t piece)
{
    size_t n = 0;
    for (;;) {
        if (n + piece > sizeof big)
            return -1;
        ssize_t k = recv(fd, big + n, piece, 0);
        if (k < 0)
            return -1;
        if (k == 0)
            return (long)n;
        n += (size_t)k;
    }
}

static int accept_one(int ls)
{
    int c = accept(ls, NULL, NULL);
    CHECK(c >= 0, "accept a connection");
    return c;
}

int main(void)
{
    CHECK_INIT();
    const int ls = 3;
    __wasi_fdstat_t fs;
    CHECK_WASI(__wasi_fd_fdstat_get(ls, &fs), 0, "fd_fdstat_get(3)");
    CHECK_INT(fs.fs_filetype, __WASI_FILETYPE_SOCKET_STREAM, "fd 3 is a socket_stream");
    __wasi_prestat_t pre;
    CHECK_WASI(__wasi_fd_prestat_get(ls, &pre), __WASI_ERRNO_BADF, "fd 3 has no prestat: EBADF");

    CHECK_INT(fcntl(ls, F_SETFL, O_NONBLOCK), 0, "fcntl(3, F_SETFL, O_NONBLOCK)");
    CHECK_ERR(accept(ls, NULL, NULL), EAGAIN, "non-blocking accept without a client: EAGAIN");
    CHECK_INT(fcntl(ls, F_SETFL, 0), 0, "fcntl(3, F_SETFL, 0): blocking again");
    printf("== serving\n");

    /* 1. hello */
    int c = accept_one(ls);
    CHECK_WASI(__wasi_fd_fdstat_get(c, &fs), 0, "fd_fdstat_get(connection)");
    CHECK_INT(fs.fs_filetype, __WASI_FILETYPE_SOCKET_STREAM, "the connection is a socket_stream");
    struct pollfd pf = {.fd = c, .events = POLLRDNORM};
    CHECK_INT(poll(&pf, 1, 10000), 1, "poll() on the connection returns 1");
    CHECK(pf.revents & POLLRDNORM, "it is readable");
    long n = recv_all(c, 3);
    CHECK_INT(n, 11, "received 11 bytes in 3-byte recvs, then EOF");
    CHECK(n == 11 && memcmp(big, "hello kiln\n", 11) == 0, "they are \"hello kiln\\n\"");
    CHECK_INT(send_all(c, "echo: ", 6) | send_all(c, big, 11), 0, "send the echo");
    CHECK_INT(close(c), 0, "close the connection");

    /* 2. big */
    c = accept_one(ls);
    n = recv_all(c, 65536);
    CHECK_INT(n, 300000, "received 300000 bytes");
    uint32_t h = 2166136261u;
    for (long i = 0; i < n; i++)
        h = (h ^ (unsigned char)big[i]) * 16777619u;
    char line[64];
    int len = snprintf(line, sizeof line, "got %ld bytes fnv1a=%08x\n", n, h);
    printf("%s", line);
    memset(big, 'z', 200000);
    CHECK_INT(send_all(c, line, (size_t)len) | send_all(c, big, 200000) | send_all(c, "end\n", 4), 0,
              "send the summary, 200000 bytes and end");
    CHECK_INT(close(c), 0, "close the connection");

    /* 3. peek, shutdown */
    c = accept_one(ls);
    char buf[64] = {0};
    CHECK_INT(recv(c, buf, 4, MSG_PEEK), 4, "recv MSG_PEEK 4 bytes");
    CHECK(memcmp(buf, "peek", 4) == 0, "peeked \"peek\"");
    memset(buf, 0, sizeof buf);
    n = 0;
    while (n < 10) {
        ssize_t k = recv(c, buf + n, sizeof buf - 1 - (size_t)n, 0);
        if (k <= 0)
            break;
        n += k;
    }
    CHECK(n == 10 && strcmp(buf, "peek test\n") == 0, "recv then returns the peeked bytes again: \"peek test\\n\"");
    CHECK_INT(send_all(c, "bye\n", 4), 0, "send bye");
    CHECK_INT(shutdown(c, SHUT_WR), 0, "shutdown(SHUT_WR)");
    CHECK_INT(recv(c, buf, sizeof buf, 0), 0, "recv after the client closed returns 0");
    CHECK_INT(close(c), 0, "close the connection");
    CHECK_DONE();
}
