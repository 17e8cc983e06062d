/* reach-t.c: issue 12 ("reach"): the retrieval metrics (src/metrics/ranking)
 * and clustering (src/metrics/clustering: V-measure, k-means) on
 * hand-computed cases; the suite keys and the task-table rows of the
 * retrieval and clustering tasks (a model lacking the capability is refused
 * with the registry's message); and, with all-MiniLM-L6-v2 present, both
 * tasks end to end on fixture data and a 2-shard run merged (biasbench run
 * --shard, biasbench merge) against the unsharded run. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics/clustering.h"
#include "metrics/logreg.h"
#include "metrics/ranking.h"
#include "model/model.h"
#include "core/paths.h"
#include "suite/suite.h"
#include "tap.h"
#include "tasks/task.h"

/* ---- ranking ---------------------------------------------------------------------- */

static void test_order(void)
{
    double s[] = {0.5, 0.9, 0.5, NAN, 0.1};
    size_t o[5];
    bb_rank_order(s, 5, o);
    ok(o[0] == 1 && o[1] == 0 && o[2] == 2 && o[3] == 4 && o[4] == 3,
       "order: score descending, ties by index, NaN last (%zu %zu %zu %zu %zu)", o[0], o[1], o[2],
       o[3], o[4]);
}

static void test_ndcg_ties(void)
{
    /* scores 0.9, 0.5, 0.5, 0.1: the tie between documents 1 and 2 is broken
       by index, so the order is 0 1 2 3 */
    double s[] = {0.9, 0.5, 0.5, 0.1}, rel2[] = {0, 0, 1, 0}, rel1[] = {0, 1, 0, 0};
    size_t o[4];
    bb_rank_order(s, 4, o);
    /* relevant document 2 at rank 3: DCG = 1/log2(4) = 0.5, IDCG = 1 */
    is_double(0.5, bb_rank_ndcg(o, rel2, 4, 10), 1e-12, "nDCG@10, tie lost: 1/log2(4) = 0.5");
    is_double(1.0 / 3.0, bb_rank_mrr(o, rel2, 4, 10), 1e-12, "MRR@10, tie lost: 1/3");
    is_double(0.0, bb_rank_mrr(o, rel2, 4, 2), 0, "MRR@2: rank 3 is outside the cut");
    is_double(0.0, bb_rank_recall(o, rel2, 4, 1), 0, "recall@1 = 0");
    is_double(1.0, bb_rank_recall(o, rel2, 4, 10), 0, "recall@10 = 1 (k > n)");
    is_double(1.0 / 3.0, bb_rank_ap(o, rel2, 4, 100), 1e-12, "AP@100 = 1/3");
    /* the same tie won: relevant document 1 at rank 2 */
    is_double(1.0 / log2(3.0), bb_rank_ndcg(o, rel1, 4, 10), 1e-12,
              "nDCG@10, tie won: 1/log2(3) = 0.6309");
    is_double(0.5, bb_rank_mrr(o, rel1, 4, 10), 1e-12, "MRR@10, tie won: 1/2");
}

static void test_ndcg_graded(void)
{
    /* order 0 1 2 3, grades 0 2 1 0: DCG = 2/log2(3) + 1/log2(4); the ideal
       order puts grade 2 first: IDCG = 2/log2(2) + 1/log2(3) */
    double s[] = {0.9, 0.8, 0.7, 0.1}, rel[] = {0, 2, 1, 0};
    size_t o[4];
    bb_rank_order(s, 4, o);
    double dcg = 2 / log2(3.0) + 0.5, idcg = 2 + 1 / log2(3.0);
    is_double(dcg / idcg, bb_rank_ndcg(o, rel, 4, 10), 1e-12, "nDCG@10 graded = %.6f", dcg / idcg);
    is_double(0.0, bb_rank_ndcg(o, rel, 4, 1), 0, "nDCG@1: top document not relevant -> 0");
    is_double((2 / log2(3.0)) / idcg, bb_rank_ndcg(o, rel, 4, 2), 1e-12,
              "nDCG@2 = (2/log2 3) / (2 + 1/log2 3)");
    /* binary AP with relevant at ranks 2 and 3: (1/2 + 2/3) / 2 */
    is_double((0.5 + 2.0 / 3.0) / 2, bb_rank_ap(o, rel, 4, 100), 1e-12, "AP = (1/2 + 2/3)/2");
    is_double(0.0, bb_rank_ap(o, rel, 4, 1), 0, "AP@1 = 0");
    is_double(0.5, bb_rank_recall(o, rel, 4, 2), 1e-12, "recall@2 = 1/2");
    double none[] = {0, 0, 0, 0};
    is_double(0.0, bb_rank_ndcg(o, none, 4, 10), 0, "no relevant document: nDCG 0");
    is_double(0.0, bb_rank_recall(o, none, 4, 10), 0, "no relevant document: recall 0");
    /* perfect ranking: every metric 1 */
    double rel_top[] = {1, 1, 0, 0};
    is_double(1.0, bb_rank_ndcg(o, rel_top, 4, 10), 1e-12, "perfect ranking: nDCG 1");
    is_double(1.0, bb_rank_ap(o, rel_top, 4, 100), 1e-12, "perfect ranking: AP 1");
}

