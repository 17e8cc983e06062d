/* ops-bench.c: the op benchmark. Times the OpenCL backend's fused GEMM
 * (bb_op_matmul) on the linear-layer shapes of all-MiniLM-L6-v2 and
 * all-mpnet-base-v2 beside OpenBLAS sgemm on the same shapes, checks every
 * OpenCL result against OpenBLAS, and prints one table row per shape.
 * Run it through bench/ops-bench.sh, which sets the thread counts.
 *
 * usage: ops-bench [-m M[,M...]] [-s f32,f16] [-n runs] [-r launches]
 *                  [-d device] [-f minilm|mpnet|all]
 * Timing: after one warm-up, each run enqueues `launches` back-to-back
 * kernels and waits once (clFinish); OpenBLAS runs the same count of
 * sgemm calls. Runs alternate between the two, with a pause so neither
 * runtime's spinning worker threads steal the other's cores. GFLOP/s count
 * 2*m*n*k; medians over the runs. Exit 0, 1 when a result is wrong, 2 on
 * bad arguments, 3 on a device failure. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "core/log.h"

/* a linear layer shape: out (m, n) = act(x (m, k) W^T + b) [+ residual] */
struct shape {
    const char *model, *name;
    int n, k;
    bool residual;
    enum bb_act act;
};

static const struct shape shapes[] = {
    {"minilm", "qkv", 1152, 384, false, BB_ACT_NONE},
    {"minilm", "attn-out", 384, 384, true, BB_ACT_NONE},
    {"minilm", "ffn-up", 1536, 384, false, BB_ACT_GELU},
    {"minilm", "ffn-down", 384, 1536, true, BB_ACT_NONE},
    {"mpnet", "qkv", 2304, 768, false, BB_ACT_NONE},
    {"mpnet", "attn-out", 768, 768, true, BB_ACT_NONE},
    {"mpnet", "ffn-up", 3072, 768, false, BB_ACT_GELU},
    {"mpnet", "ffn-down", 768, 3072, true, BB_ACT_NONE},
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])
#define MAX_RUNS 64
#define TOLERANCE 1e-4 /* max |cl - blas| / max |blas|, as the op tests' bound for k >= 1536 */

struct opts {
    int ms[8], n_ms;
    bool f32, f16;
    int runs, reps;
    const char *device, *family;
};

struct result {
    double cl, blas, blas_epi, ratio, err; /* GFLOP/s medians; ratio cl / blas */
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* let the other runtime's idle worker threads stop spinning */
static void pause_threads(void)
{
    struct timespec t = {0, 120 * 1000 * 1000};
    nanosleep(&t, NULL);
}

/* uniform values that are exact in half precision (multiples of 2^-13), so
 * f16 storage changes nothing and both sides multiply the same numbers */
static void fill(float *v, size_t n, unsigned *seed)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)((int)(rand_r(seed) % 2001) - 1000) / 8192.0f;
}

/* the epilogue OpenBLAS lacks, in plain C: out = act(out + bias) + residual */
static void epilogue(float *out, const float *bias, const float *res, int m, int n,
                     enum bb_act act)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            size_t o = (size_t)i * n + j;
            float v = out[o] + bias[j];
            if (act == BB_ACT_GELU)
                v = 0.5f * v * (1.0f + erff(v * (float)M_SQRT1_2));
            out[o] = res ? v + res[o] : v;
        }
}

static void sgemm(const float *x, const float *w, float *out, int m, int n, int k)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x, k, w, k, 0.0f, out, n);
}

/* host and device copies of one benchmark case */
struct bcase {
    int m, n, k;
    float *x, *w, *bias, *res, *ref, *got;
    struct bb_buffer *dx, *dbias, *dres, *dout;
    struct bb_weight dw;
};

