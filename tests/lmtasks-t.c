/* lmtasks-t.c: end-to-end tests of the likelihood tasks (pairs, stereoset,
 * bbq, multiple-choice, perplexity, decoder zero-shot) through `biasbench
 * run` on tests/data/lm/lm.yaml:
 *   - malformed inputs are refused with file:line and exit 2 whatever the
 *     model (a pair file with a missing column, a pair with an empty
 *     sentence, a BBQ item without its answer metadata);
 *   - a sentence encoder in a likelihood task is refused with "model minilm
 *     cannot score text: it is a sentence encoder" and the task's suite line;
 *   - the encoder path of zero-shot-classification still runs on a task that
 *     also has a template and verbalizers;
 *   - SmolLM2-135M-Instruct (GGUF) runs every task and the rows and per-item
 *     files have the documented shape. Until decoders load, the last group is
 *     skipped (the run's own message is shown). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csv.h>

#include "compare/compare.h"
#include "suite/dataset.h"
#include "metrics/table.h"
#include "bb-run.h"
#include "tap.h"

static const char *g_bin;
static char g_suite[4096], g_data[4096];

static int run_bb(const char *const *args, char **err_out)
{
    return test_run_bin(g_bin, args, NULL, err_out);
}

static int run_task(const char *task, const char *model, const char *out, char **err)
{
    const char *args[] = {"run", g_suite, "--data-dir", g_data, "--task", task, "--model", model,
                          "--out", out, "--force", "--backend", "ref", NULL};
    return run_bb(args, err);
}

static void refused(const char *task, const char *want1, const char *want2)
{
    char out[4200], *err = NULL;
    snprintf(out, sizeof out, "%s/%s", test_tmp_dir(), task);
    int rc = run_task(task, "minilm", out, &err);
    is_int(2, rc, "%s: exit 2", task);
    contains(err, want1, "%s: names the problem with file:line", task);
    if (want2)
        contains(err, want2, "%s: ... and %s", task, want2);
    free(err);
}

/* value of metric (group) of task in results.csv; NAN when absent. p: p_value. */
static double result(const char *csv, const char *task, const char *group, const char *metric,
                     double *p)
{
    char key[512];
    snprintf(key, sizeof key, ",%s,", task);
    for (const char *l = csv; l && *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        char line[2048];
        if (len < sizeof line) {
            memcpy(line, l, len);
            line[len] = '\0';
            char *f[16];
            size_t nf = 0;
            for (char *s = line, *tok; nf < 16 && (tok = strsep(&s, ","));) {
                size_t tl = strlen(tok); /* results.csv quotes its text fields */
                if (tl >= 2 && tok[0] == '"' && tok[tl - 1] == '"') {
                    tok[tl - 1] = '\0';
                    tok++;
                }
                f[nf++] = tok;
            }
            if (nf >= 12 && !strcmp(f[1], task) && !strcmp(f[5], group) && !strcmp(f[6], metric)) {
                if (p)
                    *p = *f[11] ? atof(f[11]) : NAN;
                return *f[7] ? atof(f[7]) : NAN;
            }
        }
        l = e ? e + 1 : NULL;
    }
    return NAN;
}

/* ---- against transformers (tests/golden/lm-smollm2.tsv) ----------------- */

