/* httpd-fake.c: a small HTTP/1.1 server for the download tests, on 127.0.0.1
 * only, that serves the files under ROOT and can be told to lie. It binds an
 * ephemeral port and writes the number to PORTFILE (atomically), answers one
 * connection at a time (Connection: close), logs each request line and its
 * Range header to LOGFILE, and exits after IDLE seconds without a request so
 * a test that dies never leaves it behind.
 *
 * usage: httpd-fake ROOT PORTFILE LOGFILE [IDLE]
 *
 * GET /a/b?q serves ROOT/a/b (the query is dropped); "Range: bytes=N-" gets a
 * 206 with Content-Range or, for N at or past the end of the file, a 416
 * (Range Not Satisfiable) whose Content-Range gives the size, as real servers
 * answer. A sidecar ROOT/a/b.hdr changes the answer, one line each (the file
 * itself may then be absent: an empty body):
 *   @status CODE    answer CODE (e.g. 302 with a Location line)
 *   @length N       send "Content-Length: N" whatever the body's size
 *   @send N         send only the first N bytes of the body, then close
 *   @norange        ignore Range (always 200 and the whole file)
 *   @range416       answer every Range request with 416 (a server that will
 *                   not resume this file; a request without Range gets it all)
 *   Name: value     any other line is sent as a header, verbatim
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define REQ_MAX  8192
#define PATH_LEN 4096

struct answer {
    int status;
    long long length; /* -1: the body's own size */
    long long send;   /* -1: the whole body */
    bool norange, range416;
    char headers[4096];
};

static const char *g_root;
static FILE *g_log;

static void die(const char *what)
{
    fprintf(stderr, "httpd-fake: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Read the request head (up to the blank line) into buf; false on EOF or error. */
static bool read_head(int fd, char *buf, size_t n)
{
    size_t k = 0;
    while (k + 1 < n) {
        ssize_t r = read(fd, buf + k, n - 1 - k);
        if (r <= 0)
            return false;
        k += (size_t)r;
        buf[k] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            return true;
    }
    return false;
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w <= 0)
            return; /* the client went away: fine */
        c += w;
        n -= (size_t)w;
    }
}

static void read_sidecar(const char *file, struct answer *a)
{
    char path[PATH_LEN + 8], line[1024];
    snprintf(path, sizeof path, "%s.hdr", file);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!strncmp(line, "@status ", 8))
            a->status = atoi(line + 8);
        else if (!strncmp(line, "@length ", 8))
            a->length = atoll(line + 8);
        else if (!strncmp(line, "@send ", 6))
            a->send = atoll(line + 6);
        else if (!strcmp(line, "@norange"))
            a->norange = true;
        else if (!strcmp(line, "@range416"))
            a->range416 = true;
        else if (line[0] && strlen(a->headers) + strlen(line) + 3 < sizeof a->headers) {
            strcat(a->headers, line);
            strcat(a->headers, "\r\n");
        }
    }
    if (f)
        fclose(f);
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 404: return "Not Found";
    case 416: return "Range Not Satisfiable";
    default: return "Status";
    }
}

static void answer(int fd, const char *target, long long range_from)
{
    char file[PATH_LEN], head[8192];
    struct answer a = {.status = 200, .length = -1, .send = -1};
    snprintf(file, sizeof file, "%s%.*s", g_root, (int)strcspn(target, "?"), target);
    read_sidecar(file, &a);
    FILE *f = fopen(file, "rb");
    struct stat sb;
    long long size = f && fstat(fileno(f), &sb) == 0 ? (long long)sb.st_size : 0;
    char sc[PATH_LEN + 8];
    snprintf(sc, sizeof sc, "%s.hdr", file);
    if (!f && access(sc, F_OK) != 0)
        a.status = 404;
    long long from = 0;
    char extra[128] = "";
    bool ranged = a.status == 200 && range_from >= 0 && !a.norange;
    if (ranged && (a.range416 || range_from >= size)) {
        a.status = 416;
        from = size; /* no body */
        snprintf(extra, sizeof extra, "Content-Range: bytes */%lld\r\n", size);
    } else if (ranged) {
        from = range_from;
        a.status = 206;
        snprintf(extra, sizeof extra, "Content-Range: bytes %lld-%lld/%lld\r\n", from, size - 1,
                 size);
    }
    long long body = size - from;
    int k = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Length: %lld\r\n%s%s"
                     "Accept-Ranges: bytes\r\nConnection: close\r\n\r\n",
                     a.status, reason(a.status), a.length >= 0 ? a.length : body, extra, a.headers);
    send_all(fd, head, (size_t)k);
    long long left = a.send >= 0 && a.send < body ? a.send : body;
    if (f && fseeko(f, from, SEEK_SET) == 0) {
        char buf[65536];
        size_t r;
        while (left > 0 &&
               (r = fread(buf, 1, left < (long long)sizeof buf ? (size_t)left : sizeof buf, f)) >
                   0) {
            send_all(fd, buf, r);
            left -= (long long)r;
        }
    }
    if (f)
        fclose(f);
}

static void serve(int fd)
{
    char req[REQ_MAX], method[16], target[PATH_LEN];
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (!read_head(fd, req, sizeof req) || sscanf(req, "%15s %4000s", method, target) != 2)
        return;
    long long range_from = -1;
    const char *r = strcasestr(req, "\r\nRange: bytes=");
    if (r)
        range_from = atoll(r + 15);
    fprintf(g_log, "%s %s range=%lld\n", method, target, range_from);
    fflush(g_log);
    if (strstr(target, "..")) {
        send_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 47);
        return;
    }
    answer(fd, target, range_from);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: httpd-fake ROOT PORTFILE LOGFILE [IDLE_SECONDS]\n");
        return 2;
    }
    g_root = argv[1];
    int idle = argc > 4 ? atoi(argv[4]) : 120;
    signal(SIGPIPE, SIG_IGN);
    if (!(g_log = fopen(argv[3], "a")))
        die(argv[3]);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(s, 16) != 0 ||
        getsockname(s, (struct sockaddr *)&addr, &len) != 0)
        die("socket");
    char tmp[PATH_LEN];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
    FILE *pf = fopen(tmp, "w");
    if (!pf || fprintf(pf, "%d\n", ntohs(addr.sin_port)) < 0 || fclose(pf) != 0 ||
        rename(tmp, argv[2]) != 0)
        die(argv[2]);
    struct timeval tv = {.tv_sec = idle};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv); /* accept() times out: idle exit */
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR)
                continue;
            return 0; /* idle (EAGAIN) or broken: either way, done */
        }
        serve(c);
        shutdown(c, SHUT_WR);
        close(c);
    }
}
