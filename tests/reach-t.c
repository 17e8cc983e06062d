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

#include "compare/compare.h"
#include "metrics/classify.h"
#include "metrics/clustering.h"
#include "metrics/lmbias.h"
#include "metrics/logreg.h"
#include "metrics/ranking.h"
#include "model/decoder.h"
#include "model/model.h"
#include "model/model_int.h"
#include "core/paths.h"
#include "suite/dataset.h"
#include "suite/suite.h"
#include "bb-run.h"
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
    static const enum bb_suite_task_type types[] = {BB_TASK_RETRIEVAL, BB_TASK_CLUSTERING};
    static const char *const names[] = {"retrieval", "clustering"};
    for (int i = 0; i < 2; i++) {
        const struct bb_task_type_info *ti = bb_task_type_info(types[i]);
        ok(ti && !strcmp(ti->name, names[i]) && ti->caps == BB_CAP_EMBED && ti->run &&
               ti->report_section && ti->compare,
           "task table: %s row (needs embed)", names[i]);
        struct bb_suite_task t = {.type = types[i]};
        char why[300] = "";
        ok(bb_task_model_fits(&t, BB_CAP_EMBED, why, sizeof why), "%s fits an encoder", names[i]);
        ok(!bb_task_model_fits(&t, BB_CAP_LOGLIK | BB_CAP_GENERATE | BB_CAP_POOL, why,
                               sizeof why),
           "%s refuses a language model (pooled hidden states are no sentence embedding)",
           names[i]);
        char want[100];
        snprintf(want, sizeof want, "a %s task needs a model that can embed text", names[i]);
        contains(why, want, "%s: the registry's message", names[i]);
    }
    /* the linear probe takes an encoder's embeddings or a decoder's pooled states */
    const struct bb_task_type_info *ti = bb_task_type_info(BB_TASK_LINEAR_PROBE);
    ok(ti && !strcmp(ti->name, "linear-probe") && ti->caps == 0 && ti->run && ti->report_section,
       "task table: linear-probe row (either kind; the task checks)");
    struct bb_suite_task t = {.type = BB_TASK_LINEAR_PROBE};
    char why[300] = "";
    ok(bb_task_model_fits(&t, BB_CAP_EMBED, why, sizeof why), "linear-probe fits an encoder");
    ok(bb_task_model_fits(&t, BB_CAP_LOGLIK | BB_CAP_GENERATE | BB_CAP_POOL, why, sizeof why),
       "linear-probe fits a language model (mean-pooled hidden states)");
    ok(!bb_task_model_fits(&t, BB_CAP_LOGLIK, why, sizeof why),
       "linear-probe refuses a model that can only score text");
    contains(why, "a linear-probe task needs a model that can embed text or pool hidden states",
             "linear-probe: the registry's message");
}

/* ---- calibration: reliability bins and ECE ----------------------------------------------- */

static void test_reliability(void)
{
    /* 6 predictions: bin 0 {0.05 wrong}, bin 1 {0.15 right, 0.18 wrong}, bin 5 {0.55 right},
       bin 9 {0.95 right, 1.0 right (the last bin holds 1)}; ECE = (1 x 0.05 + 2 x |0.5 - 0.165|
       + 1 x 0.45 + 2 x 0.025) / 6 = 1.22 / 6 */
    double conf[] = {0.05, 0.15, 0.18, 0.55, 0.95, 1.0}, correct[] = {0, 1, 0, 1, 1, 1};
    bool right[] = {false, true, false, true, true, true};
    struct bb_class_bin b[10];
    bb_class_reliability(conf, correct, NULL, 6, 10, b);
    ok(b[0].count == 1 && b[1].count == 2 && b[5].count == 1 && b[9].count == 2 &&
           b[2].count == 0 && b[8].count == 0,
       "reliability: items land in bins 0, 1, 1, 5, 9, 9 (1.0 in the last)");
    is_double(0.165, b[1].conf, 1e-12, "reliability: bin 1 mean confidence (0.15 + 0.18) / 2");
    is_double(0.5, b[1].acc, 1e-12, "reliability: bin 1 accuracy 1/2");
    is_double(0.975, b[9].conf, 1e-12, "reliability: bin 9 mean confidence");
    ok(isnan(b[3].conf) && isnan(b[3].acc), "reliability: an empty bin has no mean (NaN)");
    double ece = 0;
    for (int k = 0; k < 10; k++)
        ece += b[k].count ? (double)b[k].count / 6.0 * fabs(b[k].acc - b[k].conf) : 0;
    is_double(1.22 / 6.0, ece, 1e-12, "ECE from the bins: 1.22 / 6 (hand-computed)");
    is_double(1.22 / 6.0, bb_lm_ece(conf, right, NULL, 6, 10), 1e-12,
              "bb_lm_ece (the ece rows) agrees with the chart's bins");
    int idx[] = {4, 4, 0};
    bb_class_reliability(conf, correct, idx, 3, 10, b);
    ok(b[9].count == 2 && b[0].count == 1 && b[1].count == 0,
       "reliability over a bootstrap index list counts repeats");
}

