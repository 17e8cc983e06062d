/* latency.c: the `latency` task. For every batch size x sequence length of
 * the grid it embeds a synthetic batch of exactly that many tokens per
 * sequence ([CLS], a common word piece repeated, [SEP]), `warmup` times
 * untimed and `repetitions` times timed (each call returns the pooled
 * embeddings on the host, so it includes the device sync), then the whole
 * grid once more in reverse order, and writes, from both passes (n = 2 x
 * repetitions), mean, stddev, p50, p90, p99 (ms), items/s and tokens/s with
 * group "b=B,t=T" (the median with a distribution-free 95% CI from order
 * statistics) and latency_contention (how much waiting for a CPU lengthened
 * the median, from the process's CPU time and its threads' schedstat read
 * around every batch); the run's noise floor (latency_noise_rel, group all:
 * the largest relative change of a cell's median between the passes once
 * contention is taken out; read by timing gates) and
 * machine_probe_ms (a fixed CPU workload timed between cells, less its own
 * waits for a CPU: how fast the CPU ran). Then the model load time, the kernel build time with the
 * backend's program cache warm (this run's backend) and cold (a second
 * backend with an empty, temporary program cache, plus its first forward,
 * which includes PoCL's per-kernel JIT), the process's peak RSS, and the
 * start of a whole `biasbench embed` process with warm and with empty kernel
 * caches (PoCL's included: the cold start DESIGN.md defines; it compiles
 * every kernel, seconds of CPU: BIASBENCH_COLD_START=off leaves it out). Every row
 * is kind=timing and its variant reads "<precision> @ <device> / <driver>" so
 * each row says where it was measured. Per item: one row per timed batch. */
#include "tasks/task.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "core/log.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

struct lat {
    struct bb_task_ctx *ctx;
    char variant[700];
    struct bb_items *items;
    struct bb_progress prog;
    size_t done;
    long repeat; /* forwards per timed batch: 1, or BIASBENCH_TEST_LATENCY_REPEAT */
};

static enum bb_status row(struct lat *L, const char *group, const char *metric, double v, long n,
                          enum bb_direction dir, struct bb_error *err)
{
    struct bb_task_row r = bb_task_row_make(metric, v, n, dir, BB_KIND_TIMING);
    r.group = group;
    r.variant = L->variant;
    r.dataset = "synthetic";
    r.headline = group && !strcmp(metric, "latency_p50_ms") && !L->ctx->has_headline;
    return bb_task_emit(L->ctx, &r, err);
}

