/* fuzz-common.c: sandbox directory, input splitting, the fopen confinement
 * and the tokenizer encode check the harnesses share (fuzz-common.h). */
#include "fuzz-common.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/status.h"
#include "tokenizer/tokenizer.h"

static char g_dir[PATH_MAX];
static char g_real[PATH_MAX];
static bool g_confined;
static FILE *g_null;

FILE *__real_fopen(const char *path, const char *mode);
FILE *__wrap_fopen(const char *path, const char *mode);

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void cleanup(void)
{
    if (g_dir[0])
        nftw(g_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *bb_fuzz_dir(void)
{
    if (g_dir[0])
        return g_dir;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/bbfuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_dir)) {
        perror("bb_fuzz_dir: mkdtemp");
        abort();
    }
    if (!realpath(g_dir, g_real)) {
        perror("bb_fuzz_dir: realpath");
        abort();
    }
    atexit(cleanup);
    if (!getenv("BB_FUZZ_VERBOSE"))
        bb_log_set_level(BB_LOG_QUIET);
    return g_dir;
}

void bb_fuzz_path(char *out, size_t n, const char *name)
{
    int w = snprintf(out, n, "%s/%s", bb_fuzz_dir(), name);
    if (w < 0 || (size_t)w >= n)
        abort(); /* a harness's own file names are short */
}

static void mkparents(char *path)
{
    size_t base = strlen(g_dir);
    for (char *s = path + base + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(path, 0700);
            *s = '/';
        }
}

void bb_fuzz_write(const char *name, const void *data, size_t size)
{
    char path[PATH_MAX];
    bb_fuzz_path(path, sizeof path, name);
    mkparents(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror(path);
        abort();
    }
    const char *p = data;
    while (size) {
        ssize_t w = write(fd, p, size);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            perror(path);
            abort();
        }
        p += w;
        size -= (size_t)w;
    }
    close(fd);
}

void bb_fuzz_remove(const char *name)
{
    char path[PATH_MAX];
    bb_fuzz_path(path, sizeof path, name);
    unlink(path);
}

size_t bb_fuzz_split(const uint8_t *data, size_t size, struct bb_fuzz_part *parts, size_t max)
{
    const size_t sl = sizeof BB_FUZZ_SEP - 1;
    size_t k = 0, start = 0;
    for (size_t i = 0; k + 1 < max && i + sl <= size; i++)
        if (!memcmp(data + i, BB_FUZZ_SEP, sl)) {
            parts[k++] = (struct bb_fuzz_part){data + start, i - start};
            start = i + sl;
            i = start - 1;
        }
    parts[k++] = (struct bb_fuzz_part){data + start, size - start};
    return k;
}

size_t bb_fuzz_files(const uint8_t *data, size_t size, const char *const *names,
                     struct bb_fuzz_part *parts, size_t n)
{
    size_t np = bb_fuzz_split(data, size, parts, n);
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        if (i < np && parts[i].n)
            bb_fuzz_write(names[i], parts[i].p, parts[i].n);
        else
            bb_fuzz_remove(names[i]);
    }
    return np;
}

char *bb_fuzz_strdup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = 0;
    return s;
}

FILE *bb_fuzz_null(void)
{
    if (!g_null)
        g_null = __real_fopen("/dev/null", "w");
    return g_null;
}

void bb_fuzz_confine(bool on)
{
    bb_fuzz_dir();
    g_confined = on;
}

/* Linked with -Wl,--wrap=fopen: every fopen of the program comes here. While
 * confined, only regular files whose real path lies inside the sandbox open:
 * a fuzzed include of /dev/stdin, /proc/... or ../../etc/passwd must neither
 * hang nor read the machine. */
FILE *__wrap_fopen(const char *path, const char *mode)
{
    if (g_confined) {
        char real[PATH_MAX];
        struct stat sb;
        size_t rl = strlen(g_real);
        if (!realpath(path, real) || strncmp(real, g_real, rl) || real[rl] != '/' ||
            stat(real, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            errno = EACCES;
            return NULL;
        }
    }
    return __real_fopen(path, mode);
}

void bb_fuzz_note(const char *harness, int status, const struct bb_error *err)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("BB_FUZZ_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "%s: %s: %s\n", harness, bb_status_name((enum bb_status)status),
                status && err ? err->msg : "ok");
}

void bb_fuzz_encode_check(const struct bb_tokenizer *tok, const char *text, size_t len)
{
    struct bb_encoding enc = {0};
    struct bb_error err = {0};
    if (!bb_tokenizer_encode(tok, text, len, &enc, &err)) {
        int vs = bb_tokenizer_vocab_size(tok);
        if (enc.n < 0 || enc.n > bb_tokenizer_max_len(tok))
            abort(); /* truncation ignored */
        for (int i = 0; i < enc.n; i++)
            if (enc.ids[i] < 0 || enc.ids[i] >= vs || !bb_tokenizer_piece(tok, enc.ids[i]))
                abort(); /* an id without an embedding row or a piece */
    }
    bb_encoding_free(&enc);
}