/* compare's paired test of a BBQ ece row: both sides' ECE recomputed from the per-item
   confidence and correct columns (not BBQ's bias scores). A: confidence 0.9, right on 27 of 30
   (ECE 0); B: confidence 0.9, right on 15 (ECE 0.4). */
static struct bb_table *items_table(const char *name, const char *text)
{
    struct bb_dataset_spec spec = {.path = write_tmp(name, text), .format = BB_FORMAT_CSV};
    struct bb_table *t = NULL;
    struct bb_error err = {0};
    if (bb_dataset_load(&spec, &t, &err))
        bail("%s", err.msg);
    return t;
}

static void test_compare_ece(void)
{
    const char *head = "item_id,category,context_condition,question_polarity,label,pred,pred_norm,"
                       "unknown,biased,correct,correct_norm,ll_ans0,ll_ans1,ll_ans2,confidence\n";
    char a[4000], b[4000];
    int na = snprintf(a, sizeof a, "%s", head), nb = snprintf(b, sizeof b, "%s", head);
    for (int i = 0; i < 30; i++) {
        int ra = i % 10 != 3, rb = i % 2;
        static const char *const fmt = "d/L%d,Age,ambig,neg,1,%d,1,2,0,%d,1,-1,-1,-1,0.9\n";
        na += snprintf(a + na, sizeof a - (size_t)na, fmt, i + 1, ra ? 1 : 0, ra);
        nb += snprintf(b + nb, sizeof b - (size_t)nb, fmt, i + 1, rb ? 1 : 0, rb);
    }
    struct bb_table *ta = items_table("bbq-ece-a.csv", a), *tb = items_table("bbq-ece-b.csv", b);
    struct bb_result_row row = {.task = "bbq", .group = "all", .metric = "ece", .value = 0};
    struct bb_cmp_opts o = bb_cmp_opts_default();
    struct bb_cmp out = {0};
    struct bb_error err = {0};
    ok(bb_compare_lm_handles(ta, "ece"), "compare: a BBQ ece row has a paired test");
    is_int(BB_OK, bb_compare_lm(ta, tb, &row, &o, &out, &err), "compare: BBQ ece tested");
    is_int(BB_CMP_BOOTSTRAP, out.method, "compare: BBQ ece by paired bootstrap");
    ok(out.ci_low > 0.1 && out.ci_low < 0.4 && out.ci_high > 0.4,
       "compare: the CI of B - A [%g, %g] holds the ECE difference 0.4 and excludes 0",
       out.ci_low, out.ci_high);
    bb_table_free(ta);
    bb_table_free(tb);
}

/* ---- a language model's text vector (the linear probe for decoders) ------------------- */

/* No reference implementation pools a decoder's states the way this project does (mean over
   the text's tokens of the final hidden state after the last norm), so the check is a property:
   bb_model_embed_texts on a padded batch of texts of different lengths equals, per text, the
   mean of the per-token final hidden states computed one token at a time by the generation
   path (KV cache), an independent route through attention. Padding counted in the mean, a
   missing final norm on one path or a position mix-up in the batch would all break it. */