static enum bb_status case_init(struct bb_backend *be, struct bcase *c, int m, int n, int k,
                                enum bb_dtype storage, struct bb_error *err)
{
    unsigned seed = 1234u + (unsigned)(m * 31 + n * 7 + k);
    enum bb_status st;
    memset(c, 0, sizeof *c);
    c->m = m, c->n = n, c->k = k;
    size_t mk = (size_t)m * k, nk = (size_t)n * k, mn = (size_t)m * n;
    c->x = malloc(mk * 4), c->w = malloc(nk * 4), c->bias = malloc((size_t)n * 4);
    c->res = malloc(mn * 4), c->ref = malloc(mn * 4), c->got = malloc(mn * 4);
    if (!c->x || !c->w || !c->bias || !c->res || !c->ref || !c->got)
        return bb_fail(err, BB_E_NOMEM, "out of host memory for m=%d n=%d k=%d", m, n, k);
    fill(c->x, mk, &seed);
    fill(c->w, nk, &seed);
    fill(c->bias, (size_t)n, &seed);
    fill(c->res, mn, &seed);
    if ((st = bb_buffer_alloc(be, mk * 4, &c->dx, err)) ||
        (st = bb_buffer_alloc(be, (size_t)n * 4, &c->dbias, err)) ||
        (st = bb_buffer_alloc(be, mn * 4, &c->dres, err)) ||
        (st = bb_buffer_alloc(be, mn * 4, &c->dout, err)) ||
        (st = bb_backend_upload(be, c->dx, 0, c->x, mk * 4, err)) ||
        (st = bb_backend_upload(be, c->dbias, 0, c->bias, (size_t)n * 4, err)) ||
        (st = bb_backend_upload(be, c->dres, 0, c->res, mn * 4, err)))
        return st;
    return bb_weight_upload(be, c->w, BB_F32, n, k, storage, &c->dw, err);
}

static void case_free(struct bb_backend *be, struct bcase *c)
{
    bb_buffer_free(be, c->dx);
    bb_buffer_free(be, c->dbias);
    bb_buffer_free(be, c->dres);
    bb_buffer_free(be, c->dout);
    if (c->dw.buf)
        bb_weight_free(be, &c->dw);
    free(c->x), free(c->w), free(c->bias), free(c->res), free(c->ref), free(c->got);
}

/* max |got - ref| / max |ref| of the OpenCL result against OpenBLAS + epilogue */
static enum bb_status case_verify(struct bb_backend *be, struct bcase *c, const struct shape *s,
                                  double *out_err, struct bb_error *err)
{
    size_t mn = (size_t)c->m * c->n;
    enum bb_status st;
    struct bb_buffer *res = s->residual ? c->dres : NULL;
    if ((st = bb_op_matmul(be, c->dx, &c->dw, c->dbias, res, c->dout, c->m, s->act, err)) ||
        (st = bb_backend_download(be, c->dout, 0, c->got, mn * 4, err)))
        return st;
    sgemm(c->x, c->w, c->ref, c->m, c->n, c->k);
    epilogue(c->ref, c->bias, s->residual ? c->res : NULL, c->m, c->n, s->act);
    double scale = 0, worst = 0;
    for (size_t i = 0; i < mn; i++)
        scale = fmax(scale, fabs(c->ref[i]));
    for (size_t i = 0; i < mn; i++) {
        double e = fabs((double)c->got[i] - c->ref[i]) / (scale > 0 ? scale : 1);
        if (!(e <= worst))
            worst = e; /* a NaN sticks */
    }
    *out_err = worst;
    return BB_OK;
}

/* one OpenCL run: reps launches, one sync; GFLOP/s */
static enum bb_status time_cl(struct bb_backend *be, struct bcase *c, const struct shape *s,
                              int reps, double *gflops, struct bb_error *err)
{
    struct bb_buffer *res = s->residual ? c->dres : NULL;
    enum bb_status st = BB_OK;
    double t = bb_now();
    for (int i = 0; i < reps && !st; i++)
        st = bb_op_matmul(be, c->dx, &c->dw, c->dbias, res, c->dout, c->m, s->act, err);
    if (st || (st = bb_backend_sync(be, err)))
        return st;
    *gflops = 2.0 * c->m * c->n * c->k * reps / (bb_now() - t) * 1e-9;
    return BB_OK;
}

