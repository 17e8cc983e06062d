/* download.c: the libcurl transfer engine (one URL into one file, with a size
 * limit, resume by Range, and size/sha256 checks) and single checked file
 * downloads. Hugging Face model folders are download_hf.c. Every transfer
 * writes to a temporary name beside its target; only verified bytes are
 * renamed into place. TLS peer and host verification are always on. */
#include "config.h"

#include "download.h"
#include "download_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"

#define BB_DEFAULT_CONNECT_TIMEOUT 15L
#define BB_STALL_SECONDS           60L /* abort a transfer that moved no byte for this long */
#define BB_MAX_REDIRECTS           10L
#define BB_PROGRESS_MIN_BYTES      (1L << 20)
#define BB_FILE_LIMIT              (64LL << 30) /* bb_download_file: any one file */

/* Why the write callback stopped a transfer (curl only sees "write error"). */
enum stop_reason { STOP_NONE, STOP_DISK, STOP_TOO_BIG, STOP_SIZE_LIE, STOP_RANGE };

struct sink {
    const struct fetch_req *req;
    CURL *h;
    FILE *f;
    struct bb_sha256 sha;
    long long offset;                   /* bytes already on disk before this transfer */
    long long bytes;                    /* bytes written by this transfer */
    long long announced;                /* Content-Length of the answer (-1 none) */
    long long range_start;              /* from Content-Range (-1 none) */
    char linked_sha[BB_SHA256_HEX_LEN]; /* X-Linked-Etag when it is a sha256 */
    long long linked_size;              /* X-Linked-Size (-1 none) */
    long long header_length;            /* Content-Length of the last answer's head (-1 none) */
    bool started;
    enum stop_reason stop;
    struct bb_progress progress;
    bool progress_on;
};

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl_init_rc;

static void curl_init_once(void)
{
    g_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void bb_fetch_size_str(long long n, char *out, size_t len)
{
    if (n >= (1LL << 30) && n % (1LL << 30) == 0)
        snprintf(out, len, "%lld GiB", n >> 30);
    else if (n >= (1LL << 20) && n % (1LL << 20) == 0)
        snprintf(out, len, "%lld MiB", n >> 20);
    else
        snprintf(out, len, "%lld bytes", n);
}

bool bb_fetch_is_hex64(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!strchr("0123456789abcdefABCDEF", s[n]))
            return false;
    return n == 64;
}

static long connect_timeout_s(void)
{
    const char *s = getenv("BIASBENCH_CONNECT_TIMEOUT");
    if (!s || !*s)
        return BB_DEFAULT_CONNECT_TIMEOUT;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 1 || v > 3600) {
        bb_warn("BIASBENCH_CONNECT_TIMEOUT: expected whole seconds 1..3600, found '%s'; using %ld",
                s, BB_DEFAULT_CONNECT_TIMEOUT);
        return BB_DEFAULT_CONNECT_TIMEOUT;
    }
    return v;
}

/* ---- callbacks ------------------------------------------------------------ */

/* Header value after "Name:", trimmed, with quotes and a weak "W/" removed. */
static void header_value(const char *line, size_t n, char *out, size_t len)
{
    const char *v = memchr(line, ':', n);
    size_t k = 0;
    if (!v)
        v = line + n;
    else
        v++;
    while (v < line + n && (*v == ' ' || *v == '\t'))
        v++;
    if (line + n - v >= 2 && !strncmp(v, "W/", 2))
        v += 2;
    for (; v < line + n && k + 1 < len; v++)
        if (*v != '"' && *v != '\r' && *v != '\n')
            out[k++] = *v;
    while (k > 0 && (out[k - 1] == ' ' || out[k - 1] == '\t'))
        k--;
    out[k] = '\0';
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *user)
{
    struct sink *s = user;
    size_t n = size * nmemb;
    char v[256];
    if (n >= 5 && !strncmp(line, "HTTP/", 5)) { /* a new answer (after a redirect) */
        s->range_start = -1;
        s->header_length = -1;
        return n;
    }
    header_value(line, n, v, sizeof v);
    if (n > 14 && !strncasecmp(line, "X-Linked-Etag:", 14)) {
        if (bb_fetch_is_hex64(v)) {
            memcpy(s->linked_sha, v, 64);
            s->linked_sha[64] = '\0';
        }
    } else if (n > 14 && !strncasecmp(line, "X-Linked-Size:", 14)) {
        s->linked_size = strtoll(v, NULL, 10);
    } else if (n > 15 && !strncasecmp(line, "Content-Length:", 15)) {
        s->header_length = strtoll(v, NULL, 10);
    } else if (n > 14 && !strncasecmp(line, "Content-Range:", 14)) {
        long long a;
        if (sscanf(v, "bytes %lld-", &a) == 1)
            s->range_start = a;
    }
    return n;
}

