/* download_hf.c: a Hugging Face sentence-transformers model folder, fetched
 * with the transfer engine (download_int.h). The repository listing
 * (/api/models/ORG/NAME/tree/REV) gives each file's size and, for LFS files,
 * its sha256; every name in it is checked before anything is written, so a
 * hostile listing cannot place a file outside the model folder. Each kind of
 * file has a size limit. Files collect in DEST.part (locked), where a cut-off
 * weights file is kept and resumed by the next run; DEST appears, by one
 * rename, only when every file is complete and verified. */
#include "config.h"

#include "download.h"
#include "download_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "log.h"

#define BB_DEFAULT_HF_ENDPOINT "https://huggingface.co"
#define LIMIT_LISTING          (16LL << 20)
#define LIMIT_CONFIG           (4LL << 20)   /* config.json and the other small JSON files */
#define LIMIT_TOKENIZER        (512LL << 20) /* tokenizer.json, vocab.txt */
#define LIMIT_WEIGHTS          (256LL << 30) /* model.safetensors */
#define MAX_FILES              32
#define MAX_PATH_LEN           255

static const struct {
    const char *name;
    bool required;
    long long limit;
} k_model_files[] = {
    /* small files first, so a wrong repository fails before the weights */
    {"config.json", true, LIMIT_CONFIG},
    {"tokenizer.json", false, LIMIT_TOKENIZER},
    {"vocab.txt", false, LIMIT_TOKENIZER},
    {"tokenizer_config.json", false, LIMIT_CONFIG},
    {"special_tokens_map.json", false, LIMIT_CONFIG},
    {"modules.json", false, LIMIT_CONFIG},
    {"sentence_bert_config.json", false, LIMIT_CONFIG},
    {"config_sentence_transformers.json", false, LIMIT_CONFIG},
    {"1_Pooling/config.json", false, LIMIT_CONFIG},
    {"model.safetensors", true, LIMIT_WEIGHTS},
};
#define N_MODEL_FILES (sizeof k_model_files / sizeof k_model_files[0])

struct hf_file {
    char path[MAX_PATH_LEN + 1];
    long long size;                 /* -1: unknown (no listing) */
    char sha256[BB_SHA256_HEX_LEN]; /* "" unknown; from the listing's lfs.oid */
    long long limit;
    bool required;
    bool got;
    char got_sha256[BB_SHA256_HEX_LEN];
};

struct model_job {
    const char *repo_id;
    const char *revision;
    const char *endpoint;
    char rev_enc[256];
    char dest[PATH_MAX];
    char part[PATH_MAX];
    struct hf_file files[MAX_FILES];
    size_t n_files;
    bool listed;    /* the files come from the repository listing */
    bool keep_part; /* a resumable partial file (or another fetch's folder) stays */
    int lock_fd;
};

/* ---- names ---------------------------------------------------------------------- */

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
        if (!piece &&
            !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p))
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

/* A path from a listing, or NULL when it may become a file name under the model
 * folder; else why not. Relative, '/'-separated, no empty, '.' or '..' part. */