static void pooled_case(const char *file, struct bb_backend *be, const char *bname)
{
    static const char *const texts[] = {"the bank froze my card yesterday",
                                        "hi",
                                        "how do I top up my account with a cheque?"};
    enum { N = 3 };
    struct bb_model *m = NULL;
    struct bb_error err = {0};
    char path[4200];
    snprintf(path, sizeof path, "%s", test_src_path(file));
    if (!is_int(BB_OK, bb_model_load(path, be, NULL, &m, &err), "%s (%s): loads", file, bname)) {
        diag("%s", err.msg);
        return;
    }
    ok((bb_model_caps(m) & BB_CAP_POOL) && !(bb_model_caps(m) & BB_CAP_EMBED),
       "%s: a language model pools hidden states but does not embed", file);
    int C = bb_model_dim(m);
    float *pooled = calloc((size_t)N * (size_t)C, sizeof *pooled); // (N, C)
    float *h = NULL;
    double worst = 0, spread = 0;
    bool fine = pooled &&
                bb_model_embed_texts(m, texts, N, N, pooled, &err) == BB_OK; /* one padded batch */
    for (int i = 0; i < N && fine; i++) {
        struct bb_encoding e = {0};
        fine = bb_tokenizer_encode(bb_model_tokenizer(m), texts[i], strlen(texts[i]), &e, &err) ==
               BB_OK;
        double *mean = calloc((size_t)C, sizeof *mean);
        h = realloc(h, (size_t)C * sizeof *h);
        fine = fine && mean && h && e.n >= 1;
        for (int j = 0; j < e.n && fine; j++) { /* token j after the j before it, cached */
            fine = bb_lm_step_hidden(bb_model_lm(m), &e.ids[j], 1, j, e.n, h, &err) == BB_OK;
            for (int c = 0; c < C && fine; c++)
                mean[c] += h[c] / e.n;
        }
        for (int c = 0; c < C && fine; c++) {
            double d = fabs(mean[c] - pooled[(size_t)i * (size_t)C + c]);
            worst = d > worst ? d : worst;
            spread = fmax(spread, fabs(pooled[(size_t)i * (size_t)C + c] - pooled[c]));
        }
        if (fine && i == 1)
            diag("%s: \"%s\" is %d token(s), pooled in a batch padded to the longest", file,
                 texts[i], e.n);
        free(mean);
        bb_encoding_free(&e);
    }
    ok(fine && worst <= 1e-4,
       "%s (%s): pooled batch = mean of the step path's per-token final states (max |diff| %.3g "
       "<= 1e-4)%s%s", file, bname, worst, fine ? "" : ": ", fine ? "" : err.msg);
    ok(fine && spread > 1e-3, "%s (%s): different texts give different vectors (%.3g)", file,
       bname, spread);
    free(h);
    free(pooled);
    bb_model_free(m);
}

static void test_pooled(void)
{
    struct bb_backend *ref = NULL, *ocl = NULL;
    struct bb_error err = {0};
    struct bb_backend_opts o = {.device = "auto"};
    if (!is_int(BB_OK, bb_backend_create("ref", NULL, &ref, &err), "ref backend"))
        return;
    enum bb_status st = bb_backend_create("opencl", &o, &ocl, &err);
    if (st == BB_E_NODEVICE && !(getenv("CI") && !strcmp(getenv("CI"), "true")))
        skip("no OpenCL device: pooled hidden states checked on ref only (%s)", err.msg);
    else
        is_int(BB_OK, st, "opencl backend%s%s", st ? ": " : "", st ? err.msg : "");
    static const char *const files[] = {"tests/data/models/tiny-llama.gguf",
                                        "tests/data/models/tiny-gpt2.gguf"};
    for (int f = 0; f < 2; f++) {
        pooled_case(files[f], ref, "ref");
        if (ocl)
            pooled_case(files[f], ocl, "opencl");
    }
    bb_backend_free(ocl);
    bb_backend_free(ref);
}

/* ---- end to end: the tasks, --shard and merge ---------------------------------------- */

static const char *g_bin;
static char g_suite[4200], g_data[4200];