/* ---- clustering --------------------------------------------------------------------- */

static void vm_case(const int *lab, size_t nl, const int *cl, size_t nc, size_t n, double h,
                    double c, double v, const char *what)
{
    struct bb_vmeasure m;
    struct bb_error err = {0};
    if (!ok(bb_vmeasure(lab, nl, cl, nc, n, &m, &err) == BB_OK, "v-measure %s: ok", what))
        return;
    is_double(h, m.homogeneity, 1e-12, "%s: homogeneity %.6f", what, h);
    is_double(c, m.completeness, 1e-12, "%s: completeness %.6f", what, c);
    is_double(v, m.v, 1e-12, "%s: V %.6f", what, v);
}

static void test_vmeasure(void)
{
    int lab[] = {0, 0, 1, 1};
    vm_case(lab, 2, (int[]){1, 1, 0, 0}, 2, 4, 1, 1, 1, "perfect (cluster ids swapped)");
    vm_case(lab, 2, (int[]){0, 0, 0, 0}, 1, 4, 0, 1, 0, "one cluster");
    /* singletons: h = 1; H(K) = ln 4, H(K|C) = ln 2: c = 1/2; V = 2/3 */
    vm_case(lab, 2, (int[]){0, 1, 2, 3}, 4, 4, 1, 0.5, 2.0 / 3.0, "singletons");
    /* sklearn's doc example: v_measure_score([0,0,1,1], [0,0,1,2]) = 0.8 */
    vm_case(lab, 2, (int[]){0, 0, 1, 2}, 3, 4, 1, 2.0 / 3.0, 0.8, "one class split (sklearn 0.8)");
    vm_case((int[]){0, 0, 1, 2}, 3, (int[]){0, 0, 1, 1}, 2, 4, 2.0 / 3.0, 1, 0.8,
            "two classes merged (symmetric)");
    /* labels 000111, clusters 001122: H(C) = ln 2; H(C|K) = (2/6) ln 2 (cluster 1
       holds one of each); H(K) = ln 3; H(K|C) = 2 x 1/2 x H(1/3, 2/3) */
    double hk = log(3.0), hc = log(2.0);
    double hkc = -(1.0 / 3 * log(1.0 / 3) + 2.0 / 3 * log(2.0 / 3));
    double h = 1 - (2.0 / 6 * log(2.0)) / hc, c = 1 - hkc / hk;
    vm_case((int[]){0, 0, 0, 1, 1, 1}, 2, (int[]){0, 0, 1, 1, 2, 2}, 3, 6, h, c,
            2 * h * c / (h + c), "000111 vs 001122");
    struct bb_vmeasure m;
    struct bb_error err = {0};
    ok(bb_vmeasure(lab, 2, (int[]){0, 0, 5, 0}, 2, 4, &m, &err) == BB_E_INPUT,
       "v-measure: a cluster id out of range is an input error");
}