/* Drop the bytes kept for a resume: the file is downloaded again from its first byte. */
static bool start_over(struct sink *s)
{
    if (fflush(s->f) != 0 || ftruncate(fileno(s->f), 0) != 0 || fseeko(s->f, 0, SEEK_SET) != 0)
        return false;
    s->offset = 0;
    bb_sha256_init(&s->sha);
    return true;
}

/* First body byte: is the answer what we asked for, and may it be this big? */
static bool check_answer(struct sink *s)
{
    long code = 0;
    curl_off_t cl = -1;
    curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(s->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
    s->announced = cl;
    if (s->offset > 0 && code == 200) { /* the server ignored Range: start again */
        bb_info("%s: the server does not resume; downloading it again from the start",
                s->req->label);
        if (!start_over(s)) {
            s->stop = STOP_DISK;
            return false;
        }
    } else if (s->offset > 0 && (code != 206 || s->range_start != s->offset)) {
        s->stop = STOP_RANGE;
        return false;
    }
    if (cl >= 0 && s->offset + cl > s->req->max_bytes) {
        s->stop = STOP_TOO_BIG;
        return false;
    }
    if (cl >= 0 && s->req->expect_size >= 0 && s->offset + cl != s->req->expect_size) {
        s->stop = STOP_SIZE_LIE;
        return false;
    }
    return true;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
    struct sink *s = user;
    size_t n = size * nmemb;
    if (!s->started) {
        s->started = true;
        if (!check_answer(s))
            return 0;
    }
    long long total = s->offset + s->bytes + (long long)n;
    if (total > s->req->max_bytes) {
        s->stop = STOP_TOO_BIG;
        return 0;
    }
    if (s->req->expect_size >= 0 && total > s->req->expect_size) {
        s->stop = STOP_SIZE_LIE;
        return 0;
    }
    if (fwrite(ptr, 1, n, s->f) != n) {
        s->stop = STOP_DISK;
        return 0; /* curl turns this into CURLE_WRITE_ERROR */
    }
    bb_sha256_update(&s->sha, ptr, n);
    s->bytes += (long long)n;
    return n;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct sink *s = user;
    (void)ultotal;
    (void)ulnow;
    if (!s->progress_on && dltotal >= BB_PROGRESS_MIN_BYTES) {
        bb_progress_start(&s->progress, s->req->label, (size_t)((s->offset + dltotal) >> 10));
        s->progress_on = true;
    }
    if (s->progress_on)
        bb_progress_update(&s->progress, (size_t)((s->offset + dlnow) >> 10));
    return 0;
}

/* ---- one transfer ----------------------------------------------------------- */

/* Host part of url (the URL itself when it has none, e.g. file://). */
static void url_host(const char *url, char *out, size_t n)
{
    CURLU *u = curl_url();
    char *host = NULL;
    snprintf(out, n, "%s", url);
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host && *host)
        snprintf(out, n, "%s", host);
    curl_free(host);
    curl_url_cleanup(u);
}

/* An https URL only ever redirects to https (no silent downgrade to plain http). */
static bool is_https(const char *url)
{
    return !strncasecmp(url, "https:", 6);
}

/* TLS: verification of the peer's certificate and host name is on, always;
 * no option or variable turns it off. BIASBENCH_CA_BUNDLE names a PEM file of
 * certificates to trust instead of the system's (a company proxy's CA). */
static void set_tls(CURL *h)
{
    const char *ca = getenv("BIASBENCH_CA_BUNDLE");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (ca && *ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
}

static void set_options(CURL *h, const struct fetch_req *r, struct sink *s, char *errbuf)
{
    char range[64];
    curl_easy_setopt(h, CURLOPT_URL, r->url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, BB_MAX_REDIRECTS);
    curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, connect_timeout_s());
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, BB_STALL_SECONDS);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "biasbench/" PACKAGE_VERSION);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(r->max_bytes - s->offset));
    if (s->offset > 0) {
        snprintf(range, sizeof range, "%lld-", s->offset);
        curl_easy_setopt(h, CURLOPT_RANGE, range);
    }
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, is_https(r->url) ? "https" : "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE);
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
                     is_https(r->url) ? CURLPROTO_HTTPS : CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
    set_tls(h);
    if (r->bearer && *r->bearer) {
        /* Bearer auth is sent to the first host only, never after a redirect. */
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
        curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, r->bearer);
    }
}

