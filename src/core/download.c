/* download.c: libcurl downloads of Hugging Face model folders and single
 * checked files. Every transfer writes to a temporary name beside its target
 * and is renamed into place only when complete and verified. */
#include "config.h"

#include "download.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sha256.h"

#define BB_DEFAULT_HF_ENDPOINT "https://huggingface.co"
#define BB_DEFAULT_CONNECT_TIMEOUT 15L
#define BB_STALL_SECONDS 60L /* abort a transfer that moved no byte for this long */
#define BB_PROGRESS_MIN_BYTES (1L << 20)

/* How one transfer ended, so callers can tell "absent" from "broken". */
enum fetch_outcome { FETCH_OK, FETCH_NOT_FOUND, FETCH_UNREACHABLE, FETCH_ERROR };

struct transfer {
    const char *url;
    const char *path;   /* where the bytes go (a temporary name) */
    const char *label;  /* progress-bar label */
    const char *bearer; /* HF token or NULL */
    char sha256[BB_SHA256_HEX_LEN]; /* out: digest of what was written */
    size_t bytes;                   /* out */
};

struct sink {
    FILE *f;
    struct bb_sha256 sha;
    size_t bytes;
    const char *label;
    struct bb_progress progress;
    bool progress_on;
};

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl_init_rc;

static void curl_init_once(void) { g_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

static long connect_timeout_s(void)
{
    const char *s = getenv("BIASBENCH_CONNECT_TIMEOUT");
    if (!s || !*s)
        return BB_DEFAULT_CONNECT_TIMEOUT;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 1 || v > 3600) {
        bb_warn("BIASBENCH_CONNECT_TIMEOUT: expected whole seconds 1..3600, found '%s'; using %ld", s,
                BB_DEFAULT_CONNECT_TIMEOUT);
        return BB_DEFAULT_CONNECT_TIMEOUT;
    }
    return v;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
    struct sink *s = user;
    size_t n = size * nmemb;
    if (fwrite(ptr, 1, n, s->f) != n)
        return 0; /* curl turns this into CURLE_WRITE_ERROR */
    bb_sha256_update(&s->sha, ptr, n);
    s->bytes += n;
    return n;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct sink *s = user;
    (void)ultotal;
    (void)ulnow;
    if (!s->progress_on && dltotal >= BB_PROGRESS_MIN_BYTES) {
        bb_progress_start(&s->progress, s->label, (size_t)(dltotal >> 10));
        s->progress_on = true;
    }
    if (s->progress_on)
        bb_progress_update(&s->progress, (size_t)(dlnow >> 10));
    return 0;
}

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

static void set_options(CURL *h, struct transfer *t, struct sink *s, char *errbuf)
{
    curl_easy_setopt(h, CURLOPT_URL, t->url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, connect_timeout_s());
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, BB_STALL_SECONDS);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "biasbench/" PACKAGE_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE);
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
    if (t->bearer && *t->bearer) {
        /* Bearer auth is sent to the first host only, never after a redirect. */
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
        curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, t->bearer);
    }
}

/* Fill err for a failed transfer and say which kind of failure it was. */
static enum fetch_outcome classify(CURL *h, CURLcode rc, const char *url, const char *errbuf,
                                   size_t bytes, struct bb_error *err)
{
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    long code = 0;
    char host[256];
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
        rc == CURLE_COULDNT_CONNECT || rc == CURLE_SSL_CONNECT_ERROR ||
        (rc == CURLE_OPERATION_TIMEDOUT && bytes == 0 && code == 0)) {
        url_host(url, host, sizeof host);
        bb_fail(err, BB_E_IO, "cannot reach %s: %s", host, detail);
        return FETCH_UNREACHABLE;
    }
    if (rc == CURLE_FILE_COULDNT_READ_FILE || code == 404 || code == 410) {
        bb_fail(err, BB_E_IO, "%s: repository or file not found (%s)", url,
                code ? "HTTP 404" : "no such file");
        return FETCH_NOT_FOUND;
    }
    if (code == 401)
        bb_fail(err, BB_E_IO,
                "%s: not authorised (HTTP 401): the repository does not exist, or it is private "
                "or gated and needs HF_TOKEN",
                url);
    else if (code == 403)
        bb_fail(err, BB_E_IO,
                "%s: access denied (HTTP 403): a gated repository needs its licence accepted "
                "and HF_TOKEN set",
                url);
    else if (code == 429)
        bb_fail(err, BB_E_IO, "%s: rate limited (HTTP 429); try again later or set HF_TOKEN", url);
    else if (code >= 500)
        bb_fail(err, BB_E_IO, "%s: server error (HTTP %ld); try again later", url, code);
    else if (code >= 400)
        bb_fail(err, BB_E_IO, "%s: HTTP %ld", url, code);
    else
        bb_fail(err, BB_E_IO, "%s: download failed: %s", url, detail);
    return FETCH_ERROR;
}