static void test_kmeans(void)
{
    /* two blobs of three points; centroids (1/3, 1/3) and (31/3, 31/3);
       inertia per blob (1/9 + 1/9) + (1/9 + 4/9) + (4/9 + 1/9) = 4/3 */
    float x[] = {0, 0, 0, 1, 1, 0, 10, 10, 10, 11, 11, 10};
    int a[6], b[6];
    struct bb_kmeans_result r, r2;
    struct bb_error err = {0};
    ok(bb_kmeans(x, 6, 2, 2, 100, 7, a, &r, &err) == BB_OK, "k-means: two blobs");
    ok(a[0] == a[1] && a[1] == a[2] && a[3] == a[4] && a[4] == a[5] && a[0] != a[3],
       "k-means: the blobs are the clusters");
    is_double(8.0 / 3.0, r.inertia, 1e-6, "k-means: inertia 8/3");
    ok(r.converged, "k-means: converged (%d iterations)", r.iterations);
    ok(bb_kmeans(x, 6, 2, 2, 100, 7, b, &r2, &err) == BB_OK && !memcmp(a, b, sizeof a) &&
           r.inertia == r2.inertia,
       "k-means: the same seed gives the same clustering");
    int seen[6] = {0};
    ok(bb_kmeans(x, 6, 2, 6, 100, 3, a, &r, &err) == BB_OK && r.inertia == 0,
       "k-means: k = n puts every point alone (inertia 0)");
    for (int i = 0; i < 6; i++)
        seen[a[i]]++;
    ok(seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && seen[3] == 1 && seen[4] == 1 && seen[5] == 1,
       "k-means: k = n uses every cluster once");
    ok(bb_kmeans(x, 6, 2, 7, 100, 3, a, &r, &err) == BB_E_INPUT, "k-means: k > n is refused");
    /* duplicate points: k-means++ must still pick distinct centres */
    float dup[] = {1, 1, 1, 1, 1, 1, 5, 5};
    ok(bb_kmeans(dup, 4, 2, 2, 100, 1, a, &r, &err) == BB_OK && a[0] == a[1] && a[1] == a[2] &&
           a[3] != a[0] && r.inertia == 0,
       "k-means: duplicated points form one cluster");
}

/* ---- logistic regression ------------------------------------------------------------ */

static void test_logreg(void)
{
    /* x = +1 (class 1), x = -1 (class 0), C = 1: by symmetry w1 = -w0 = w and
       both intercepts stay 0; F = log(1 + e^{-2w}) + w^2/2, so w = 2 / (1 + e^{2w}) */
    double lo = 0, hi = 2;
    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2;
        if (mid - 2 / (1 + exp(2 * mid)) < 0)
            lo = mid;
        else
            hi = mid;
    }
    float x1[] = {1, -1};
    int y1[] = {1, 0};
    struct bb_logreg m;
    struct bb_error err = {0};
    struct bb_logreg_opts o = bb_logreg_opts_default();
    o.tol = 1e-10;
    o.max_iter = 1000;
    ok(bb_logreg_fit(x1, y1, 2, 1, 2, &o, &m, &err) == BB_OK && m.converged,
       "logreg 1-D: converges (%d iterations)", m.iterations);
    is_double(lo, m.w[2], 1e-7, "logreg 1-D: w1 = 2/(1 + e^{2 w1}) = %.6f", lo);
    is_double(-lo, m.w[0], 1e-7, "logreg 1-D: w0 = -w1");
    is_double(0, m.w[1] - m.w[3], 1e-7, "logreg 1-D: equal intercepts");
    double conf = 0;
    float one = 1;
    is_int(1, bb_logreg_predict_conf(&m, &one, &conf), "logreg 1-D: x = 1 -> class 1");
    is_double(1 / (1 + exp(-2 * lo)), conf, 1e-7, "logreg 1-D: confidence 1/(1 + e^{-2 w1})");
    bb_logreg_free(&m);
    /* three separable clusters: default settings (C 1, max_iter 100, tol 1e-4) */
    float x[] = {0,    5,    0.5f,  5.5f, -0.5f, 4.5f,  5,     0,     5.5f,
                 0.5f, 4.5f, -0.5f, -5,   -5,    -5.5f, -4.5f, -4.5f, -5.5f};
    int y[] = {0, 0, 0, 1, 1, 1, 2, 2, 2};
    ok(bb_logreg_fit(x, y, 9, 2, 3, NULL, &m, &err) == BB_OK, "logreg: separable toy set");
    ok(m.converged && m.grad_max <= 1e-4, "logreg: converged within max_iter (%d, max |g| %.2g)",
       m.iterations, m.grad_max);
    int right = 0;
    for (int i = 0; i < 9; i++)
        right += bb_logreg_predict(&m, x + 2 * i) == y[i];
    is_int(9, right, "logreg: every training point classified right");
    float probe[] = {1, 8};
    is_int(0, bb_logreg_predict(&m, probe), "logreg: a new point near class 0");
    bb_logreg_free(&m);
    ok(bb_logreg_fit(x, (int[]){0, 0, 0, 1, 1, 1, 2, 2, 3}, 9, 2, 3, NULL, &m, &err) == BB_E_INPUT,
       "logreg: a label out of range is an input error");
    /* macro-F1: class 0 F1 1/2, class 1 4/5, class 2 0 */
    long scratch[9];
    is_double((0.5 + 0.8 + 0) / 3,
              bb_macro_f1((int[]){0, 0, 1, 1, 2}, (int[]){0, 1, 1, 1, 0}, NULL, 5, 3, scratch),
              1e-12, "macro-F1 = (1/2 + 4/5 + 0)/3");
    is_double(1.0, bb_macro_f1((int[]){0, 2}, (int[]){0, 2}, NULL, 2, 3, scratch), 1e-12,
              "macro-F1 over the labels present only (class 1 absent)");
}