/* one OpenBLAS run: reps sgemm calls; GFLOP/s without and with the C epilogue */
static void time_blas(struct bcase *c, const struct shape *s, int reps, double *plain,
                      double *with_epi)
{
    double flop = 2.0 * c->m * c->n * c->k * reps, t = bb_now();
    for (int i = 0; i < reps; i++)
        sgemm(c->x, c->w, c->ref, c->m, c->n, c->k);
    *plain = flop / (bb_now() - t) * 1e-9;
    pause_threads();
    t = bb_now();
    for (int i = 0; i < reps; i++) {
        sgemm(c->x, c->w, c->ref, c->m, c->n, c->k);
        epilogue(c->ref, c->bias, s->residual ? c->res : NULL, c->m, c->n, s->act);
    }
    *with_epi = flop / (bb_now() - t) * 1e-9;
}

static enum bb_status bench_case(struct bb_backend *be, const struct opts *o,
                                 const struct shape *s, int m, enum bb_dtype storage,
                                 struct result *r, struct bb_error *err)
{
    struct bcase c;
    double cl[MAX_RUNS], bl[MAX_RUNS], bep[MAX_RUNS], ra[MAX_RUNS];
    enum bb_status st = case_init(be, &c, m, s->n, s->k, storage, err);
    if (!st)
        st = case_verify(be, &c, s, &r->err, err); /* also the warm-up */
    for (int i = 0; i < o->runs && !st; i++) {
        st = time_cl(be, &c, s, o->reps, &cl[i], err);
        pause_threads();
        time_blas(&c, s, o->reps, &bl[i], &bep[i]);
        pause_threads();
        ra[i] = cl[i] / bl[i];
    }
    if (!st) {
        r->cl = median(cl, o->runs);
        r->blas = median(bl, o->runs);
        r->blas_epi = median(bep, o->runs);
        r->ratio = median(ra, o->runs);
    }
    case_free(be, &c);
    return st;
}

static void print_header(struct bb_backend *be, const struct opts *o)
{
    double load[3] = {0, 0, 0};
    getloadavg(load, 3);
    const char *pocl = getenv("POCL_MAX_PTHREAD_COUNT");
    const struct bb_device_info *in = bb_backend_info(be);
    printf("# device: %s (%s), %d compute units; POCL_MAX_PTHREAD_COUNT=%s\n", in->name,
           in->platform, in->compute_units, pocl ? pocl : "(unset)");
    printf("# OpenBLAS: %s; core %s; %d threads\n", openblas_get_config(), openblas_get_corename(),
           openblas_get_num_threads());
    printf("# %d runs of %d back-to-back launches each, medians; load average %.2f %.2f %.2f\n",
           o->runs, o->reps, load[0], load[1], load[2]);
    printf("# cl: OpenCL fused GEMM+epilogue; blas: cblas_sgemm alone; blas+epi: sgemm then the\n"
           "# epilogue in plain C (what a fair fused comparison costs); ratio: median over runs\n"
           "# of cl/blas; err: max|cl - blas| / max|blas|\n");
    printf("%-6s %-8s %5s %5s %5s %-13s %-3s %8s %8s %8s %6s %8s\n", "model", "layer", "m", "n",
           "k", "epilogue", "w", "cl", "blas", "blas+epi", "ratio", "err");
}

static const char *epilogue_name(const struct shape *s)
{
    if (s->act == BB_ACT_GELU)
        return s->residual ? "bias+gelu+res" : "bias+gelu";
    return s->residual ? "bias+res" : "bias";
}