static int run_bb(const char *const *args, char **err_text)
{
    return test_run_bin(g_bin, args, NULL, err_text);
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

/* Column k of a CSV line (quoted cells allowed) into buf; false when the line is shorter. */
static bool csv_cell(const char *line, int k, char *buf, size_t n)
{
    int col = 0;
    size_t w = 0;
    bool quoted = false;
    for (const char *c = line; *c && *c != '\n' && !(*c == '\r' && !quoted); c++) {
        if (*c == '"' && quoted && c[1] == '"') {
            if (col == k && w + 1 < n)
                buf[w++] = '"';
            c++;
        } else if (*c == '"') {
            quoted = !quoted;
        } else if (*c == ',' && !quoted) {
            if (col++ == k)
                break;
        } else if (col == k && w + 1 < n) {
            buf[w++] = *c;
        }
    }
    buf[w] = 0;
    return col >= k;
}

/* The task's ece row equals bb_lm_ece over the per-item confidence and correct columns. */
static void ece_matches_items(const char *run, const char *results, const char *task,
                              const char *model, size_t want_n)
{
    char p[4400], cell[64];
    snprintf(p, sizeof p, "%s/items/%s__%s.csv", run, task, model);
    char *text = test_slurp(p, NULL);
    int cc = -1, ck = -1;
    double conf[64];
    bool right[64];
    size_t n = 0;
    for (int k = 0; text && csv_cell(text, k, cell, sizeof cell) && k < 64; k++) {
        cc = !strcmp(cell, "confidence") ? k : cc;
        ck = !strcmp(cell, "correct") ? k : ck;
    }
    for (const char *l = text ? strchr(text, '\n') : NULL; l && l[1] && n < 64;
         l = strchr(l + 1, '\n')) {
        if (cc < 0 || ck < 0 || !csv_cell(l + 1, cc, cell, sizeof cell))
            break;
        conf[n] = strtod(cell, NULL);
        csv_cell(l + 1, ck, cell, sizeof cell);
        right[n++] = !strcmp(cell, "1");
    }
    double row = results ? csv_value(results, task, "ece") : NAN;
    double mine = n ? bb_lm_ece(conf, right, NULL, n, 10) : NAN;
    ok(cc >= 0 && ck >= 0 && n == want_n && fabs(row - mine) <= 1e-6 && row >= 0 && row <= 1,
       "%s: ece row %g = ECE of the %zu per-item confidences (%g)", task, row, n, mine);
    free(text);
}

/* The linear probe on a language model, end to end: a suite whose model is a tiny decoder;
   zero-shot and BBQ beside it for their calibration rows and the report's diagrams. */
static void test_lm_probe_run(void)
{
    char text[9000], out[4200], p[4400];
    snprintf(text, sizeof text,
             "suite: lmprobe\nversion: 1\nseed: 3\ndefaults: {batch_size: 4, bootstrap: 100}\n"
             "models:\n  - id: tiny\n    source: %s\n"
             "datasets:\n  - {id: tl, path: tl.csv, header: true, columns: {text: text, label: "
             "label}}\n"
             "  - {id: bbq-age, path: bbq/data/Age.jsonl}\n"
             "tasks:\n  - {id: probe, type: linear-probe, train_dataset: tl, dataset: tl, "
             "experiments: 3, samples_per_label: 2}\n"
             "  - id: zs\n    type: zero-shot-classification\n    dataset: tl\n"
             "    template: \"Message: {text}\\nTopic:\"\n    labels:\n"
             "      account: {verbalizer: \" account\"}\n      card: {verbalizer: \" card\"}\n"
             "      transfer: {verbalizer: \" transfer\"}\n"
             "  - {id: bbq, type: bbq, datasets: [bbq-age], limit: 12}\n",
             test_src_path("tests/data/models/tiny-llama.gguf"));
    const char *suite = write_tmp("lmprobe.yaml", text);
    char suite_path[4200];
    snprintf(suite_path, sizeof suite_path, "%s", suite);
    tmp_path(out, sizeof out, "lmprobe");
    char *e = NULL;
    int rc = run_bb((const char *[]){"run", suite_path, "--data-dir", g_data, "--out", out,
                                     "--force", "-q", NULL},
                    &e);
    if (!is_int(0, rc, "linear probe on a language model (tiny llama, pooled states): exit 0"))
        diag("stderr: %s", e ? e : "");
    free(e);
    char *r = test_non_timing(out);
    double acc = r ? csv_value(r, "probe", "accuracy") : NAN;
    ok(acc >= 0 && acc <= 1, "language-model probe: accuracy in [0, 1] (%g)", acc);
    ok(r && csv_value(r, "probe", "train_size") == 6, "language-model probe: 6 train rows");
    snprintf(p, sizeof p, "%s/items/probe__tiny.csv", out);
    char *items = test_slurp(p, NULL);
    contains(items, "item_id,text,label,correct,prediction,confidence,correct_first",
             "language-model probe: per-item file with the first experiment's confidence");
    free(items);
    /* the report's calibration paragraph and reliability diagram (its data file is written
       with or without gnuplot): 10 bins whose counts add up to the 9 test items */
    snprintf(p, sizeof p, "%s/report.md", out);
    char *md = test_slurp(p, NULL);
    contains(md, "Calibration: ECE = ", "report: the probe's calibration paragraph");
    free(md);
    snprintf(p, sizeof p, "%s/charts/calibration__probe__tiny.dat", out);
    char *dat = test_slurp(p, NULL);
    long total = 0;
    int bins = 0;
    for (const char *l = dat; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "") {
        double lo, hi;
        long cnt;
        if (*l != '#' && sscanf(l, "%lf\t%lf\t%ld", &lo, &hi, &cnt) == 3)
            bins++, total += cnt;
    }
    ok(bins == 10 && total == 9, "reliability diagram data: %d bins holding %ld items (10, 9)",
       bins, total);
    free(dat);
    /* zero-shot and BBQ on a language model: the ece row is the ECE of the per-item
       confidence and correctness columns (the chart's input) */
    ece_matches_items(out, r, "zs", "tiny", 9);
    if (r && isnan(csv_value(r, "bbq", "ece")) && !(getenv("CI") && !strcmp(getenv("CI"), "true")))
        skip("BBQ calibration: bbq/data/Age.jsonl not found (../shared/datasets)");
    else
        ece_matches_items(out, r, "bbq", "tiny", 12);
    snprintf(p, sizeof p, "%s/report.md", out);
    md = test_slurp(p, NULL);
    contains(md, "charts/calibration__zs__tiny", "report: the zero-shot reliability diagram");
    free(md);
    free(r);
}

/* A model matrix split with --shard-by model: two language models (tiny llama and gpt2) x two
   tasks, each shard loads one model and runs all of its tasks, and the merge equals the
   unsharded run. */
static void test_model_matrix(void)
{
    char text[9000], full[4200], sh[2][4200], merged[4200], p[4400], suite[4200];
    snprintf(text, sizeof text,
             "suite: matrix\nversion: 1\nseed: 5\ndefaults: {batch_size: 4, bootstrap: 50}\n"
             "models:\n  - {id: llama, source: %s}\n",
             test_src_path("tests/data/models/tiny-llama.gguf"));
    snprintf(text + strlen(text), sizeof text - strlen(text),
             "  - {id: gpt2, source: %s}\n"
             "datasets:\n  - {id: tl, path: tl.csv, header: true, columns: {text: text, label: "
             "label}}\n"
             "tasks:\n  - {id: probe, type: linear-probe, train_dataset: tl, dataset: tl, "
             "experiments: 2, samples_per_label: 2}\n"
             "  - id: zs\n    type: zero-shot-classification\n    dataset: tl\n"
             "    template: \"Message: {text}\\nTopic:\"\n    labels:\n"
             "      account: {verbalizer: \" account\"}\n      card: {verbalizer: \" card\"}\n"
             "      transfer: {verbalizer: \" transfer\"}\n",
             test_src_path("tests/data/models/tiny-gpt2.gguf"));
    snprintf(suite, sizeof suite, "%s", write_tmp("matrix.yaml", text));
    tmp_path(full, sizeof full, "matrix-full");
    tmp_path(merged, sizeof merged, "matrix-merged");
    int rc = run_bb((const char *[]){"run", suite, "--data-dir", g_data, "--out", full,
                                     "--no-report", "--force", "-q", NULL},
                    NULL);
    for (int k = 0; k < 2 && !rc; k++) {
        char name[32], shard[8];
        snprintf(name, sizeof name, "matrix-shard%d", k);
        snprintf(shard, sizeof shard, "%d/2", k);
        tmp_path(sh[k], sizeof sh[k], name);
        rc = run_bb((const char *[]){"run", suite, "--data-dir", g_data, "--out", sh[k], "--shard",
                                     shard, "--shard-by", "model", "--no-report", "--force", "-q",
                                     NULL},
                    NULL);
    }
    if (!rc)
        rc = run_bb((const char *[]){"merge", sh[1], sh[0], "--out", merged, "--no-report",
                                     "--force", NULL},
                    NULL);
    is_int(0, rc, "model matrix (2 models x 2 tasks): unsharded, 2 shards by model, merge");
    if (rc)
        return;
    /* shard 0 has model 0's jobs only, shard 1 model 1's */
    bool split = same_file(sh[0], full, "items/probe__llama.csv") &&
                 same_file(sh[0], full, "items/zs__llama.csv") &&
                 same_file(sh[1], full, "items/probe__gpt2.csv") &&
                 same_file(sh[1], full, "items/zs__gpt2.csv");
    snprintf(p, sizeof p, "%s/items/probe__gpt2.csv", sh[0]);
    FILE *f = fopen(p, "r");
    snprintf(p, sizeof p, "%s/items/zs__llama.csv", sh[1]);
    FILE *g = fopen(p, "r");
    ok(split && !f && !g, "each shard ran every task of its one model and nothing else");
    if (f)
        fclose(f);
    if (g)
        fclose(g);
    snprintf(p, sizeof p, "%s/manifest.json", sh[1]);
    char *mf = test_slurp(p, NULL);
    contains(mf, "\"by\": \"model\"", "shard manifest: by model");
    free(mf);
    char *a = test_non_timing(full), *b = test_non_timing(merged);
    ok(a && b && !strcmp(a, b) && strstr(a, "\"gpt2\"") && strstr(a, "\"llama\""),
       "model matrix merged by model equals the unsharded run (non-timing rows, both models)");
    free(a);
    free(b);
    static const char *const files[] = {"items/probe__llama.csv", "items/zs__llama.csv",
                                        "items/probe__gpt2.csv", "items/zs__gpt2.csv"};
    bool same = true;
    for (int i = 0; i < 4; i++)
        same = same && same_file(full, merged, files[i]);
    ok(same, "model matrix: the merged items/ equal the unsharded run's, byte for byte");
}

/* Zero-shot on an encoder: its ece row (confidence = softmax of the label cosines / 0.05) is
   the ECE of the per-item confidence column. */
static void test_encoder_zeroshot_ece(void)
{
    const char *text =
        "suite: zs-enc\nversion: 1\nseed: 4\ndefaults: {batch_size: 8, bootstrap: 50}\n"
        "models:\n  - {id: minilm, source: all-MiniLM-L6-v2}\n"
        "datasets:\n  - {id: tl, path: tl.csv, header: true, columns: {text: text, label: label}}\n"
        "tasks:\n  - id: zs\n    type: zero-shot-classification\n    dataset: tl\n"
        "    labels:\n      account: {prompts: [\"A question about logging in to an account.\"]}\n"
        "      card: {prompts: [\"A problem with a bank card.\"]}\n"
        "      transfer: {prompts: [\"A question about a money transfer.\"]}\n";
    char suite[4200], out[4200];
    snprintf(suite, sizeof suite, "%s", write_tmp("zs-enc.yaml", text));
    tmp_path(out, sizeof out, "zs-enc");
    int rc = run_bb((const char *[]){"run", suite, "--data-dir", g_data, "--out", out,
                                     "--no-report", "--force", "-q", NULL},
                    NULL);
    is_int(0, rc, "zero-shot on MiniLM: exit 0");
    char *r = test_non_timing(out);
    ece_matches_items(out, r, "zs", "minilm", 9);
    free(r);
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
    char *r = test_non_timing(full);
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
    char *m = test_non_timing(merged);
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
        char *r4 = test_non_timing(full), *m4p = test_non_timing(pm);
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
    r = test_non_timing(full);
    m = test_non_timing(bm);
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
    r = test_non_timing(full);
    m = test_non_timing(m4);
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
    test_reliability();
    test_compare_ece();
    test_pooled();
    g_bin = getenv("BIASBENCH");
    if (!g_bin)
        g_bin = "./biasbench";
    snprintf(g_data, sizeof g_data, "%s", test_src_path("tests/data/reach"));
    test_lm_probe_run();
    test_model_matrix();
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
        test_encoder_zeroshot_ece();
    }
    return tap_failures() ? 1 : 0;
}