static const char *listing_path_problem(const char *p)
{
    size_t n = strlen(p);
    if (n == 0)
        return "an empty path";
    if (n > MAX_PATH_LEN)
        return "a path longer than 255 bytes";
    if (p[0] == '/')
        return "an absolute path would leave the model folder";
    for (const char *c = p; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\')
            return "a control character or backslash in the path";
    for (const char *c = p; *c;) {
        size_t len = strcspn(c, "/");
        if (len == 0 || (len == 1 && c[0] == '.'))
            return "an empty or '.' path component";
        if (len == 2 && c[0] == '.' && c[1] == '.')
            return "a '..' component would leave the model folder";
        c += len + (c[len] == '/');
    }
    return NULL;
}

/* s with control characters shown as '?' (a hostile name must not drive the
 * terminal that shows the error), cut to n - 1 bytes. */
static const char *printable(const char *s, char *out, size_t n)
{
    size_t k = 0;
    for (; s[k] && k + 1 < n; k++)
        out[k] = (unsigned char)s[k] < 0x20 || s[k] == 0x7f ? '?' : s[k];
    out[k] = '\0';
    return out;
}

/* Files in the order they are fetched: the known names' order (small files
 * first, the weights last), module configs beside 1_Pooling's. */
static size_t fetch_rank(const char *path)
{
    for (size_t i = 0; i < N_MODEL_FILES; i++)
        if (!strcmp(path, k_model_files[i].name))
            return i;
    return N_MODEL_FILES - 2; /* "2_Dense/config.json": after 1_Pooling, before the weights */
}

static int by_rank(const void *a, const void *b)
{
    const struct hf_file *x = a, *y = b;
    size_t rx = fetch_rank(x->path), ry = fetch_rank(y->path);
    return rx != ry ? (rx < ry ? -1 : 1) : strcmp(x->path, y->path);
}

/* Listed files biasbench takes: the known names, and any sentence-transformers
 * module's config ("2_Dense/config.json"). *limit gets the kind's size limit. */
static bool wanted(const char *path, long long *limit, bool *required)
{
    for (size_t i = 0; i < N_MODEL_FILES; i++)
        if (!strcmp(path, k_model_files[i].name)) {
            *limit = k_model_files[i].limit;
            *required = k_model_files[i].required;
            return true;
        }
    size_t digits = strspn(path, "0123456789");
    const char *slash = strchr(path, '/');
    if (digits > 0 && path[digits] == '_' && slash && !strcmp(slash, "/config.json")) {
        *limit = LIMIT_CONFIG;
        *required = false;
        return true;
    }
    return false;
}

/* ---- the listing ------------------------------------------------------------------- */

static bool have_file(const struct model_job *job, const char *path)
{
    for (size_t i = 0; i < job->n_files; i++)
        if (!strcmp(job->files[i].path, path))
            return true;
    return false;
}

static enum bb_status add_listed(struct model_job *job, size_t i, const char *path, json_t *e,
                                 struct bb_error *err)
{
    struct hf_file *f = &job->files[job->n_files];
    json_t *size = json_object_get(e, "size"), *lfs = json_object_get(e, "lfs");
    const char *oid = json_string_value(json_object_get(lfs, "oid"));
    char got[48], lim[48];
    if (job->n_files == MAX_FILES)
        return bb_fail(err, BB_E_INPUT, "repository listing: more than %d model files", MAX_FILES);
    if (have_file(job, path))
        return bb_fail(err, BB_E_INPUT, "repository listing: entry %zu: %s is listed twice", i,
                       path);
    *f = (struct hf_file){.size = -1};
    wanted(path, &f->limit, &f->required);
    snprintf(f->path, sizeof f->path, "%s", path);
    if (!json_is_integer(size) || json_integer_value(size) < 0)
        return bb_fail(err, BB_E_INPUT,
                       "repository listing: entry %zu (%s): 'size': expected a "
                       "whole number of bytes",
                       i, path);
    f->size = json_integer_value(size);
    if (lfs && (!oid || !bb_fetch_is_hex64(oid)))
        return bb_fail(err, BB_E_INPUT,
                       "repository listing: entry %zu (%s): 'lfs.oid': expected a "
                       "sha256 (64 hex digits), found '%s'",
                       i, path, oid ? oid : "(none)");
    if (oid)
        snprintf(f->sha256, sizeof f->sha256, "%s", oid);
    if (f->size > f->limit) {
        bb_fetch_size_str(f->size, got, sizeof got);
        bb_fetch_size_str(f->limit, lim, sizeof lim);
        return bb_fail(err, BB_E_INPUT,
                       "repository listing: %s is %s, over the %s limit for this "
                       "kind of file; refused, nothing was downloaded",
                       path, got, lim);
    }
    job->n_files++;
    return BB_OK;
}

/* Check every entry's path (all of them, not only the wanted ones: a listing
 * with a hostile name is refused whole), then keep the wanted files. */
static enum bb_status parse_listing(struct model_job *job, json_t *root, struct bb_error *err)
{
    size_t i;
    json_t *e;
    enum bb_status st = BB_OK;
    if (!json_is_array(root))
        return bb_fail(err, BB_E_INPUT, "repository listing: expected a JSON array of entries");
    json_array_foreach(root, i, e)
    {
        const char *path = json_string_value(json_object_get(e, "path"));
        const char *why = path ? listing_path_problem(path) : "no 'path' string";
        char shown[MAX_PATH_LEN + 1];
        if (why)
            return bb_fail(err, BB_E_INPUT,
                           "repository listing: entry %zu, path '%s': %s; the "
                           "listing is refused and nothing was downloaded",
                           i, printable(path ? path : "", shown, sizeof shown), why);
    }
    json_array_foreach(root, i, e)
    {
        const char *path = json_string_value(json_object_get(e, "path"));
        const char *type = json_string_value(json_object_get(e, "type"));
        long long limit;
        bool required;
        if ((!type || !strcmp(type, "file")) && wanted(path, &limit, &required) &&
            (st = add_listed(job, i, path, e, err)) != BB_OK)
            return st;
    }
    qsort(job->files, job->n_files, sizeof job->files[0], by_rank);
    return BB_OK;
}

static bool have_got(const struct model_job *job, const char *path)
{
    for (size_t i = 0; i < job->n_files; i++)
        if (job->files[i].got && !strcmp(job->files[i].path, path))
            return true;
    return false;
}

/* Required files are there before any download starts. */
static enum bb_status check_listed(const struct model_job *job, struct bb_error *err)
{
    for (size_t i = 0; i < N_MODEL_FILES; i++)
        if (k_model_files[i].required && !have_file(job, k_model_files[i].name))
            return bb_fail(err, BB_E_IO, "%s at %s: the repository has no %s", job->repo_id,
                           job->revision, k_model_files[i].name);
    if (!have_file(job, "tokenizer.json") && !have_file(job, "vocab.txt"))
        return bb_fail(err, BB_E_IO,
                       "%s at %s: neither tokenizer.json nor vocab.txt found; "
                       "the model has no tokenizer biasbench can read",
                       job->repo_id, job->revision);
    return BB_OK;
}

/* No listing (a mirror that serves files only): try the known names; sizes
 * and sha256 are checked where the server's headers give them. */
static void use_known_names(struct model_job *job)
{
    job->n_files = N_MODEL_FILES;
    for (size_t i = 0; i < N_MODEL_FILES; i++) {
        job->files[i] = (struct hf_file){
            .size = -1, .limit = k_model_files[i].limit, .required = k_model_files[i].required};
        snprintf(job->files[i].path, sizeof job->files[i].path, "%s", k_model_files[i].name);
    }
}

static enum bb_status unreachable(struct bb_error *err)
{
    char why[sizeof err->msg];
    memcpy(why, err->msg, sizeof why);
    return bb_fail(err, BB_E_IO, "%.900s; fetch the model by other means and pass --model DIR",
                   why);
}

static enum bb_status get_listing(struct model_job *job, struct bb_error *err)
{
    char url[2048], path[PATH_MAX + 32];
    struct fetch_res res;
    json_t *root = NULL;
    snprintf(url, sizeof url, "%s/api/models/%s/tree/%s?recursive=true", job->endpoint,
             job->repo_id, job->rev_enc);
    snprintf(path, sizeof path, "%s/.listing.json", job->part);
    struct fetch_req req = {.url = url,
                            .path = path,
                            .label = "repository listing",
                            .bearer = getenv("HF_TOKEN"),
                            .max_bytes = LIMIT_LISTING,
                            .expect_size = -1};
    bb_info("listing %s", url);
    switch (bb_fetch(&req, &res, err)) {
    case FETCH_OK: break;
    case FETCH_NOT_FOUND:
        bb_warn("no repository listing at %s: trying the usual file names; sizes and sha256 are "
                "checked only where the server's headers give them",
                job->endpoint);
        bb_error_clear(err);
        use_known_names(job);
        return BB_OK;
    case FETCH_UNREACHABLE: return unreachable(err);
    default: return err->code;
    }
    enum bb_status st = bb_json_load_file(path, &root, err);
    unlink(path);
    if (!st)
        st = parse_listing(job, root, err);
    json_decref(root);
    job->listed = true;
    return st ? st : check_listed(job, err);
}

/* ---- files ------------------------------------------------------------------------ */

/* A file that an earlier run completed, still matching the listing's sha256. */
static bool already_there(struct hf_file *f, const char *final)
{
    char sum[BB_SHA256_HEX_LEN];
    if (access(final, F_OK) != 0)
        return false;
    if (f->sha256[0] && bb_sha256_file(final, sum, NULL) == BB_OK && !strcasecmp(sum, f->sha256)) {
        bb_info("%s: already downloaded, sha256 verified", f->path);
        memcpy(f->got_sha256, sum, sizeof sum);
        f->got = true;
        return true;
    }
    unlink(final);
    return false;
}

/* The outcome of one file's transfer as a status, with the job's state. */
static enum bb_status file_outcome(struct model_job *job, struct hf_file *f, enum fetch_outcome out,
                                   const struct fetch_res *res, const char *tmp,
                                   struct bb_error *err)
{
    char why[sizeof err->msg];
    if (out == FETCH_NOT_FOUND && !f->required && !job->listed) {
        bb_info("%s: not in %s, skipped (optional)", f->path, job->repo_id);
        bb_error_clear(err);
        return BB_OK;
    }
    if (out == FETCH_NOT_FOUND) {
        bb_error_prefix(err, "%s at %s", job->repo_id, job->revision);
        return BB_E_IO;
    }
    if (res->kept_partial) {
        job->keep_part = true;
        memcpy(why, err->msg, sizeof why);
        return bb_fail(err, BB_E_IO,
                       "%.700s; the bytes received are kept in %.200s: run the same "
                       "command again to resume",
                       why, tmp);
    }
    return out == FETCH_UNREACHABLE ? unreachable(err) : err->code;
}

static enum bb_status fetch_one(struct model_job *job, struct hf_file *f, struct bb_error *err)
{
    char url[2048], final[PATH_MAX + 300], tmp[PATH_MAX + 320], sub[PATH_MAX + 300];
    struct fetch_res res;
    snprintf(url, sizeof url, "%s/%s/resolve/%s/%s", job->endpoint, job->repo_id, job->rev_enc,
             f->path);
    snprintf(final, sizeof final, "%s/%s", job->part, f->path);
    snprintf(tmp, sizeof tmp, "%s.incomplete", final);
    const char *slash = strchr(f->path, '/');
    if (slash) { /* one checked folder level ("1_Pooling") */
        snprintf(sub, sizeof sub, "%s/%.*s", job->part, (int)(slash - f->path), f->path);
        if (mkdir(sub, 0777) != 0 && errno != EEXIST)
            return bb_fail(err, BB_E_IO, "%s: cannot create folder: %s", sub, strerror(errno));
    }
    if (already_there(f, final))
        return BB_OK;
    struct fetch_req req = {.url = url,
                            .path = tmp,
                            .label = f->path,
                            .bearer = getenv("HF_TOKEN"),
                            .max_bytes = f->limit,
                            .expect_size = f->size,
                            .expect_sha256 = f->sha256[0] ? f->sha256 : NULL,
                            .resume = f->sha256[0] != '\0'}; /* only what can be verified */
    bb_info("downloading %s", url);
    enum fetch_outcome out = bb_fetch(&req, &res, err);
    if (slash && out != FETCH_OK)
        rmdir(sub); /* only if empty */
    if (out != FETCH_OK)
        return file_outcome(job, f, out, &res, tmp, err);
    if (rename(tmp, final) != 0)
        return bb_fail(err, BB_E_IO, "%s: cannot rename into place: %s", final, strerror(errno));
    memcpy(f->got_sha256, res.sha256, sizeof res.sha256);
    f->got = true;
    return BB_OK;
}

/* ---- the folder ----------------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

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
        return errno == ENOENT
                   ? BB_OK
                   : bb_fail(err, BB_E_IO, "%s: cannot inspect: %s", dest, strerror(errno));
    if (S_ISDIR(sb.st_mode) && dir_is_empty(dest)) {
        *replace_empty = true;
        return BB_OK;
    }
    return bb_fail(err, BB_E_IO, "%s: already exists; remove it first or choose another folder",
                   dest);
}

/* DEST.part, created or reused (a resume), locked against a second fetch. */
static enum bb_status open_part(struct model_job *job, struct bb_error *err)
{
    char lock[PATH_MAX + 16];
    snprintf(job->part, sizeof job->part, "%s.part", job->dest);
    if (mkdir(job->part, 0777) != 0 && errno != EEXIST)
        return bb_fail(err, BB_E_IO, "%s: cannot create folder: %s", job->part, strerror(errno));
    snprintf(lock, sizeof lock, "%s/.lock", job->part);
    job->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (job->lock_fd < 0)
        return bb_fail(err, BB_E_IO, "%s: cannot create: %s", lock, strerror(errno));
    if (flock(job->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        job->keep_part = true; /* not ours */
        return bb_fail(err, BB_E_IO,
                       "%s: another biasbench fetch is filling this folder; wait for "
                       "it to finish",
                       job->part);
    }
    return BB_OK;
}

static enum bb_status write_source_file(struct model_job *job, struct bb_error *err)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/.biasbench-source", job->part);
    FILE *f = fopen(path, "w");
    if (!f)
        return bb_fail(err, BB_E_IO, "%s: cannot create: %s", path, strerror(errno));
    fprintf(f, "# downloaded by biasbench %s from %s/%s at revision %s (%s)\n", PACKAGE_VERSION,
            job->endpoint, job->repo_id, job->revision,
            job->listed ? "files and sha256 from the repository listing" : "no listing");
    for (size_t i = 0; i < job->n_files; i++)
        if (job->files[i].got)
            fprintf(f, "%s  %s\n", job->files[i].got_sha256, job->files[i].path);
    if (fclose(f) != 0)
        return bb_fail(err, BB_E_IO, "%s: write error: %s", path, strerror(errno));
    return BB_OK;
}

static enum bb_status publish(struct model_job *job, bool replace_empty, struct bb_error *err)
{
    char lock[PATH_MAX + 16];
    enum bb_status st;
    if ((st = write_source_file(job, err)) != BB_OK)
        return st;
    snprintf(lock, sizeof lock, "%s/.lock", job->part);
    unlink(lock);
    if (replace_empty && rmdir(job->dest) != 0)
        return bb_fail(err, BB_E_IO, "%s: cannot replace the empty folder: %s", job->dest,
                       strerror(errno));
    if (rename(job->part, job->dest) != 0)
        return bb_fail(err, BB_E_IO, "%s: cannot rename %s into place: %s", job->dest, job->part,
                       strerror(errno));
    return BB_OK;
}

/* Everything after DEST.part exists: listing, files, checks, rename. */
static enum bb_status fill_and_publish(struct model_job *job, bool replace_empty,
                                       struct bb_error *err)
{
    enum bb_status st;
    if ((st = get_listing(job, err)) != BB_OK)
        return st;
    for (size_t i = 0; i < job->n_files; i++)
        if ((st = fetch_one(job, &job->files[i], err)) != BB_OK)
            return st;
    if (!have_got(job, "tokenizer.json") && !have_got(job, "vocab.txt"))
        return bb_fail(err, BB_E_IO,
                       "%s at %s: neither tokenizer.json nor vocab.txt found; "
                       "the model has no tokenizer biasbench can read",
                       job->repo_id, job->revision);
    return publish(job, replace_empty, err);
}

static enum bb_status setup_job(struct model_job *job, const char *dest_dir, char *endpoint,
                                size_t n, struct bb_error *err)
{
    if (!job->repo_id || !valid_repo_id(job->repo_id))
        return bb_fail(err, BB_E_INPUT,
                       "model id: expected 'org/name' (letters, digits, '.', '_', "
                       "'-'), found '%s'",
                       job->repo_id ? job->repo_id : "(null)");
    if (!encode_revision(job->revision, job->rev_enc, sizeof job->rev_enc))
        return bb_fail(err, BB_E_INPUT, "revision: expected a branch, tag or commit, found '%s'",
                       job->revision);
    const char *ep = getenv("HF_ENDPOINT");
    snprintf(endpoint, n, "%s", ep && *ep ? ep : BB_DEFAULT_HF_ENDPOINT);
    for (size_t k = strlen(endpoint); k > 0 && endpoint[k - 1] == '/'; k--)
        endpoint[k - 1] = '\0';
    job->endpoint = endpoint;
    if (!dest_dir || !*dest_dir ||
        snprintf(job->dest, sizeof job->dest, "%s", dest_dir) >= (int)sizeof job->dest - 300)
        return bb_fail(err, BB_E_USAGE, "model destination folder: expected a path, found '%s'",
                       dest_dir ? dest_dir : "(null)");
    for (size_t k = strlen(job->dest); k > 1 && job->dest[k - 1] == '/'; k--)
        job->dest[k - 1] = '\0';
    return BB_OK;
}

enum bb_status bb_download_hf_model(const char *repo_id, const char *revision, const char *dest_dir,
                                    struct bb_error *err)
{
    enum bb_status st;
    struct model_job job;
    char endpoint[1024];
    bool replace_empty = false;
    struct bb_error local = {0};
    if (!err)
        err = &local;
    job = (struct model_job){
        .repo_id = repo_id, .revision = revision ? revision : "main", .lock_fd = -1};
    if ((st = setup_job(&job, dest_dir, endpoint, sizeof endpoint, err)) != BB_OK ||
        (st = check_dest(job.dest, &replace_empty, err)) != BB_OK ||
        (st = bb_fetch_make_parents(job.dest, err)) != BB_OK)
        return st;
    if ((st = open_part(&job, err)) == BB_OK)
        st = fill_and_publish(&job, replace_empty, err);
    if (st != BB_OK && !job.keep_part)
        remove_tree(job.part);
    if (job.lock_fd >= 0)
        close(job.lock_fd);
    return st;
}
