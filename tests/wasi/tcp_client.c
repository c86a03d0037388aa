/*
 * tcp_client.c — the native client run.sh uses against sock.wasm:
 *   tcp_client PORT hello|big|peek
 * connects to 127.0.0.1:PORT (retrying for up to 10 s while the server
 * starts), sends the mode's request, shuts down its writing side, reads
 * the reply to EOF and prints a deterministic summary of it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 20];

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = -1;
    for (int tries = 0; tries < 200; tries++) {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
            break;
        close(fd);
        fd = -1;
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    }
    if (fd < 0) {
        perror("tcp_client: connect");
        return 1;
    }
    const char *mode = argv[2];
    size_t n = 0;
    if (strcmp(mode, "hello") == 0) {
        memcpy(buf, "hello kiln\n", n = 11);
    } else if (strcmp(mode, "big") == 0) {
        for (n = 0; n < 300000; n++)
            buf[n] = (char)('a' + (n * 7 + n / 1000) % 26);
    } else {
        memcpy(buf, "peek test\n", n = 10);
    }
    for (size_t off = 0; off < n;) {
        ssize_t k = send(fd, buf + off, n - off, 0);
        if (k <= 0) {
            perror("tcp_client: send");
            return 1;
        }
        off += (size_t)k;
    }
    shutdown(fd, SHUT_WR);
    size_t got = 0;
    for (;;) {
        ssize_t k = recv(fd, buf + got, sizeof buf - got, 0);
        if (k < 0) {
            perror("tcp_client: recv");
            return 1;
        }
        if (k == 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    if (strcmp(mode, "big") == 0) {
        size_t nl = 0;
        while (nl < got && buf[nl] != '\n')
            nl++;
        size_t z = 0;
        while (nl + 1 + z < got && buf[nl + 1 + z] == 'z')
            z++;
        printf("%s: %.*s, then %zu z, then %.*s", mode, (int)nl, buf, z,
               (int)(got - (nl + 1 + z)), buf + nl + 1 + z);
    } else {
        printf("%s: %.*s", mode, (int)got, buf);
    }
    return 0;
}