/* A failure the write callback decided: which rule the answer broke. */
static enum fetch_outcome refused(const struct sink *s, struct bb_error *err)
{
    const struct fetch_req *r = s->req;
    char lim[48];
    bb_fetch_size_str(r->max_bytes, lim, sizeof lim);
    switch (s->stop) {
    case STOP_TOO_BIG:
        if (s->announced >= 0)
            bb_fail(err, BB_E_IO,
                    "%s: refused: the server announces %lld bytes (Content-Length), "
                    "over the %s limit for %s",
                    r->url, s->offset + s->announced, lim, r->label);
        else
            bb_fail(err, BB_E_IO, "%s: refused: more than the %s limit for %s", r->url, lim,
                    r->label);
        break;
    case STOP_SIZE_LIE:
        bb_fail(err, BB_E_IO,
                "%s: refused: the server sends %lld bytes where the repository "
                "listing says %lld; the download was discarded",
                r->url, s->announced >= 0 ? s->offset + s->announced : s->offset + s->bytes,
                r->expect_size);
        break;
    case STOP_RANGE:
        bb_fail(err, BB_E_IO,
                "%s: refused: asked to resume at byte %lld, the server answered "
                "with another range; the partial file was discarded",
                r->url, s->offset);
        break;
    default:
        bb_fail(err, BB_E_IO, "%s: write error: %s", r->path, strerror(errno));
        return FETCH_ERROR;
    }
    return FETCH_REFUSED;
}

/* An HTTP error answer (other than 404/410): what it means for the user. */
static enum fetch_outcome http_error(long code, const struct sink *s, struct bb_error *err)
{
    const char *url = s->req->url;
    switch (code) {
    case 401:
        bb_fail(err, BB_E_IO,
                "%s: not authorised (HTTP 401): the repository does not exist, or it "
                "is private or gated and needs HF_TOKEN",
                url);
        return FETCH_ERROR;
    case 403:
        bb_fail(err, BB_E_IO,
                "%s: access denied (HTTP 403): a gated repository needs its licence "
                "accepted and HF_TOKEN set",
                url);
        return FETCH_ERROR;
    case 416: /* transfer() starts a refused resume over: this answered a whole-file request */
        bb_fail(err, BB_E_IO, "%s: HTTP 416 (range not satisfiable) to a request for the whole "
                "file", url);
        return FETCH_REFUSED;
    case 429:
        bb_fail(err, BB_E_IO, "%s: rate limited (HTTP 429); try again later or set HF_TOKEN", url);
        return FETCH_ERROR;
    }
    if (code >= 500)
        bb_fail(err, BB_E_IO, "%s: server error (HTTP %ld); try again later", url, code);
    else
        bb_fail(err, BB_E_IO, "%s: HTTP %ld", url, code);
    return FETCH_ERROR;
}

/* Fill err for a failed transfer and say which kind of failure it was. */
static enum fetch_outcome classify(CURL *h, CURLcode rc, const struct sink *s, const char *errbuf,
                                   struct bb_error *err)
{
    const char *url = s->req->url, *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    long code = 0;
    char host[256], lim[48];
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (s->stop != STOP_NONE)
        return refused(s, err);
    if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
        rc == CURLE_COULDNT_CONNECT ||
        (rc == CURLE_OPERATION_TIMEDOUT && s->bytes == 0 && code == 0)) {
        url_host(url, host, sizeof host);
        bb_fail(err, BB_E_IO, "cannot reach %s: %s", host, detail);
        return FETCH_UNREACHABLE;
    }
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
        rc == CURLE_SSL_CONNECT_ERROR) {
        url_host(url, host, sizeof host);
        bb_fail(err, BB_E_IO,
                "%s: TLS verification failed: %s (certificate checks cannot be "
                "turned off; BIASBENCH_CA_BUNDLE names extra certificates to trust)",
                host, detail);
        return FETCH_ERROR;
    }
    if (rc == CURLE_FILESIZE_EXCEEDED) {
        bb_fetch_size_str(s->req->max_bytes, lim, sizeof lim);
        bb_fail(err, BB_E_IO,
                "%s: refused: the server announces %lld bytes (Content-Length), "
                "over the %s limit for %s",
                url, s->offset + s->header_length, lim, s->req->label);
        return FETCH_REFUSED;
    }
    if (rc == CURLE_UNSUPPORTED_PROTOCOL && is_https(url)) {
        bb_fail(err, BB_E_IO, "%s: refused: a redirect away from https (%s)", url, detail);
        return FETCH_REFUSED;
    }
    if (rc == CURLE_TOO_MANY_REDIRECTS) {
        bb_fail(err, BB_E_IO, "%s: refused: more than %ld redirects (a redirect loop?)", url,
                BB_MAX_REDIRECTS);
        return FETCH_REFUSED;
    }
    if (rc == CURLE_FILE_COULDNT_READ_FILE || code == 404 || code == 410) {
        bb_fail(err, BB_E_IO, "%s: repository or file not found (%s)", url,
                code ? "HTTP 404" : "no such file");
        return FETCH_NOT_FOUND;
    }
    if (code >= 400)
        return http_error(code, s, err);
    if (rc == CURLE_PARTIAL_FILE)
        bb_fail(err, BB_E_IO, "%s: the transfer was cut off after %lld bytes: %s", url,
                s->offset + s->bytes, detail);
    else
        bb_fail(err, BB_E_IO, "%s: download failed: %s", url, detail);
    return FETCH_ERROR;
}