/* Download t->url into t->path (created or truncated). */
static enum fetch_outcome fetch(struct transfer *t, struct bb_error *err)
{
    enum fetch_outcome out = FETCH_ERROR;
    struct sink s = {.label = t->label};
    char errbuf[CURL_ERROR_SIZE] = "";
    uint8_t digest[BB_SHA256_DIGEST_LEN];
    CURL *h = NULL;
    pthread_once(&g_curl_once, curl_init_once);
    if (g_curl_init_rc != CURLE_OK) {
        bb_fail(err, BB_E_IO, "libcurl initialisation failed: %s", curl_easy_strerror(g_curl_init_rc));
        goto done;
    }
    s.f = fopen(t->path, "wb");
    if (!s.f) {
        bb_fail(err, BB_E_IO, "%s: cannot create: %s", t->path, strerror(errno));
        goto done;
    }
    h = curl_easy_init();
    if (!h) {
        bb_fail(err, BB_E_IO, "%s: curl_easy_init failed", t->url);
        goto done;
    }
    bb_sha256_init(&s.sha);
    set_options(h, t, &s, errbuf);
    CURLcode rc = curl_easy_perform(h);
    if (s.progress_on)
        bb_progress_end(&s.progress);
    if (rc != CURLE_OK) {
        out = classify(h, rc, t->url, errbuf, s.bytes, err);
        goto done;
    }
    if (fflush(s.f) != 0 || fsync(fileno(s.f)) != 0) {
        bb_fail(err, BB_E_IO, "%s: write error: %s", t->path, strerror(errno));
        goto done;
    }
    bb_sha256_final(&s.sha, digest);
    bb_sha256_to_hex(digest, t->sha256);
    t->bytes = s.bytes;
    out = FETCH_OK;
done:
    if (h)
        curl_easy_cleanup(h);
    if (s.f && fclose(s.f) != 0 && out == FETCH_OK) {
        bb_fail(err, BB_E_IO, "%s: write error: %s", t->path, strerror(errno));
        out = FETCH_ERROR;
    }
    return out;
}

/* mkdir -p for the folders above path (not path itself). */
static enum bb_status make_parents(const char *path, struct bb_error *err)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return bb_fail(err, BB_E_IO, "%s: path too long", path);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return BB_OK;
    *slash = '\0';
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return bb_fail(err, BB_E_IO, "%s: cannot create folder: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return bb_fail(err, BB_E_IO, "%s: cannot create folder: %s", buf, strerror(errno));
    return BB_OK;
}

static bool is_hex64(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!strchr("0123456789abcdefABCDEF", s[n]))
            return false;
    return n == 64;
}

enum bb_status bb_download_file(const char *url, const char *dest, const char *expected_sha256,
                                struct bb_error *err)
{
    enum bb_status st = BB_OK;
    char tmp[PATH_MAX];
    bool have_tmp = false;
    struct bb_error local = {0};
    if (!err)
        err = &local;
    if (expected_sha256 && !is_hex64(expected_sha256))
        return bb_fail(err, BB_E_INPUT, "expected sha256 for %s: expected 64 hex digits, found '%s'",
                       url, expected_sha256);
    if (snprintf(tmp, sizeof tmp, "%s.part-XXXXXX", dest) >= (int)sizeof tmp)
        return bb_fail(err, BB_E_IO, "%s: path too long", dest);
    if ((st = make_parents(dest, err)) != BB_OK)
        goto done;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        st = bb_fail(err, BB_E_IO, "%s: cannot create a temporary file: %s", tmp, strerror(errno));
        goto done;
    }
    close(fd);
    have_tmp = true;
    const char *base = strrchr(dest, '/');
    struct transfer t = {.url = url, .path = tmp, .label = base ? base + 1 : dest};
    if (fetch(&t, err) != FETCH_OK) {
        st = err->code;
        goto done;
    }
    if (expected_sha256 && strcasecmp(expected_sha256, t.sha256) != 0) {
        st = bb_fail(err, BB_E_IO, "%s: sha256 mismatch: expected %s, found %s; the download was discarded",
                     url, expected_sha256, t.sha256);
        goto done;
    }
    if (rename(tmp, dest) != 0) {
        st = bb_fail(err, BB_E_IO, "%s: cannot rename %s into place: %s", dest, tmp, strerror(errno));
        goto done;
    }
    have_tmp = false;