/* ---- suite keys and the task table ---------------------------------------------------- */

static const char *write_tmp(const char *name, const char *text)
{
    static char p[4200];
    snprintf(p, sizeof p, "%s/%s", test_tmp_dir(), name);
    FILE *f = fopen(p, "w");
    if (!f)
        bail("cannot write %s", p);
    fputs(text, f);
    fclose(f);
    return p;
}

static const char *SUITE_HEAD = "suite: t\nversion: 1\nmodels:\n  - id: m\n    source: x\n"
                                "datasets:\n  - id: qd\n    path: qd.csv\n"
                                "    columns: {query: 0, document: 1, score: 2}\n"
                                "  - id: tl\n    path: tl.csv\n    columns: {text: 0, label: 1}\n"
                                "  - id: nolab\n    path: tl.csv\n    columns: {text: 0}\n";

static struct bb_suite *load_suite_text(const char *tasks, struct bb_diagnostics *dg)
{
    char buf[4000];
    snprintf(buf, sizeof buf, "%stasks:\n%s", SUITE_HEAD, tasks);
    struct bb_suite *s = NULL;
    struct bb_error err = {0};
    bb_suite_load(write_tmp("s.yaml", buf), &s, dg, &err);
    return s;
}

static void test_suite_keys(void)
{
    struct bb_diagnostics dg = {0};
    struct bb_suite *s = load_suite_text(
        "  - {id: r, type: retrieval, dataset: qd, min_score: 4}\n"
        "  - {id: c, type: clustering, dataset: tl, restarts: 3, max_iter: 50, k: 5}\n"
        "  - {id: c2, type: clustering, dataset: tl}\n"
        "  - {id: p, type: linear-probe, dataset: tl, train_dataset: tl, experiments: 3,"
        " samples_per_label: 0, c: 0.5, max_iter: 20}\n"
        "  - {id: p2, type: linear-probe, dataset: tl, train_dataset: tl}\n",
        &dg);
    if (!ok(s != NULL, "a suite with retrieval and clustering tasks loads"))
        for (size_t i = 0; i < dg.n; i++)
            diag("%s", dg.v[i].msg);
    if (s) {
        const struct bb_suite_task *r = bb_suite_find_task(s, "r"), *c = bb_suite_find_task(s, "c"),
                                   *c2 = bb_suite_find_task(s, "c2");
        ok(r && r->type == BB_TASK_RETRIEVAL && r->u.retrieval.has_min_score &&
               r->u.retrieval.min_score == 4,
           "retrieval: type and min_score");
        ok(c && c->type == BB_TASK_CLUSTERING && c->u.clustering.restarts == 3 &&
               c->u.clustering.max_iter == 50 && c->u.clustering.k == 5,
           "clustering: restarts, max_iter, k");
        ok(c2 && c2->u.clustering.restarts == 10 && c2->u.clustering.max_iter == 300 &&
               c2->u.clustering.k == 0,
           "clustering defaults: 10 restarts, 300 iterations, k from the labels");
        const struct bb_suite_task *p = bb_suite_find_task(s, "p"),
                                   *p2 = bb_suite_find_task(s, "p2");
        ok(p && p->type == BB_TASK_LINEAR_PROBE && p->u.linear_probe.train &&
               p->u.linear_probe.experiments == 3 && p->u.linear_probe.samples_per_label == 0 &&
               p->u.linear_probe.c == 0.5 && p->u.linear_probe.max_iter == 20,
           "linear-probe: train_dataset, experiments, samples_per_label, c, max_iter");
        ok(p2 && p2->u.linear_probe.experiments == 10 &&
               p2->u.linear_probe.samples_per_label == 8 && p2->u.linear_probe.c == 1.0 &&
               p2->u.linear_probe.max_iter == 100,
           "linear-probe defaults: MTEB's 10 experiments, 8 per label, C 1, max_iter 100");
        is_string("retrieval", bb_suite_task_type_name(BB_TASK_RETRIEVAL), "type name retrieval");
        is_string("clustering", bb_suite_task_type_name(BB_TASK_CLUSTERING),
                  "type name clustering");
    }
    bb_suite_free(s);
    bb_diagnostics_free(&dg);
    dg = (struct bb_diagnostics){0};
    s = load_suite_text("  - {id: c, type: clustering, dataset: nolab, restarts: 0}\n"
                        "  - {id: r, type: retrieval, dataset: tl, labels: {}}\n"
                        "  - {id: p, type: linear-probe, dataset: tl, c: 0}\n",
                        &dg);
    ok(!s, "bad retrieval/clustering tasks are refused");
    char all[8000] = "";
    for (size_t i = 0; i < dg.n; i++)
        strncat(all, dg.v[i].msg, sizeof all - strlen(all) - 2), strcat(all, "\n");
    contains(all, "no column for role 'label' (a clustering task needs", "clustering needs label");
    contains(all, "no column for role 'query' (a retrieval task needs", "retrieval needs query");
    contains(all, "restarts", "restarts: 0 is out of range");
    contains(all, "it belongs to tasks of type", "a key of another task type is named as such");
    contains(all, "tasks[2]: missing required key 'train_dataset'",
             "linear-probe needs train_dataset");
    contains(all, "tasks[2].c: expected a number > 0, found 0", "linear-probe: c must be > 0");
    bb_suite_free(s);
    bb_diagnostics_free(&dg);
}