/* b copies of [CLS] w w ... w [SEP], t tokens each. */
static enum bb_status make_batch(struct bb_model *m, int b, int t, struct bb_encoding *encs,
                                 struct bb_error *err)
{
    struct bb_encoding probe = {0};
    struct bb_tokenizer *tok = bb_model_tokenizer(m);
    enum bb_status st = bb_tokenizer_encode(tok, "the", 3, &probe, err);
    if (st)
        return st;
    if (probe.n != 3) {
        bb_encoding_free(&probe);
        return bb_fail(err, BB_E_UNSUPPORTED, "latency: 'the' tokenizes to %d ids, expected 3 "
                       "([CLS] the [SEP]); cannot build synthetic inputs", probe.n);
    }
    for (int i = 0; i < b && !st; i++) {
        encs[i].ids = malloc((size_t)t * sizeof(int32_t));
        if (!encs[i].ids) {
            st = bb_fail(err, BB_E_NOMEM, "out of memory for a %dx%d batch", b, t);
            break;
        }
        encs[i].n = encs[i].cap = t;
        encs[i].ids[0] = probe.ids[0];
        for (int j = 1; j < t - 1; j++)
            encs[i].ids[j] = probe.ids[1];
        encs[i].ids[t - 1] = probe.ids[2];
    }
    bb_encoding_free(&probe);
    return st;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* How much of its threads' runnable time the process spent waiting for a
 * CPU: its CPU time (all threads, CLOCK_PROCESS_CPUTIME_ID) and the summed
 * run-queue wait of its threads (/proc/self/task/<tid>/schedstat, second
 * field, ns). ok is false where schedstat cannot be read. */
struct sched_snap {
    double cpu_ns, wait_ns;
    bool ok;
};

static struct sched_snap sched_snap(void)
{
    struct sched_snap s = {0};
    struct timespec ts = {0};
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[300];
        unsigned long long run, wait;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", e->d_name);
        FILE *f = fopen(path, "r");
        if (f && fscanf(f, "%llu %llu", &run, &wait) == 2)
            s.wait_ns += (double)wait, s.ok = true;
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
        s.ok = false;
    s.cpu_ns = (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
    return s;
}

/* (CPU + run-queue wait) / CPU between two snapshots: 1 when no thread ever
 * waited for a CPU, 3 when they waited twice as long as they ran; NAN when
 * unknown. */
static double contention(struct sched_snap a, struct sched_snap b)
{
    double cpu = b.cpu_ns - a.cpu_ns, wait = b.wait_ns - a.wait_ns;
    if (!a.ok || !b.ok || !(cpu > 0))
        return NAN;
    return (cpu + (wait > 0 ? wait : 0)) / cpu;
}

/* BIASBENCH_TEST_LATENCY_REPEAT=N (tests only, docs/ci.md): every timed
 * batch runs the forward N times, a planted N-fold regression that a timing
 * gate must catch. 1 when unset; *n = 0 and an error when malformed. */
static enum bb_status test_repeat(long *n, struct bb_error *err)
{
    const char *s = getenv("BIASBENCH_TEST_LATENCY_REPEAT");
    char *end;
    *n = 1;
    if (!s || !*s)
        return BB_OK;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 1 || v > 100) {
        *n = 0;
        return bb_fail(err, BB_E_USAGE, "BIASBENCH_TEST_LATENCY_REPEAT: expected a whole number "
                       "1..100, found '%s'", s);
    }
    *n = v;
    return BB_OK;
}

/* Time one grid cell: warmup untimed calls, then reps timed ones into ms
 * (per-item lines, numbered from rep0), and each timed call's time divided by its
 * contention into adj (NAN where schedstat cannot be read): the time it
 * would have taken had its threads never waited for a CPU. */
static enum bb_status time_cell(struct lat *L, int b, int t, double *ms, double *adj, long reps,
                                long rep0, struct bb_error *err)
{
    const struct bb_suite_latency *lp = &L->ctx->task->u.latency;
    struct bb_model *m = L->ctx->model;
    int dim = bb_model_dim(m);
    struct bb_encoding *encs = calloc((size_t)b, sizeof *encs);
    float *out = malloc((size_t)b * (size_t)dim * sizeof *out); // (b, dim)
    enum bb_status st = BB_OK;
    if (!encs || !out) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory for a %dx%d batch", b, t);
        goto done;
    }
    if ((st = make_batch(m, b, t, encs, err)) || (st = bb_backend_sync(L->ctx->backend, err)))
        goto done;
    for (long r = 0; r < lp->warmup + reps && !st; r++) {
        struct sched_snap s0 = sched_snap();
        double t0 = bb_now();
        for (long k = 0; k < L->repeat && !st; k++)
            st = bb_model_embed_batch(m, encs, b, out, err);
        if (!st)
            st = bb_backend_sync(L->ctx->backend, err);
        double dt = (bb_now() - t0) * 1e3;
        if (r >= lp->warmup && !st) {
            ms[r - lp->warmup] = dt;
            adj[r - lp->warmup] = dt / contention(s0, sched_snap());
            char id[96];
            snprintf(id, sizeof id, "b%d_t%d_r%ld", b, t, rep0 + r - lp->warmup);
            bb_items_str(L->items, id);
            bb_items_int(L->items, b);
            bb_items_int(L->items, t);
            bb_items_int(L->items, rep0 + r - lp->warmup);
            bb_items_num(L->items, dt);
            st = bb_items_end_row(L->items, err);
        }
        bb_progress_update(&L->prog, ++L->done);
    }
done:
    for (int i = 0; encs && i < b; i++)
        bb_encoding_free(&encs[i]);
    free(encs);
    free(out);
    return st;
}