done:
    if (have_tmp)
        unlink(tmp);
    return st;
}

/* ---- Hugging Face model folders ------------------------------------------- */

static const struct {
    const char *name;
    bool required;
} k_model_files[] = {
    /* small files first, so a wrong repository fails before the weights */
    {"config.json", true},
    {"tokenizer.json", false},
    {"vocab.txt", false},
    {"tokenizer_config.json", false},
    {"special_tokens_map.json", false},
    {"modules.json", false},
    {"sentence_bert_config.json", false},
    {"config_sentence_transformers.json", false},
    {"1_Pooling/config.json", false},
    {"model.safetensors", true},
};
#define N_MODEL_FILES (sizeof k_model_files / sizeof k_model_files[0])

/* "org/name" or "name": letters, digits, '.', '_', '-'; at most one '/'. */
static bool valid_repo_id(const char *s)
{
    int slashes = 0;
    size_t n = strlen(s);
    if (n == 0 || n > 200 || s[0] == '/' || s[n - 1] == '/' || strstr(s, "..") || strstr(s, "//"))
        return false;
    for (const char *p = s; *p; p++) {
        if (*p == '/')
            slashes++;
        else if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p))
            return false;
    }
    return slashes <= 1;
}

/* Branch, tag or commit; '/' (as in refs/pr/1) is sent as %2F. */
static bool encode_revision(const char *rev, char *out, size_t n)
{
    size_t k = 0;
    if (!*rev || strstr(rev, ".."))
        return false;
    for (const char *p = rev; *p; p++) {
        const char *piece = *p == '/' ? "%2F" : NULL;
        if (!piece && !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p))
            return false;
        size_t len = piece ? 3 : 1;
        if (k + len >= n)
            return false;
        memcpy(out + k, piece ? piece : p, len);
        k += len;
    }
    out[k] = '\0';
    return true;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *path) { nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

static bool dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    bool empty = d != NULL;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            empty = false;
    if (d)
        closedir(d);
    return empty;
}

/* dest must not exist, or be an empty folder (then *replace_empty). */
static enum bb_status check_dest(const char *dest, bool *replace_empty, struct bb_error *err)
{
    struct stat sb;
    *replace_empty = false;
    if (stat(dest, &sb) != 0)
        return errno == ENOENT ? BB_OK
                               : bb_fail(err, BB_E_IO, "%s: cannot inspect: %s", dest, strerror(errno));
    if (S_ISDIR(sb.st_mode) && dir_is_empty(dest)) {
        *replace_empty = true;
        return BB_OK;
    }
    return bb_fail(err, BB_E_IO, "%s: already exists; remove it first or choose another folder", dest);
}

struct model_job {
    const char *repo_id;
    const char *revision;
    const char *endpoint;
    char rev_enc[256];
    char tmp[PATH_MAX];
    char sums[N_MODEL_FILES][BB_SHA256_HEX_LEN];
    bool got[N_MODEL_FILES];
};

static enum bb_status fetch_model_file(struct model_job *job, size_t i, struct bb_error *err)
{
    char url[2048], path[PATH_MAX + 64], label[128];
    const char *name = k_model_files[i].name;
    snprintf(url, sizeof url, "%s/%s/resolve/%s/%s", job->endpoint, job->repo_id, job->rev_enc, name);
    snprintf(path, sizeof path, "%s/%s", job->tmp, name);
    snprintf(label, sizeof label, "%s KiB", name);
    struct transfer t = {.url = url, .path = path, .label = label, .bearer = getenv("HF_TOKEN")};
    bb_info("downloading %s", url);
    switch (fetch(&t, err)) {
    case FETCH_OK:
        memcpy(job->sums[i], t.sha256, sizeof t.sha256);
        job->got[i] = true;
        return BB_OK;
    case FETCH_NOT_FOUND:
        unlink(path);
        if (!k_model_files[i].required) {
            bb_info("%s: not in %s, skipped (optional)", name, job->repo_id);
            bb_error_clear(err);
            return BB_OK;
        }
        bb_error_prefix(err, "%s at %s", job->repo_id, job->revision);
        return BB_E_IO;
    case FETCH_UNREACHABLE: {
        char why[sizeof err->msg];
        memcpy(why, err->msg, sizeof why);
        return bb_fail(err, BB_E_IO, "%s; fetch the model by other means and pass --model DIR", why);
    }
    case FETCH_ERROR:
        break;
    }
    return err->code;
}