/* the shipped suites of this issue load (parsing only: no data or model needed) */
static void test_shipped_suites(void)
{
    static const char *const files[] = {"suites/reach.yaml", "suites/transfer.yaml"};
    for (size_t i = 0; i < 2; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s", test_src_path(files[i]));
        struct bb_suite *s = NULL;
        struct bb_diagnostics dg = {0};
        struct bb_error err = {0};
        if (!ok(bb_suite_load(path, &s, &dg, &err) == BB_OK, "%s is valid", files[i]))
            for (size_t k = 0; k < dg.n; k++)
                diag("%s", dg.v[k].msg);
        bb_suite_free(s);
        bb_diagnostics_free(&dg);
    }
}

static void test_registry(void)
{
    static const enum bb_suite_task_type types[] = {BB_TASK_RETRIEVAL, BB_TASK_CLUSTERING,
                                                    BB_TASK_LINEAR_PROBE};
    static const char *const names[] = {"retrieval", "clustering", "linear-probe"};
    for (int i = 0; i < 3; i++) {
        const struct bb_task_type_info *ti = bb_task_type_info(types[i]);
        ok(ti && !strcmp(ti->name, names[i]) && ti->caps == BB_CAP_EMBED && ti->run &&
               ti->report_section && ti->compare,
           "task table: %s row (needs embed)", names[i]);
        struct bb_suite_task t = {.type = types[i]};
        char why[300] = "";
        ok(bb_task_model_fits(&t, BB_CAP_EMBED, why, sizeof why), "%s fits an encoder", names[i]);
        ok(!bb_task_model_fits(&t, BB_CAP_LOGLIK | BB_CAP_GENERATE, why, sizeof why),
           "%s refuses a language model", names[i]);
        char want[100];
        snprintf(want, sizeof want, "a %s task needs a model that can embed text", names[i]);
        if (!strcmp(names[i], "linear-probe"))
            snprintf(want, sizeof want, "a linear-probe task needs a model that can embed text");
        contains(why, want, "%s: the registry's message", names[i]);
    }
}

/* ---- end to end: the tasks, --shard and merge ---------------------------------------- */

static const char *g_bin;
static char g_suite[4200], g_data[4200];