/* After a complete transfer: do size and sha256 agree with every promise? */
static enum fetch_outcome verify(const struct sink *s, struct fetch_res *res, struct bb_error *err)
{
    const struct fetch_req *r = s->req;
    const char *want = r->expect_sha256;
    res->size = s->offset + s->bytes;
    if (r->expect_size >= 0 && res->size != r->expect_size)
        return bb_fail(err, BB_E_IO,
                       "%s: refused: %lld bytes received where the repository listing "
                       "says %lld; the download was discarded",
                       r->url, res->size, r->expect_size),
               FETCH_REFUSED;
    if (s->linked_size >= 0 && res->size != s->linked_size)
        return bb_fail(err, BB_E_IO,
                       "%s: refused: %lld bytes received where X-Linked-Size says "
                       "%lld; the download was discarded",
                       r->url, res->size, s->linked_size),
               FETCH_REFUSED;
    if (want && s->linked_sha[0] && strcasecmp(want, s->linked_sha) != 0)
        return bb_fail(err, BB_E_IO,
                       "%s: refused: the repository listing gives sha256 %s but the "
                       "server's X-Linked-Etag is %s; the download was discarded",
                       r->url, want, s->linked_sha),
               FETCH_REFUSED;
    if (!want && s->linked_sha[0])
        want = s->linked_sha;
    if (want && strcasecmp(want, res->sha256) != 0)
        return bb_fail(err, BB_E_IO,
                       "%s: sha256 mismatch: expected %s, found %s; the download was "
                       "discarded",
                       r->url, want, res->sha256),
               FETCH_REFUSED;
    return FETCH_OK;
}

/* Open path for writing; with resume, keep its bytes and hash them first. */
static enum bb_status open_sink(struct sink *s, struct bb_error *err)
{
    const struct fetch_req *r = s->req;
    bb_sha256_init(&s->sha);
    s->f = fopen(r->path, r->resume ? "ab+" : "wb");
    if (!s->f)
        return bb_fail(err, BB_E_IO, "%s: cannot create: %s", r->path, strerror(errno));
    if (!r->resume)
        return BB_OK;
    char buf[1 << 16];
    size_t n;
    rewind(s->f);
    while ((n = fread(buf, 1, sizeof buf, s->f)) > 0) {
        bb_sha256_update(&s->sha, buf, n);
        s->offset += (long long)n;
    }
    if (ferror(s->f) || fseeko(s->f, 0, SEEK_END) != 0)
        return bb_fail(err, BB_E_IO, "%s: cannot read the partial file: %s", r->path,
                       strerror(errno));
    if (r->expect_size >= 0 && s->offset > r->expect_size) { /* not a prefix: start again */
        if (ftruncate(fileno(s->f), 0) != 0)
            return bb_fail(err, BB_E_IO, "%s: cannot truncate: %s", r->path, strerror(errno));
        s->offset = 0;
        bb_sha256_init(&s->sha);
    }
    if (s->offset > 0)
        bb_info("%s: resuming at byte %lld", r->label, s->offset);
    return BB_OK;
}