static int run_all(struct bb_backend *be, const struct opts *o)
{
    int bad = 0;
    struct bb_error err = {0};
    print_header(be, o);
    for (int mi = 0; mi < o->n_ms; mi++)
        for (size_t si = 0; si < N_SHAPES; si++)
            for (int sto = 0; sto < 2; sto++) {
                const struct shape *s = &shapes[si];
                if ((sto == 0 && !o->f32) || (sto == 1 && !o->f16) ||
                    (strcmp(o->family, "all") && strcmp(o->family, s->model)))
                    continue;
                struct result r = {0};
                enum bb_status st = bench_case(be, o, s, o->ms[mi], sto ? BB_F16 : BB_F32, &r,
                                               &err);
                if (st) {
                    fprintf(stderr, "ops-bench: %s\n", err.msg);
                    return bb_status_exit_code(st);
                }
                bool wrong = !(r.err <= TOLERANCE);
                bad |= wrong;
                printf("%-6s %-8s %5d %5d %5d %-13s %-3s %8.1f %8.1f %8.1f %6.2f %8.1e%s\n",
                       s->model, s->name, o->ms[mi], s->n, s->k, epilogue_name(s),
                       sto ? "f16" : "f32", r.cl, r.blas, r.blas_epi, r.ratio, r.err,
                       wrong ? "  WRONG" : "");
                fflush(stdout);
            }
    double load[3] = {0, 0, 0};
    getloadavg(load, 3);
    printf("# load average at the end %.2f %.2f %.2f\n", load[0], load[1], load[2]);
    if (bad)
        fprintf(stderr, "ops-bench: some OpenCL results differ from OpenBLAS by more than %g\n",
                TOLERANCE);
    return bad ? 1 : 0;
}

static int usage(const char *msg)
{
    fprintf(stderr,
            "ops-bench: %s\nusage: ops-bench [-m M[,M...]] [-s f32,f16] [-n runs] "
            "[-r launches] [-d device] [-f minilm|mpnet|all]\n",
            msg);
    return 2;
}

static int parse_ms(struct opts *o, const char *arg)
{
    char *end;
    o->n_ms = 0;
    for (const char *p = arg; *p && o->n_ms < 8; p = *end ? end + 1 : end) {
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 65536 || (*end && *end != ','))
            return usage("-m: expected comma-separated row counts in 1..65536");
        o->ms[o->n_ms++] = (int)v;
    }
    return o->n_ms ? 0 : usage("-m: expected at least one row count");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    int c, rc = 0;
    *o = (struct opts){.ms = {1024, 4096}, .n_ms = 2, .f32 = true, .f16 = true, .runs = 5,
                       .reps = 5, .device = "auto", .family = "all"};
    while (!rc && (c = getopt(argc, argv, "m:s:n:r:d:f:h")) != -1) {
        switch (c) {
        case 'm': rc = parse_ms(o, optarg); break;
        case 's':
            o->f32 = strstr(optarg, "f32") != NULL;
            o->f16 = strstr(optarg, "f16") != NULL;
            if (!o->f32 && !o->f16)
                rc = usage("-s: expected f32, f16 or f32,f16");
            break;
        case 'n': o->runs = atoi(optarg); break;
        case 'r': o->reps = atoi(optarg); break;
        case 'd': o->device = optarg; break;
        case 'f': o->family = optarg; break;
        default: rc = usage("unknown option");
        }
    }
    if (!rc && (o->runs < 1 || o->runs > MAX_RUNS))
        rc = usage("-n: expected 1..64 runs");
    if (!rc && o->reps < 1)
        rc = usage("-r: expected at least one launch per run");
    if (!rc && strcmp(o->family, "all") && strcmp(o->family, "minilm") &&
        strcmp(o->family, "mpnet"))
        rc = usage("-f: expected minilm, mpnet or all");
    if (!rc && optind < argc)
        rc = usage("unexpected argument");
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct bb_backend *be = NULL;
    struct bb_error err = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc;
    struct bb_backend_opts bo = {.device = o.device};
    enum bb_status st = bb_backend_create("opencl", &bo, &be, &err);
    if (st) {
        fprintf(stderr, "ops-bench: %s\n", err.msg);
        return bb_status_exit_code(st);
    }
    rc = run_all(be, &o);
    bb_backend_free(be);
    return rc;
}