static enum bb_status write_source_file(struct model_job *job, struct bb_error *err)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/.biasbench-source", job->tmp);
    FILE *f = fopen(path, "w");
    if (!f)
        return bb_fail(err, BB_E_IO, "%s: cannot create: %s", path, strerror(errno));
    fprintf(f, "# downloaded by biasbench %s from %s/%s at revision %s\n", PACKAGE_VERSION,
            job->endpoint, job->repo_id, job->revision);
    for (size_t i = 0; i < N_MODEL_FILES; i++)
        if (job->got[i])
            fprintf(f, "%s  %s\n", job->sums[i], k_model_files[i].name);
    if (fclose(f) != 0)
        return bb_fail(err, BB_E_IO, "%s: write error: %s", path, strerror(errno));
    return BB_OK;
}

/* Everything after the temporary folder exists: files, checks, rename. */
static enum bb_status fill_and_publish(struct model_job *job, const char *dest, bool replace_empty,
                                       struct bb_error *err)
{
    enum bb_status st;
    char sub[PATH_MAX + 16];
    snprintf(sub, sizeof sub, "%s/1_Pooling", job->tmp);
    if (mkdir(sub, 0777) != 0)
        return bb_fail(err, BB_E_IO, "%s: cannot create folder: %s", sub, strerror(errno));
    for (size_t i = 0; i < N_MODEL_FILES; i++)
        if ((st = fetch_model_file(job, i, err)) != BB_OK)
            return st;
    rmdir(sub); /* only if nothing went into it */
    if (!job->got[1] && !job->got[2])
        return bb_fail(err, BB_E_IO, "%s at %s: neither tokenizer.json nor vocab.txt found; "
                       "the model has no tokenizer biasbench can read", job->repo_id, job->revision);
    if ((st = write_source_file(job, err)) != BB_OK)
        return st;
    if (replace_empty && rmdir(dest) != 0)
        return bb_fail(err, BB_E_IO, "%s: cannot replace the empty folder: %s", dest, strerror(errno));
    if (rename(job->tmp, dest) != 0)
        return bb_fail(err, BB_E_IO, "%s: cannot rename %s into place: %s", dest, job->tmp,
                       strerror(errno));
    return BB_OK;
}

enum bb_status bb_download_hf_model(const char *repo_id, const char *revision, const char *dest_dir,
                                    struct bb_error *err)
{
    enum bb_status st;
    struct model_job job = {.repo_id = repo_id, .revision = revision ? revision : "main"};
    char dest[PATH_MAX], endpoint[1024];
    bool replace_empty = false, have_tmp = false;
    struct bb_error local = {0};
    if (!err)
        err = &local;
    if (!repo_id || !valid_repo_id(repo_id))
        return bb_fail(err, BB_E_INPUT, "model id: expected 'org/name' (letters, digits, '.', '_', '-'), found '%s'",
                       repo_id ? repo_id : "(null)");
    if (!encode_revision(job.revision, job.rev_enc, sizeof job.rev_enc))
        return bb_fail(err, BB_E_INPUT, "revision: expected a branch, tag or commit, found '%s'", job.revision);
    const char *ep = getenv("HF_ENDPOINT");
    snprintf(endpoint, sizeof endpoint, "%s", ep && *ep ? ep : BB_DEFAULT_HF_ENDPOINT);
    for (size_t n = strlen(endpoint); n > 0 && endpoint[n - 1] == '/'; n--)
        endpoint[n - 1] = '\0';
    job.endpoint = endpoint;
    if (!dest_dir || !*dest_dir || snprintf(dest, sizeof dest, "%s", dest_dir) >= (int)sizeof dest - 16)
        return bb_fail(err, BB_E_USAGE, "model destination folder: expected a path, found '%s'",
                       dest_dir ? dest_dir : "(null)");
    for (size_t n = strlen(dest); n > 1 && dest[n - 1] == '/'; n--)
        dest[n - 1] = '\0';
    if ((st = check_dest(dest, &replace_empty, err)) != BB_OK || (st = make_parents(dest, err)) != BB_OK)
        goto done;
    snprintf(job.tmp, sizeof job.tmp, "%s.part-XXXXXX", dest);
    if (!mkdtemp(job.tmp)) {
        st = bb_fail(err, BB_E_IO, "%s: cannot create a temporary folder: %s", job.tmp, strerror(errno));
        goto done;
    }
    have_tmp = true;
    if ((st = fill_and_publish(&job, dest, replace_empty, err)) == BB_OK)
        have_tmp = false;
done:
    if (have_tmp)
        remove_tree(job.tmp);
    return st;
}