static int run_bb(const char *const *args, char **err_text)
{
    const char *argv[64] = {g_bin};
    size_t n = 1;
    for (; args[n - 1] && n < 63; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    char o[4200], e[4200];
    snprintf(o, sizeof o, "%s/stdout.txt", test_tmp_dir());
    snprintf(e, sizeof e, "%s/stderr.txt", test_tmp_dir());
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *fo = freopen(o, "w", stdout), *fe = freopen(e, "w", stderr);
        (void)fo, (void)fe;
        execv(g_bin, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (err_text)
        *err_text = test_slurp(e, NULL);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* results.csv without its timing rows (none here, but the contract says so). */
static char *non_timing(const char *dir)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/results.csv", dir);
    char *s = test_slurp(p, NULL);
    if (!s)
        return NULL;
    char *out = calloc(strlen(s) + 1, 1);
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
        size_t len = strlen(line);
        if ((len >= 7 && !strcmp(line + len - 7, ",timing")) || strstr(line, ",timing,"))
            continue; /* kind is unquoted, before the unit column */
        strcat(out, line);
        strcat(out, "\n");
    }
    free(s);
    return out;
}

static bool same_file(const char *a_dir, const char *b_dir, const char *rel)
{
    char a[4300], b[4300];
    snprintf(a, sizeof a, "%s/%s", a_dir, rel);
    snprintf(b, sizeof b, "%s/%s", b_dir, rel);
    size_t na, nb;
    char *x = test_slurp(a, &na), *y = test_slurp(b, &nb);
    bool same = x && y && na == nb && !memcmp(x, y, na);
    free(x);
    free(y);
    return same;
}

static void tmp_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", test_tmp_dir(), name);
}

static double csv_value(const char *results, const char *task, const char *metric)
{
    char key[200];
    snprintf(key, sizeof key, "\"%s\",", task);
    for (const char *p = results; (p = strstr(p, key)); p++) {
        const char *eol = strchr(p, '\n');
        char m[120];
        snprintf(m, sizeof m, "\"%s\",", metric);
        const char *q = strstr(p, m);
        if (q && (!eol || q < eol))
            return strtod(q + strlen(m), NULL);
    }
    return NAN;
}