static enum fetch_outcome transfer(struct sink *s, CURL *h, struct fetch_res *res,
                                   struct bb_error *err)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    uint8_t digest[BB_SHA256_DIGEST_LEN];
    CURLcode rc = CURLE_OK;
    s->h = h;
    if (s->req->expect_size < 0 || s->offset < s->req->expect_size) {
        set_options(h, s->req, s, errbuf);
        rc = curl_easy_perform(h);
    }
    long code = 0;
    if (rc != CURLE_OK && s->offset > 0 && s->stop == STOP_NONE &&
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 416) {
        /* the server will not resume at our byte (the file changed, or it never resumes):
           the kept bytes are of no use, so the whole file is asked for, once */
        bb_info("%s: the server cannot resume at byte %lld (HTTP 416); downloading it again "
                "from the start", s->req->label, s->offset);
        if (!start_over(s))
            return bb_fail(err, BB_E_IO, "%s: cannot truncate: %s", s->req->path,
                           strerror(errno)), FETCH_ERROR;
        s->started = false;
        s->bytes = 0;
        s->announced = s->range_start = s->header_length = -1;
        errbuf[0] = '\0';
        set_options(h, s->req, s, errbuf);
        curl_easy_setopt(h, CURLOPT_RANGE, NULL);
        rc = curl_easy_perform(h);
    }
    if (s->progress_on)
        bb_progress_end(&s->progress);
    if (rc != CURLE_OK)
        return classify(h, rc, s, errbuf, err);
    if (fflush(s->f) != 0 || fsync(fileno(s->f)) != 0)
        return bb_fail(err, BB_E_IO, "%s: write error: %s", s->req->path, strerror(errno)),
               FETCH_ERROR;
    bb_sha256_final(&s->sha, digest);
    bb_sha256_to_hex(digest, res->sha256);
    return verify(s, res, err);
}

enum fetch_outcome bb_fetch(const struct fetch_req *req, struct fetch_res *res,
                            struct bb_error *err)
{
    enum fetch_outcome out = FETCH_ERROR;
    struct sink s = {
        .req = req, .announced = -1, .range_start = -1, .linked_size = -1, .header_length = -1};
    CURL *h = NULL;
    memset(res, 0, sizeof *res);
    pthread_once(&g_curl_once, curl_init_once);
    if (g_curl_init_rc != CURLE_OK) {
        bb_fail(err, BB_E_IO, "libcurl initialisation failed: %s",
                curl_easy_strerror(g_curl_init_rc));
        return FETCH_ERROR;
    }
    if (open_sink(&s, err) != BB_OK)
        goto done;
    if (!(h = curl_easy_init())) {
        bb_fail(err, BB_E_IO, "%s: curl_easy_init failed", req->url);
        goto done;
    }
    out = transfer(&s, h, res, err);
done:
    if (h)
        curl_easy_cleanup(h);
    if (s.f && fclose(s.f) != 0 && out == FETCH_OK) {
        bb_fail(err, BB_E_IO, "%s: write error: %s", req->path, strerror(errno));
        out = FETCH_ERROR;
    }
    res->kept_partial =
        req->resume && (out == FETCH_ERROR || out == FETCH_UNREACHABLE) && s.offset + s.bytes > 0;
    if (out != FETCH_OK && !res->kept_partial)
        unlink(req->path);
    return out;
}

/* ---- folders and single files ------------------------------------------------ */

enum bb_status bb_fetch_make_parents(const char *path, struct bb_error *err)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return bb_fail(err, BB_E_IO, "%s: path too long", path);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return BB_OK;
    *slash = '\0';
    return bb_path_mkdir_p(buf, err);
}

enum bb_status bb_download_file(const char *url, const char *dest, const char *expected_sha256,
                                struct bb_error *err)
{
    enum bb_status st = BB_OK;
    char tmp[PATH_MAX];
    struct bb_error local = {0};
    struct fetch_res res;
    if (!err)
        err = &local;
    if (expected_sha256 && !bb_fetch_is_hex64(expected_sha256))
        return bb_fail(err, BB_E_INPUT,
                       "expected sha256 for %s: expected 64 hex digits, found '%s'", url,
                       expected_sha256);
    if (snprintf(tmp, sizeof tmp, "%s.part-XXXXXX", dest) >= (int)sizeof tmp)
        return bb_fail(err, BB_E_IO, "%s: path too long", dest);
    if ((st = bb_fetch_make_parents(dest, err)) != BB_OK)
        return st;
    int fd = mkstemp(tmp);
    if (fd < 0)
        return bb_fail(err, BB_E_IO, "%s: cannot create a temporary file: %s", tmp,
                       strerror(errno));
    close(fd);
    const char *base = strrchr(dest, '/');
    struct fetch_req req = {.url = url,
                            .path = tmp,
                            .label = base ? base + 1 : dest,
                            .max_bytes = BB_FILE_LIMIT,
                            .expect_size = -1,
                            .expect_sha256 = expected_sha256};
    if (bb_fetch(&req, &res, err) != FETCH_OK)
        return err->code; /* bb_fetch removed tmp */
    if (rename(tmp, dest) != 0) {
        st = bb_fail(err, BB_E_IO, "%s: cannot rename %s into place: %s", dest, tmp,
                     strerror(errno));
        unlink(tmp);
    }
    return st;
}