/* Distribution-free 95% CI of the median of n sorted values: [x_(k), x_(n+1-k)]
 * (1-based) with the largest k such that P(Binomial(n, 1/2) < k) <= 0.025, so
 * the coverage is at least 95%. NAN when n < 6 (no such k). */
static void median_ci(const double *sorted, long n, double *lo, double *hi)
{
    *lo = *hi = NAN;
    double cdf = 0, term = pow(0.5, (double)n); /* P(X = 0) */
    long k = 0;
    for (long j = 0; j < n; j++) { /* cdf = P(X <= j) */
        cdf += term;
        if (cdf > 0.025)
            break;
        k = j + 1;                 /* P(X < k) = P(X <= j) <= 0.025 */
        term *= (double)(n - j) / (double)(j + 1);
    }
    if (k >= 1 && k <= n + 1 - k) {
        *lo = sorted[k - 1];
        *hi = sorted[n - k];
    }
}

/* The median of the contention-adjusted times (sorts adj); NAN when one is
 * unknown. */
static double adj_p50(double *adj, long reps)
{
    for (long r = 0; r < reps; r++)
        if (!isfinite(adj[r]))
            return NAN;
    qsort(adj, (size_t)reps, sizeof *adj, cmp_double);
    return bb_stats_percentile_sorted(adj, (size_t)reps, 50);
}

/* One grid cell, timed twice (the grid, then the grid again in reverse):
 * ms and adj hold 2 * repetitions values, the first pass's first. */
struct timed_cell {
    int b, t;
    double *ms, *adj;
};

/* A cell's rows, from both passes' times (n = 2 * reps): mean, sd, the
 * median with its order-statistic CI, p90, p99, items/s, tokens/s and
 * latency_contention (sorts the arrays). */
static enum bb_status cell_rows(struct lat *L, struct timed_cell *c, long reps,
                                struct bb_error *err)
{
    double *ms = c->ms;
    char group[64];
    snprintf(group, sizeof group, "b=%d,t=%d", c->b, c->t);
    double a50 = adj_p50(c->adj, reps);
    double mean = bb_stats_mean(ms, (size_t)reps);
    double sd = reps > 1 ? bb_stats_stddev(ms, (size_t)reps) : NAN;
    qsort(ms, (size_t)reps, sizeof *ms, cmp_double);
    double p50 = bb_stats_percentile_sorted(ms, (size_t)reps, 50);
    enum bb_status st = BB_OK;
    struct { const char *m; double v; enum bb_direction d; } rows[] = {
        {"latency_mean_ms", mean, BB_DIR_LOWER},
        {"latency_stddev_ms", sd, BB_DIR_LOWER},
        {"latency_p50_ms", p50, BB_DIR_LOWER},
        {"latency_p90_ms", bb_stats_percentile_sorted(ms, (size_t)reps, 90), BB_DIR_LOWER},
        {"latency_p99_ms", bb_stats_percentile_sorted(ms, (size_t)reps, 99), BB_DIR_LOWER},
        {"items_per_s", mean > 0 ? 1e3 * c->b / mean : NAN, BB_DIR_HIGHER},
        {"tokens_per_s", mean > 0 ? 1e3 * (double)c->b * c->t / mean : NAN, BB_DIR_HIGHER},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0] && !st; i++) {
        if (!strcmp(rows[i].m, "latency_p50_ms")) {
            /* the median with its order-statistic CI: what timing gates compare */
            struct bb_task_row r = bb_task_row_make(rows[i].m, rows[i].v, reps, rows[i].d,
                                                    BB_KIND_TIMING);
            r.group = group;
            r.variant = L->variant;
            r.dataset = "synthetic";
            r.headline = !L->ctx->has_headline;
            median_ci(ms, reps, &r.ci_low, &r.ci_high);
            st = bb_task_emit(L->ctx, &r, err);
            continue;
        }
        st = row(L, group, rows[i].m, rows[i].v, reps, rows[i].d, err);
    }
    /* the factor by which waiting for a CPU lengthened the median */
    if (!st && a50 > 0)
        st = row(L, group, "latency_contention", p50 / a50, reps, BB_DIR_NONE, err);
    return st;
}