/* A CSV file as rows of fields (libcsv: quotes and embedded newlines). */
struct rows {
    char ***row; /* row[i][j] */
    int *nf, n, cap, cur_nf;
    char **cur;
};
static void cb_field(void *f, size_t len, void *ud)
{
    struct rows *r = ud;
    r->cur = realloc(r->cur, (size_t)(r->cur_nf + 1) * sizeof *r->cur);
    r->cur[r->cur_nf] = strndup(f ? f : "", len);
    r->cur_nf++;
}
static void cb_row(int c, void *ud)
{
    (void)c;
    struct rows *r = ud;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->row = realloc(r->row, (size_t)r->cap * sizeof *r->row);
        r->nf = realloc(r->nf, (size_t)r->cap * sizeof *r->nf);
    }
    r->row[r->n] = r->cur;
    r->nf[r->n++] = r->cur_nf;
    r->cur = NULL;
    r->cur_nf = 0;
}
static void rows_read(const char *path, struct rows *r)
{
    size_t len;
    char *s = test_slurp(path, &len);
    struct csv_parser p;
    memset(r, 0, sizeof *r);
    if (!s || csv_init(&p, CSV_APPEND_NULL) != 0)
        bail("cannot read %s", path);
    csv_parse(&p, s, len, cb_field, cb_row, r);
    csv_fini(&p, cb_field, cb_row, r);
    csv_free(&p);
    free(s);
}
static void rows_free(struct rows *r)
{
    for (int i = 0; i < r->n; i++) {
        for (int j = 0; j < r->nf[i]; j++)
            free(r->row[i][j]);
        free(r->row[i]);
    }
    for (int j = 0; j < r->cur_nf; j++)
        free(r->cur[j]);
    free(r->cur);
    free(r->row);
    free(r->nf);
}

static const char *rows_get(const struct rows *r, const char *id, int col)
{
    for (int i = 1; i < r->n; i++)
        if (r->nf[i] > col && !strcmp(r->row[i][0], id))
            return r->row[i][col];
    return NULL;
}