static void test_end_to_end(void)
{
    char full[4200], s0[4200], s1[4200], merged[4200];
    tmp_path(full, sizeof full, "full");
    tmp_path(s0, sizeof s0, "shard0");
    tmp_path(s1, sizeof s1, "shard1");
    tmp_path(merged, sizeof merged, "merged");
    char *e = NULL;
    int rc = run_bb((const char *[]){"run", g_suite, "--data-dir", g_data, "--out", full, "--force",
                                     "-q", NULL},
                    &e);
    if (!is_int(0, rc, "run the fixture suite unsharded: exit 0"))
        diag("stderr: %s", e ? e : "");
    free(e);
    char *r = non_timing(full);
    ok(r && isfinite(csv_value(r, "dup", "ndcg_at_10")) && csv_value(r, "dup", "ndcg_at_10") > 0.5,
       "retrieval: nDCG@10 of the paraphrase queries > 0.5 (%g)",
       r ? csv_value(r, "dup", "ndcg_at_10") : NAN);
    ok(r && csv_value(r, "dup", "corpus_size") == 10, "retrieval: corpus of 10 documents");
    double v = r ? csv_value(r, "intents", "v_measure") : NAN;
    ok(v > 0 && v <= 1, "clustering: V-measure in (0, 1] (%g)", v);
    double acc = r ? csv_value(r, "probe", "accuracy") : NAN;
    ok(acc >= 0 && acc <= 1, "linear probe: accuracy in [0, 1] (%g)", acc);
    double ece = r ? csv_value(r, "probe", "ece") : NAN;
    ok(ece >= 0 && ece <= 1, "linear probe: ECE in [0, 1] (%g)", ece);
    ok(r && csv_value(r, "probe", "train_size") == 6,
       "linear probe: 2 per label x 3 labels = 6 train rows");
    ok(same_file(full, full, "items/dup__minilm.csv") &&
           same_file(full, full, "items/intents__minilm.csv") &&
           same_file(full, full, "items/probe__minilm.csv"),
       "per-item files of the three tasks are written");
    char p[4300];
    snprintf(p, sizeof p, "%s/items/dup__minilm.csv", full);
    char *items = test_slurp(p, NULL);
    contains(items, "item_id,query,n_relevant,first_rank,ndcg_at_10", "retrieval items header");
    free(items);

    /* two shards, run at once (as GNU parallel would), merged in reverse order */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int c = run_bb((const char *[]){"run", g_suite, "--data-dir", g_data, "--out", s1,
                                        "--shard", "1/2", "--no-report", "--force", "-q", NULL},
                       NULL);
        _exit(c);
    }
    rc = run_bb((const char *[]){"run", g_suite, "--data-dir", g_data, "--out", s0, "--shard",
                                 "0/2", "--no-report", "--force", "-q", NULL},
                NULL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    ok(rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "shards 0/2 and 1/2: exit 0");
    rc = run_bb((const char *[]){"merge", s1, s0, "--out", merged, "--force", NULL}, &e);
    if (!is_int(0, rc, "merge the two shards: exit 0"))
        diag("stderr: %s", e ? e : "");
    free(e);
    char *m = non_timing(merged);
    ok(r && m && !strcmp(r, m), "merged results.csv equals the unsharded run's (non-timing rows)");
    if (r && m && strcmp(r, m))
        diag("unsharded:\n%s\nmerged:\n%s", r, m);
    ok(same_file(full, merged, "items/dup__minilm.csv") &&
           same_file(full, merged, "items/intents__minilm.csv") &&
           same_file(full, merged, "items/sts__minilm.csv") &&
           same_file(full, merged, "items/probe__minilm.csv"),
       "merged items/ equal the unsharded run's, byte for byte");
    snprintf(p, sizeof p, "%s/report.md", merged);
    ok(bb_path_exists(p), "merge writes the report");
    snprintf(p, sizeof p, "%s/manifest.json", merged);
    char *mf = test_slurp(p, NULL);
    contains(mf, "\"merged_from\"", "merged manifest lists its shards");
    free(mf);
    free(r);
    free(m);
    r = m = NULL;

    /* the docs' one-machine fan-out: GNU parallel when installed, else xargs -P;
       4 shards at once, merged */
    {
        char par[4200], cmdp[70000];
        tmp_path(par, sizeof par, "parallel");
        snprintf(cmdp, sizeof cmdp,
                 "if command -v parallel >/dev/null 2>&1; then "
                 "parallel -j 4 '%s' run '%s' --data-dir '%s' --shard {}/4 --out '%s/shard-{}' "
                 "--no-report --force -q ::: 0 1 2 3; else "
                 "printf '0\n1\n2\n3\n' | xargs -P 4 -I{} '%s' run '%s' --data-dir '%s' "
                 "--shard {}/4 --out '%s/shard-{}' --no-report --force -q; fi >/dev/null && "
                 "'%s' merge '%s/shard-0' '%s/shard-1' '%s/shard-2' '%s/shard-3' --out '%s/merged' "
                 "--force --no-report >/dev/null",
                 g_bin, g_suite, g_data, par, g_bin, g_suite, g_data, par, g_bin, par, par, par,
                 par, par);
        is_int(0, system(cmdp), "4 shards at once (GNU parallel or xargs -P), merged: exit 0");
        char pm[4300];
        snprintf(pm, sizeof pm, "%s/merged", par);
        char *r4 = non_timing(full), *m4p = non_timing(pm);
        ok(r4 && m4p && !strcmp(r4, m4p), "4 parallel shards merged equal the unsharded run");
        free(r4);
        free(m4p);
    }

    /* --shard-by model: one model, so shard 0/2 runs every job and 1/2 none */
    char b0[4200], b1[4200], bm[4200];
    tmp_path(b0, sizeof b0, "bymodel0");
    tmp_path(b1, sizeof b1, "bymodel1");
    tmp_path(bm, sizeof bm, "bymodel");
    rc =
        run_bb((const char *[]){"run", g_suite, "--data-dir", g_data, "--out", b0, "--shard", "0/2",
                                "--shard-by", "model", "--no-report", "--force", "-q", NULL},
               NULL);
    rc |=
        run_bb((const char *[]){"run", g_suite, "--data-dir", g_data, "--out", b1, "--shard", "1/2",
                                "--shard-by", "model", "--no-report", "--force", "-q", NULL},
               NULL);
    rc |= run_bb((const char *[]){"merge", b0, b1, "--out", bm, "--force", "--no-report", NULL},
                 NULL);
    is_int(0, rc, "--shard-by model: two shards (one empty) and merge: exit 0");
    snprintf(p, sizeof p, "%s/manifest.json", b1);
    mf = test_slurp(p, NULL);
    contains(mf, "\"by\": \"model\"", "the shard manifest says it is by model");
    contains(mf, "\"jobs\": []", "shard 1/2 by model of a one-model run has no job");
    free(mf);
    r = non_timing(full);
    m = non_timing(bm);
    ok(r && m && !strcmp(r, m), "--shard-by model merged equals the unsharded run");
    free(r);
    free(m);

    /* refusals */
    rc = run_bb((const char *[]){"merge", s0, "--out", merged, "--force", NULL}, &e);
    is_int(2, rc, "merge with a shard missing: exit 2");
    contains(e, "1 shard(s) given (0) but the run has 2", "merge names the missing shards");
    free(e);
    rc = run_bb((const char *[]){"merge", s0, s0, "--out", merged, "--force", NULL}, &e);
    contains(e, "are both shard 0/2", "merge refuses a shard given twice");
    free(e);
    char tsel[4200];
    tmp_path(tsel, sizeof tsel, "task-dup");
    rc = run_bb((const char *[]){"run", g_suite, "--data-dir", g_data, "--task", "dup", "--out",
                                 tsel, "--shard", "0/2", "--no-report", "--force", "-q", NULL},
                NULL);
    rc = run_bb((const char *[]){"merge", tsel, s1, "--out", merged, "--force", NULL}, &e);
    contains(e, "ran different task lists", "merge refuses shards run with different --task");
    free(e);
    rc = run_bb((const char *[]){"merge", full, "--out", merged, "--force", NULL}, &e);
    contains(e, "not a shard", "merge refuses an unsharded run");
    free(e);
    rc = run_bb((const char *[]){"run", g_suite, "--shard", "2/2", NULL}, &e);
    is_int(2, rc, "--shard 2/2: exit 2");
    contains(e, "expected K/N with 0 <= K < N", "--shard names the form it wants");
    free(e);

    /* the Slurm array script, run index by index with SLURM_ARRAY_TASK_ID set (4
       shards for 4 jobs), then the merge script */
    char cmd[40000], out4[4200];
    tmp_path(out4, sizeof out4, "slurm");
    const char *arr = test_src_path("scripts/scale-out/slurm-array.sh");
    char arr_c[4200];
    snprintf(arr_c, sizeof arr_c, "%s", arr);
    const char *mer = test_src_path("scripts/scale-out/slurm-merge.sh");
    char mer_c[4200];
    snprintf(mer_c, sizeof mer_c, "%s", mer);
    const char *sub = test_src_path("scripts/scale-out/submit-slurm.sh");
    snprintf(cmd, sizeof cmd, "bash -n '%s' && bash -n '%s' && bash -n '%s'", arr_c, mer_c, sub);
    is_int(0, system(cmd), "the Slurm scripts parse (bash -n)");
    snprintf(cmd, sizeof cmd,
             "for k in 0 1 2 3; do SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_COUNT=4 BIASBENCH='%s' "
             "bash '%s' '%s' '%s' --data-dir '%s' -q >/dev/null || exit 1; done && "
             "BIASBENCH='%s' bash '%s' '%s' 4 >/dev/null",
             g_bin, arr_c, g_suite, out4, g_data, g_bin, mer_c, out4);
    is_int(0, system(cmd), "slurm-array.sh for indices 0-3, then slurm-merge.sh: exit 0");
    char m4[4300];
    snprintf(m4, sizeof m4, "%s/merged", out4);
    r = non_timing(full);
    m = non_timing(m4);
    ok(r && m && !strcmp(r, m), "4 Slurm shards merged equal the unsharded run (non-timing rows)");
    free(r);
    free(m);
}

int main(void)
{
    plan_lazy();
    test_order();
    test_ndcg_ties();
    test_ndcg_graded();
    test_vmeasure();
    test_kmeans();
    test_logreg();
    test_suite_keys();
    test_shipped_suites();
    test_registry();
    g_bin = getenv("BIASBENCH");
    if (!g_bin)
        g_bin = "./biasbench";
    char mdir[4096];
    struct bb_error err = {0};
    if (bb_paths_find_model("all-MiniLM-L6-v2", mdir, sizeof mdir, &err) != BB_OK) {
        if (getenv("CI") && !strcmp(getenv("CI"), "true"))
            bail("all-MiniLM-L6-v2 not found (CI=true): %s", err.msg);
        skip("end to end: all-MiniLM-L6-v2 not found (scripts/setup.sh fetches it)");
    } else {
        snprintf(g_suite, sizeof g_suite, "%s", test_src_path("tests/data/reach/reach.yaml"));
        snprintf(g_data, sizeof g_data, "%s", test_src_path("tests/data/reach"));
        test_end_to_end();
    }
    return tap_failures() ? 1 : 0;
}