/* The relative change of a cell's median between its two passes, with
 * contention taken out when it is known (sorts copies). */
static double drift(const struct timed_cell *c, long reps, double *tmp)
{
    double m[2];
    for (int k = 0; k < 2; k++) {
        memcpy(tmp, c->adj + k * reps, (size_t)reps * sizeof *tmp);
        m[k] = adj_p50(tmp, reps);
    }
    if (!(m[0] > 0 && m[1] > 0))
        for (int k = 0; k < 2; k++) {
            memcpy(tmp, c->ms + k * reps, (size_t)reps * sizeof *tmp);
            qsort(tmp, (size_t)reps, sizeof *tmp, cmp_double);
            m[k] = bb_stats_percentile_sorted(tmp, (size_t)reps, 50);
        }
    double lo = m[0] < m[1] ? m[0] : m[1];
    return lo > 0 ? fabs(m[1] - m[0]) / lo : 0;
}

/* The machine's speed, independent of biasbench's code: a fixed integer
 * workload on the host CPU (a few ms), timed between grid cells, less the
 * time its thread waited for a CPU meanwhile. Its median (machine_probe_ms)
 * lets timing gates tell "this machine's CPU ran slower in one run" (clock,
 * a shared core, a hypervisor's steal) from "the model got slower": a
 * candidate's slower probe widens the two runs' noise floor and threshold
 * (docs/ci.md); it never narrows them. Waiting for a CPU is what
 * latency_contention measures, per cell and over all the process's threads. */
#define PROBE_STEPS 4000000u
#define PROBE_MAX 64
struct probe {
    double ms[PROBE_MAX];
    size_t n;
};

/* This thread's run-queue wait so far (ns; /proc/thread-self/schedstat), NAN
 * when it cannot be read. */
static double own_wait_ns(void)
{
    unsigned long long run, wait;
    FILE *f = fopen("/proc/thread-self/schedstat", "r");
    double v = f && fscanf(f, "%llu %llu", &run, &wait) == 2 ? (double)wait : NAN;
    if (f)
        fclose(f);
    return v;
}

/* One probe: its wall time less the time this thread waited for a CPU
 * meanwhile (a busier machine makes the probe wait, not run slower; the
 * cells' own waits are latency_contention), so what is left is the speed of
 * the CPU while it runs the probe (clock, a shared core, a hypervisor's
 * steal). */