/* Per item, our log-likelihoods within 1e-3 of transformers'; the metrics equal. */
static void golden_smollm2(void)
{
    char out[4200], *err = NULL, path[4400];
    snprintf(out, sizeof out, "%s/golden", test_tmp_dir());
    const char *suite = test_src_path("tests/data/lm/golden-smollm2.yaml");
    const char *args[] = {"run", suite, "--out", out, "--force", NULL};
    int rc = run_bb(args, &err);
    is_int(0, rc, "golden subset (24 CrowS-Pairs pairs, 24 StereoSet contexts, 48 BBQ items) runs");
    if (rc)
        diag("%s", err);
    free(err);
    if (rc)
        return;
    static const struct { const char *task, *file, *prefix; int cols[3], n; } T[] = {
        {"crows", "crows__smollm2.csv", "", {4, 5, 0}, 2},
        {"stereoset", "stereoset__smollm2.csv", "", {6, 7, 8}, 3},
        {"bbq", "bbq__smollm2.csv", "", {11, 12, 13}, 3},
    };
    struct rows items[3];
    for (int t = 0; t < 3; t++) {
        snprintf(path, sizeof path, "%s/items/%s", out, T[t].file);
        rows_read(path, &items[t]);
    }
    snprintf(path, sizeof path, "%s/results.csv", out);
    char *csv = test_slurp(path, NULL);
    char *gold = test_slurp(test_src_path("tests/golden/lm-smollm2.tsv"), NULL);
    if (!csv || !gold)
        bail("golden: cannot read results.csv or tests/golden/lm-smollm2.tsv");
    double worst = 0;
    int n_items = 0, missing = 0, metrics = 0, metrics_eq = 0;
    char *save = NULL;
    for (char *line = strtok_r(gold, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[8];
        int nf = 0;
        for (char *s2 = line, *tok; nf < 8 && (tok = strsep(&s2, "\t"));)
            f[nf++] = tok;
        if (nf < 4)
            continue;
        int t = !strcmp(f[1], "crows") ? 0 : !strcmp(f[1], "stereoset") ? 1 : 2;
        if (!strcmp(f[0], "item")) {
            char id[128];
            /* BBQ golden ids are FILE/L<n>; ours are <dataset id>/L<n> */
            if (t == 2)
                snprintf(id, sizeof id, "bbq-%s/%s", !strncmp(f[2], "Age", 3) ? "age" : "religion",
                         strchr(f[2], '/') + 1);
            else
                snprintf(id, sizeof id, "%s", f[2]);
            for (int k = 0; k < T[t].n && 3 + k < nf; k++) {
                const char *v = rows_get(&items[t], id, T[t].cols[k]);
                if (!v) {
                    missing++;
                    continue;
                }
                double d = fabs(atof(v) - atof(f[3 + k]));
                worst = d > worst ? d : worst;
            }
            n_items++;
        } else if (!strcmp(f[0], "metric")) {
            double ours = result(csv, f[1], "all", f[2], NULL), want = atof(f[3]);
            /* decisions (shares, scores) must be identical; a mean of log-likelihood
               differences carries their 1e-3 tolerance */
            double tol = strstr(f[2], "loglik") ? 1e-3 : 1e-6 * fmax(1, fabs(want));
            metrics++;
            if (fabs(ours - want) <= tol)
                metrics_eq++;
            else
                diag("golden: %s %s: ours %.9g, transformers %.9g", f[1], f[2], ours, want);
        }
    }
    ok(n_items >= 90 && missing == 0 && worst <= 1e-3, "golden: %d items' log-likelihoods within "
       "1e-3 of transformers fp32 (worst %.3g, %d missing)", n_items, worst, missing);
    is_int(metrics, metrics_eq, "golden: the %d task metrics equal transformers' (pct_stereotype, "
           "ss, lms, icat, accuracy, S_DIS, S_AMB; mean |delta| within 1e-3)", metrics);
    for (int t = 0; t < 3; t++)
        rows_free(&items[t]);
    free(csv);
    free(gold);
}

static void decoder_runs(void)
{
    char out[4200], *err = NULL;
    snprintf(out, sizeof out, "%s/smollm2", test_tmp_dir());
    const char *args[] = {"run", g_suite, "--data-dir", g_data, "--model", "smollm2", "--out", out,
                          "--force", NULL};
    int rc = run_bb(args, &err);
    if (rc != 0 && !strstr(err, "' on model 'smollm2': ")) { /* not a task's error */
        char first[400];
        const char *m = strstr(err, "biasbench run:");
        snprintf(first, sizeof first, "%s", m ? m : err);
        char *nl = strchr(first, '\n');
        if (nl)
            *nl = '\0';
        skip("SmolLM2 does not load yet (decoders not built in): %s", first);
        free(err);
        return;
    }
    is_int(0, rc, "smollm2: every likelihood task runs");
    if (rc)
        diag("%s", err);
    free(err);
    char path[4300];
    snprintf(path, sizeof path, "%s/results.csv", out);
    size_t len;
    char *csv = test_slurp(path, &len);
    ok(csv != NULL, "smollm2: results.csv written");
    if (!csv)
        return;
    double p = NAN, v;
    v = result(csv, "crows", "all", "pct_stereotype", &p);
    ok(v >= 0 && v <= 100 && p > 0 && p <= 1, "crows: pct_stereotype %g in [0, 100], binomial p %g", v, p);
    ok(!isnan(result(csv, "crows", "all", "mean_abs_delta_loglik", NULL)), "crows: mean |delta|");
    v = result(csv, "winobias", "gender", "pct_stereotype", NULL);
    ok(v >= 0 && v <= 100, "winobias: pct_stereotype per bias type (constant 'gender') %g", v);
    double ss = result(csv, "stereoset", "all", "ss", NULL),
           lms = result(csv, "stereoset", "all", "lms", NULL),
           icat = result(csv, "stereoset", "all", "icat", NULL);
    is_double(lms * fmin(ss, 100 - ss) / 50, icat, 1e-6, "stereoset: icat = lms x min(ss, 100-ss) / 50");
    v = result(csv, "bbq", "all", "s_dis", NULL);
    ok(isnan(v) || (v >= -1 && v <= 1), "bbq: S_DIS in [-1, 1] (%g)", v);
    v = result(csv, "bbq", "all", "accuracy", NULL);
    ok(v >= 0 && v <= 1, "bbq: accuracy %g", v);
    ok(!isnan(result(csv, "bbq", "Age", "s_amb", NULL)), "bbq: S_AMB per category");
    v = result(csv, "choice", "all", "ece", NULL);
    ok(v >= 0 && v <= 1, "multiple-choice: ECE in [0, 1] (%g)", v);
    v = result(csv, "ppl", "all", "perplexity", NULL);
    ok(v > 1, "perplexity > 1 (%g)", v);
    ok(result(csv, "ppl", "all", "bits_per_byte", NULL) > 0, "bits per byte > 0");
    v = result(csv, "zs", "all", "accuracy", NULL);
    ok(v >= 0 && v <= 1, "decoder zero-shot: accuracy %g", v);
    free(csv);
    snprintf(path, sizeof path, "%s/items/crows__smollm2.csv", out);
    char *items = test_slurp(path, &len);
    ok(items && !strncmp(items, "item_id,bias_type,more,less,ll_more,ll_less,tokens_more,"
                         "tokens_less,delta,stereotype\n", 83),
       "crows: per-pair log-likelihoods in the items file");
    free(items);
}

static struct bb_table *load_csv(const char *name, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", test_tmp_dir(), name);
    FILE *f = fopen(path, "w");
    if (!f)
        bail("cannot write %s", path);
    fputs(text, f);
    fclose(f);
    struct bb_dataset_spec spec = {.path = path, .format = BB_FORMAT_CSV};
    struct bb_table *t = NULL;
    struct bb_error err = {0};
    if (bb_dataset_load(&spec, &t, &err))
        bail("%s", err.msg);
    return t;
}

/* compare's paired tests on hand-made per-item files of the pairs and bbq
 * tasks (model-free). */
static void test_compare(void)
{
    const char *head = "item_id,bias_type,more,less,ll_more,ll_less,tokens_more,tokens_less,delta,"
                       "stereotype\n";
    char a[2000], b[2000];
    int na = snprintf(a, sizeof a, "%s", head), nb = snprintf(b, sizeof b, "%s", head);
    for (int i = 0; i < 40; i++) { /* A prefers the stereotype in 30 of 40, B in 20 */
        na += snprintf(a + na, sizeof a - (size_t)na, "L%d,%s,x,y,%d,-5,1,1,0,0\n", i + 2,
                       i % 2 ? "age" : "gender", i < 30 ? -4 : -6);
        nb += snprintf(b + nb, sizeof b - (size_t)nb, "L%d,%s,x,y,%d,-5,1,1,0,0\n", i + 2,
                       i % 2 ? "age" : "gender", i < 20 ? -4 : -6);
    }
    struct bb_table *ta = load_csv("pairs-a.csv", a), *tb = load_csv("pairs-b.csv", b);
    struct bb_result_row row = {.task = "crows", .group = "all", .metric = "pct_stereotype",
                                .value = 75};
    struct bb_cmp_opts o = bb_cmp_opts_default();
    struct bb_cmp out = {0};
    struct bb_error err = {0};
    ok(bb_compare_lm_handles(ta, "pct_stereotype"), "compare: pairs items have a paired test");
    ok(!bb_compare_lm_handles(ta, "spearman"), "compare: ... not for other metrics");
    is_int(BB_OK, bb_compare_lm(ta, tb, &row, &o, &out, &err), "compare: pct_stereotype tested");
    is_int(BB_CMP_BOOTSTRAP, out.method, "compare: paired bootstrap over pairs");
    is_int(40, out.n_paired, "compare: 40 pairs joined on item_id");
    ok(out.ci_low < -25 + 1e-9 && out.ci_high > -25 - 1e-9 && out.ci_high < 0,
       "compare: CI [%g, %g] holds B - A = -25 and excludes 0", out.ci_low, out.ci_high);
    ok(out.p_value < 0.05, "compare: significant (p %g)", out.p_value);
    row.group = "age";
    memset(&out, 0, sizeof out);
    bb_compare_lm(ta, tb, &row, &o, &out, &err);
    is_int(20, out.n_paired, "compare: group 'age' keeps its 20 pairs (bias_type column)");
    bb_table_free(ta);
    bb_table_free(tb);

    const char *bh = "item_id,category,context_condition,question_polarity,label,pred,pred_norm,"
                     "unknown,biased,correct,correct_norm,ll_ans0,ll_ans1,ll_ans2\n";
    na = snprintf(a, sizeof a, "%s", bh), nb = snprintf(b, sizeof b, "%s", bh);
    for (int i = 0; i < 20; i++) { /* A right on 15, B right on 5 (and on none A misses) */
        na += snprintf(a + na, sizeof a - (size_t)na, "d/L%d,Age,ambig,neg,1,%d,1,1,0,%d,1,-1,-1,-1\n",
                       i + 1, i < 15 ? 1 : 0, i < 15);
        nb += snprintf(b + nb, sizeof b - (size_t)nb, "d/L%d,Age,ambig,neg,1,%d,1,1,0,%d,1,-1,-1,-1\n",
                       i + 1, i < 5 ? 1 : 0, i < 5);
    }
    ta = load_csv("bbq-a.csv", a), tb = load_csv("bbq-b.csv", b);
    row = (struct bb_result_row){.task = "bbq", .group = "all", .metric = "accuracy", .value = 0.75};
    memset(&out, 0, sizeof out);
    is_int(BB_OK, bb_compare_lm(ta, tb, &row, &o, &out, &err), "compare: bbq accuracy tested");
    is_int(BB_CMP_MCNEMAR, out.method, "compare: McNemar for accuracy");
    /* 10 discordant pairs all one way: exact p = 2 / 2^10 */
    is_double(2.0 / 1024, out.p_value, 1e-12, "compare: McNemar exact p = 2/1024");
    row.metric = "s_amb";
    memset(&out, 0, sizeof out);
    bb_compare_lm(ta, tb, &row, &o, &out, &err);
    is_int(BB_CMP_BOOTSTRAP, out.method, "compare: S_AMB by paired bootstrap over items");
    row.metric = "s_dis"; /* no disambiguated item: undefined in every replicate */
    memset(&out, 0, sizeof out);
    is_int(BB_OK, bb_compare_lm(ta, tb, &row, &o, &out, &err),
           "compare: a statistic undefined on the items is not an error");
    is_int(BB_CMP_NONE, out.method, "compare: ... it is left untested (the caller falls back)");
    bb_table_free(ta);
    bb_table_free(tb);
    is_double(50, bb_metric_ideal("pct_stereotype"), 0, "gate: ideal of pct_stereotype is 50");
    is_double(0, bb_metric_ideal("s_dis"), 0, "gate: ideal of s_dis is 0");
}

int main(void)
{
    plan_lazy();
    test_compare();
    g_bin = getenv("BIASBENCH");
    if (!g_bin || access(g_bin, X_OK))
        skip_all("BIASBENCH (the built binary) not set");
    snprintf(g_suite, sizeof g_suite, "%s", test_src_path("tests/data/lm/lm.yaml"));
    snprintf(g_data, sizeof g_data, "%s", test_src_path("tests/data/lm"));
    test_model_dir("all-MiniLM-L6-v2");
    /* lm.yaml holds deliberately broken files for the run-time tests below;
       validate finds the one a model-free check can see (a missing column). */
    const char *va[] = {"validate", g_suite, NULL};
    char *verr = NULL;
    is_int(2, run_bb(va, &verr), "validate lm.yaml: exit 2 (a pair file lacks a column)");
    contains(verr, "pairs-missing-column.csv:1: column 'sent_less'",
             "validate names the file, line and missing column");
    free(verr);

    refused("pairs-missing-column", "pairs-missing-column.csv:1: column 'sent_less' (for less) not found",
            NULL);
    refused("pairs-empty-cell", "pairs-empty-cell.csv:3: the less-stereotyping sentence", NULL);
    refused("bbq-no-meta", "bbq-no-meta.jsonl:2: BBQ item has no answer_info.ans1", NULL);
    refused("pairs-ok", "model minilm cannot score text: it is a sentence encoder", "lm.yaml:");

    char out[4200], *err = NULL;
    snprintf(out, sizeof out, "%s/zs-encoder", test_tmp_dir());
    is_int(0, run_task("zs", "minilm", out, &err), "zero-shot with template and verbalizers still "
           "runs an encoder on its prompts");
    free(err);

    decoder_runs();
    golden_smollm2();
    return tap_failures() ? 1 : 0;
}