static void probe_once(struct probe *p)
{
    volatile uint64_t sink;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    double t0 = bb_now(), w0 = own_wait_ns();
    for (uint32_t i = 0; i < PROBE_STEPS; i++) { /* xorshift64: no memory, no FP */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    sink = x;
    (void)sink;
    double waited = (own_wait_ns() - w0) / 1e6, ms = (bb_now() - t0) * 1e3;
    if (isfinite(waited) && waited > 0 && waited < ms)
        ms -= waited;
    if (p->n < PROBE_MAX)
        p->ms[p->n++] = ms;
}

static enum bb_status probe_row(struct lat *L, struct probe *p, struct bb_error *err)
{
    if (!p->n)
        return BB_OK;
    qsort(p->ms, p->n, sizeof p->ms[0], cmp_double);
    struct bb_task_row r = bb_task_row_make("machine_probe_ms",
                                            bb_stats_percentile_sorted(p->ms, p->n, 50),
                                            (long)p->n, BB_DIR_NONE, BB_KIND_TIMING);
    r.variant = L->variant;
    r.dataset = "synthetic";
    return bb_task_emit(L->ctx, &r, err);
}

/* The second pass and the noise floor of this run: every grid cell timed
 * once more after the whole grid, in reverse order (so the first cell is
 * the furthest apart in time); the largest |median again - median first| /
 * the smaller of the two, each with contention taken out when it is known
 * (what is left once the machine's load is taken out; the gate takes the
 * load difference between two runs out itself). Timing gates allow at least
 * this much relative worsening (docs/ci.md): a machine whose speed drifts
 * that much within one run cannot show a smaller regression between two.
 * Then every cell's rows, from both passes. */
static enum bb_status second_pass(struct lat *L, struct timed_cell *cells, size_t n,
                                  struct bb_error *err)
{
    long reps = L->ctx->task->u.latency.repetitions;
    double *tmp = malloc((size_t)reps * sizeof *tmp), noise = 0;
    if (!tmp)
        return bb_fail(err, BB_E_NOMEM, "out of memory for %ld timings", reps);
    enum bb_status st = BB_OK;
    for (size_t i = n; i-- > 0 && !st;)
        st = time_cell(L, cells[i].b, cells[i].t, cells[i].ms + reps, cells[i].adj + reps, reps,
                       reps, err);
    for (size_t i = 0; i < n && !st; i++) {
        double d = drift(&cells[i], reps, tmp);
        if (d > noise)
            noise = d;
    }
    for (size_t i = 0; i < n && !st; i++)
        st = cell_rows(L, &cells[i], 2 * reps, err);
    if (!st && n) {
        struct bb_task_row r = bb_task_row_make("latency_noise_rel", noise, (long)n, BB_DIR_NONE,
                                                BB_KIND_TIMING);
        r.variant = L->variant;
        r.dataset = "synthetic";
        st = bb_task_emit(L->ctx, &r, err);
    }
    free(tmp);
    return st;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Kernel build with an empty program cache: a second backend on the same
 * device whose cache is a fresh temporary folder; then load the model on it
 * and time its first forward (PoCL compiles each kernel at first launch). */
static enum bb_status cold_start(struct lat *L, struct bb_error *err)
{
    struct bb_task_ctx *ctx = L->ctx;
    char tmp[] = "/tmp/biasbench-cold-XXXXXX";
    struct bb_backend *be = NULL;
    struct bb_model *m = NULL;
    struct bb_encoding *encs = NULL;
    float *out = NULL;
    enum bb_status st = BB_OK;
    if (!mkdtemp(tmp))
        return bb_fail(err, BB_E_IO, "%s: cannot create a temporary folder: %s", tmp,
                       strerror(errno));
    struct bb_backend_opts bo = {.device = ctx->device_sel, .cache_dir = tmp};
    if ((st = bb_backend_create(ctx->backend_name, &bo, &be, err)))
        goto done;
    struct bb_model_opts mo = {.weights = strcmp(ctx->variant, "f16") ? BB_F32 : BB_F16,
                               .max_seq_len = (int)ctx->model_spec->max_seq_len};
    if (!st)
        st = bb_model_load(bb_model_dir(ctx->model), be, &mo, &m, err);
    int b = 1, t = 16;
    encs = calloc((size_t)b, sizeof *encs);
    out = malloc((size_t)bb_model_dim(ctx->model) * sizeof *out);
    if (!st && (!encs || !out))
        st = bb_fail(err, BB_E_NOMEM, "out of memory");
    if (!st)
        st = make_batch(m, b, t, encs, err);
    if (!st) {
        /* kernel programs are built on first use: the build is inside the first forward */
        double t0 = bb_now(), b0 = bb_backend_info(be)->build_seconds;
        st = bb_model_embed_batch(m, encs, b, out, err);
        double build = bb_backend_info(be)->build_seconds;
        if (!st)
            st = row(L, NULL, "kernel_build_cold_s", build, 1, BB_DIR_LOWER, err);
        if (!st)
            st = row(L, NULL, "first_forward_cold_ms", (bb_now() - t0 - (build - b0)) * 1e3, 1,
                     BB_DIR_LOWER, err);
    }
done:
    for (int i = 0; encs && i < 1; i++)
        bb_encoding_free(&encs[i]);
    free(encs);
    free(out);
    bb_model_free(m);
    bb_backend_free(be);
    if (nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS))
        bb_warn("could not remove the temporary program cache %s", tmp);
    return st;
}

/* Whole-process start of the biasbench program (/proc/self/exe) embedding
 * one sentence with this model, device and precision: with its own caches
 * (warm) and with empty PoCL and biasbench kernel caches (cold:
 * POCL_CACHE_DIR and BIASBENCH_CACHE pointed at a fresh folder). This is the
 * cold start DESIGN.md defines; in-process, PoCL's cache cannot be emptied. */
static enum bb_status process_start(struct lat *L, bool cold, struct bb_error *err)
{
    struct bb_task_ctx *ctx = L->ctx;
    const char *what = cold ? "cold_start_process_s" : "warm_start_process_s";
    char exe[4096], tmp[] = "/tmp/biasbench-start-XXXXXX", pocl[64], bbc[64];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[k > 0 ? k : 0] = 0;
    const char *base = strrchr(exe, '/');
    if (k <= 0 || !base || strncmp(base + 1, "biasbench", 9)) {
        bb_task_note_skip(ctx, what, "not running as the biasbench program");
        return BB_OK;
    }
    if (strstr(base, " (deleted)")) { /* the binary was rebuilt while this run went on */
        bb_task_note_skip(ctx, what, "the biasbench binary was replaced during the run");
        return BB_OK;
    }
    if (cold && !mkdtemp(tmp))
        return bb_fail(err, BB_E_IO, "%s: cannot create a temporary folder: %s", tmp,
                       strerror(errno));
    snprintf(pocl, sizeof pocl, "%s/pocl", tmp);
    snprintf(bbc, sizeof bbc, "%s/biasbench", tmp);
    double t0 = bb_now();
    pid_t pid = fork();
    if (pid == 0) {
        if (cold && (mkdir(pocl, 0700) || setenv("POCL_CACHE_DIR", pocl, 1) ||
                     setenv("BIASBENCH_CACHE", bbc, 1)))
            _exit(126);
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execl(exe, "biasbench", "embed", "--model", bb_model_dir(ctx->model), "--backend",
              ctx->backend_name, "--device", ctx->device_sel, "--precision", ctx->variant,
              "a cold start", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    double dt = bb_now() - t0;
    if (cold && nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS))
        bb_warn("could not remove the temporary caches in %s", tmp);
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
        char why[128];
        snprintf(why, sizeof why, "`biasbench embed` as a child process failed (status %d)",
                 status);
        bb_task_note_skip(ctx, what, why);
        return BB_OK;
    }
    return row(L, NULL, what, dt, 1, BB_DIR_LOWER, err);
}

/* Load and start-up rows; peak RSS first, before the cold-start probe loads
 * a second copy of the model. */
static enum bb_status load_rows(struct lat *L, struct bb_error *err)
{
    struct bb_task_ctx *ctx = L->ctx;
    const struct bb_device_info *in = bb_backend_info(ctx->backend);
    bool cl = strcmp(ctx->backend_name, "ref") != 0;
    struct rusage ru;
    enum bb_status st = row(L, NULL, "model_load_s", bb_model_load_seconds(ctx->model), 1,
                            BB_DIR_LOWER, err);
    if (!st && !getrusage(RUSAGE_SELF, &ru))
        st = row(L, NULL, "peak_rss_mb", (double)ru.ru_maxrss / 1024.0, 1, BB_DIR_LOWER, err);
    if (!st && cl)
        st = row(L, NULL, in->program_cached ? "kernel_build_warm_s" : "kernel_build_s",
                 in->build_seconds, 1, BB_DIR_LOWER, err);
    if (!st && cl)
        st = cold_start(L, err);
    const char *cs = getenv("BIASBENCH_COLD_START");
    if (cl && cs && (!strcmp(cs, "off") || !strcmp(cs, "0"))) {
        bb_task_note_skip(ctx, "warm/cold_start_process_s", "BIASBENCH_COLD_START=off");
        return st;
    }
    if (!st && cl)
        st = process_start(L, false, err);
    if (!st && cl)
        st = process_start(L, true, err);
    return st;
}

enum bb_status bb_task_latency(struct bb_task_ctx *ctx, struct bb_error *err)
{
    static const char *const cols[] = {"item_id", "batch_size", "seq_len", "rep", "ms"};
    const struct bb_suite_latency *lp = &ctx->task->u.latency;
    const struct bb_device_info *in = bb_backend_info(ctx->backend);
    struct lat L = {.ctx = ctx};
    char label[160];
    int max_len = bb_tokenizer_max_len(bb_model_tokenizer(ctx->model));
    snprintf(L.variant, sizeof L.variant, "%s @ %s / %s", ctx->variant, in->name, in->driver);
    enum bb_status st = test_repeat(&L.repeat, err);
    if (st)
        return st;
    if (L.repeat > 1)
        bb_warn("BIASBENCH_TEST_LATENCY_REPEAT=%ld: every timed batch runs %ld forwards (a "
                "planted regression for tests; its latency rows are not real)", L.repeat,
                L.repeat);
    st = bb_items_open(ctx, NULL, cols, 5, &L.items, err);
    if (st)
        return st;
    bb_progress_start(&L.prog, bb_task_label(ctx, label, sizeof label),
                      2 * lp->n_batch_sizes * lp->n_seq_lens *
                          (size_t)(lp->warmup + lp->repetitions));
    struct timed_cell *cells = calloc(lp->n_batch_sizes * lp->n_seq_lens + 1, sizeof *cells);
    size_t n_cells = 0;
    if (!cells)
        st = bb_fail(err, BB_E_NOMEM, "out of memory for the latency grid");
    struct probe probe = {0};
    probe_once(&probe);
    for (size_t i = 0; i < lp->n_batch_sizes && !st; i++)
        for (size_t j = 0; j < lp->n_seq_lens && !st; j++) {
            long b = lp->batch_sizes[i], t = lp->seq_lens[j];
            probe_once(&probe);
            if (t < 3 || t > max_len) {
                char what[64], why[160];
                snprintf(what, sizeof what, "grid cell b=%ld,t=%ld", b, t);
                snprintf(why, sizeof why, "sequence length must be 3..%d for this model", max_len);
                bb_task_note_skip(ctx, what, why);
                L.done += 2 * (size_t)(lp->warmup + lp->repetitions);
                continue;
            }
            struct timed_cell *c = &cells[n_cells];
            c->b = (int)b, c->t = (int)t;
            c->ms = malloc(4 * (size_t)lp->repetitions * sizeof *c->ms);
            if (!c->ms) {
                st = bb_fail(err, BB_E_NOMEM, "out of memory for %ld timings", lp->repetitions);
                break;
            }
            c->adj = c->ms + 2 * lp->repetitions;
            n_cells++;
            st = time_cell(&L, c->b, c->t, c->ms, c->adj, lp->repetitions, 0, err);
        }
    if (!st)
        st = second_pass(&L, cells, n_cells, err);
    probe_once(&probe);
    if (!st)
        st = probe_row(&L, &probe, err);
    for (size_t i = 0; i < n_cells; i++)
        free(cells[i].ms);
    free(cells);
    bb_progress_end(&L.prog);
    if (!st)
        st = load_rows(&L, err);
    if (st) {
        bb_items_abort(L.items);
        return st;
    }
    return bb_items_commit(L.items, err);
}
