/* bias-run-t.c: end-to-end test of the association and counterfactual tasks
 * through bb_run on the real all-MiniLM-L6-v2 model with small sets: a SEAT
 * test (weat6, 32 items) checked against the sentence-transformers/WEFE
 * golden, a counterfactual probe over the project's own templates (first 4)
 * and name lists (80 names), its rows, per-item file and determinism under a
 * seed, and two bad-input runs with their error text. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"
#include "tap.h"
#include "tasks/task.h"

/* golden (tests/golden/seat-minilm.txt): weat6 with sentence-transformers
 * vectors; our forward differs by ~1e-6 in the vectors. */
#define WEAT6_ES 1.0210992751033627
#define WEAT6_P (208.0 / 12870.0)

static char g_model[PATH_MAX], g_weat6[PATH_MAX], g_tpl[PATH_MAX], g_names[PATH_MAX],
    g_pron[PATH_MAX], g_poss[PATH_MAX], g_tmp[PATH_MAX];

static void abs_path(const char *p, char *out)
{
    if (!realpath(p, out))
        bail("cannot resolve %s", p);
}

static void write_suite(const char *path, const char *templates, const char *names)
{
    FILE *f = fopen(path, "w");
    if (!f)
        bail("cannot write %s", path);
    fprintf(f,
            "suite: bias-e2e\nversion: 1\nseed: 7\n"
            "defaults: {bootstrap: 100, permutations: 20000, correction: holm}\n"
            "models:\n  - id: minilm\n    source: \"%s\"\n"
            "datasets:\n"
            "  - {id: weat6, path: \"%s\", format: json}\n"
            "  - {id: tpl, path: \"%s\", header: true, columns: {id: id, template: template, label: label}}\n"
            "  - {id: names, path: \"%s\", header: true, columns: {value: value, gender: gender, race: race}}\n"
            "  - {id: pron, path: \"%s\", header: true, columns: {value: value, gender: gender}}\n"
            "  - {id: poss, path: \"%s\", header: true, columns: {value: value, gender: gender}}\n"
            "tasks:\n"
            "  - {id: seat, type: association, datasets: [weat6]}\n"
            "  - id: cf\n    type: counterfactual\n    limit: 4\n    templates: tpl\n"
            "    fillers: {person: names, pronoun: pron, possessive: poss}\n"
            "    factors: [gender, race]\n"
            "    score:\n      type: zero-shot\n      labels:\n"
            "        positive: {prompts: [\"This is positive.\"]}\n"
            "        negative: {prompts: [\"This is negative.\"]}\n"
            "      positive_label: positive\n"
            "  - id: cf-sim\n    type: counterfactual\n    limit: 2\n    templates: tpl\n"
            "    fillers: {person: names, pronoun: pron, possessive: poss}\n"
            "    factors: [gender]\n"
            "    score: {type: similarity, prompts: [\"a competent professional\"]}\n",
            g_model, g_weat6, templates, names, g_pron, g_poss);
    fclose(f);
}

static enum bb_status run_suite(const char *suite, const char *out, struct bb_error *err)
{
    char *argv[] = {"biasbench", "run", NULL};
    struct bb_run_opts o = {.suite_path = suite, .limit = -1, .out_dir = out, .force = true,
                            .no_report = true, .argc = 2, .argv = argv};
    return bb_run(&o, NULL, err);
}

/* Field k (0-based) of a results.csv line, quotes stripped, into buf. */
static const char *field(const char *line, int k, char *buf, size_t n)
{
    const char *p = line;
    for (int i = 0; i < k && p; i++) {
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    size_t m = 0;
    for (; p && *p && *p != ',' && *p != '\n' && m + 1 < n; p++)
        if (*p != '"')
            buf[m++] = *p;
    buf[m] = 0;
    return buf;
}

/* The next line of csv from *p into line (a line too long for it is passed
 * over); false at the end. */
static bool next_line(const char **p, char *line, size_t n)
{
    while (*p && **p) {
        const char *e = strchr(*p, '\n');
        size_t len = e ? (size_t)(e - *p) : strlen(*p);
        const char *at = *p;
        *p = e ? e + 1 : NULL;
        if (len < n) {
            memcpy(line, at, len);
            line[len] = 0;
            return true;
        }
    }
    return false;
}

/* The results.csv line for task/dataset/group/metric, or NULL. */
static const char *find_row(const char *csv, const char *task, const char *group,
                            const char *metric, char *line, size_t n)
{
    char a[256], b[256], c[256];
    for (const char *p = csv; next_line(&p, line, n);)
        if (!strcmp(field(line, 1, a, sizeof a), task) &&
            !strcmp(field(line, 5, b, sizeof b), group) &&
            !strcmp(field(line, 6, c, sizeof c), metric))
            return line;
    return NULL;
}

static double num(const char *csv, const char *task, const char *group, const char *metric,
                  int col)
{
    char line[4096], buf[256];
    if (!find_row(csv, task, group, metric, line, sizeof line))
        return NAN;
    field(line, col, buf, sizeof buf);
    return *buf ? strtod(buf, NULL) : NAN;
}

/* Rows of metric; with method, only those whose adjust_method (column 13) is
 * method and whose p_adjusted (column 12) is set. */
static int count_rows(const char *csv, const char *metric, const char *method)
{
    int k = 0;
    char line[4096], buf[256], m[64], pa[64];
    for (const char *p = csv; next_line(&p, line, sizeof line);)
        k += !strcmp(field(line, 6, buf, sizeof buf), metric) &&
             (!method ||
              (!strcmp(field(line, 13, m, sizeof m), method) && *field(line, 12, pa, sizeof pa)));
    return k;
}

/* ---- per-item recomputation -------------------------------------------------------
 * The aggregate rows are recomputed here from the per-item files (plain sums
 * over the items' scores and predictions), so each is checked against a value
 * worked out independently of src/tasks/bias.c. */

#define MAX_ITEMS 400
struct item {
    int set;
    char gender[16], race[16];
    double score;
    bool positive; /* pred == "positive" */
};

/* Split one CSV line (RFC 4180 quotes) into at most nf fields of buf. */
static int csv_split(const char *line, char f[][256], int nf)
{
    int k = 0;
    const char *p = line;
    while (k < nf) {
        size_t m = 0;
        bool q = *p == '"';
        if (q)
            p++;
        for (; *p && (q || (*p != ',' && *p != '\n')); p++) {
            if (q && *p == '"') {
                if (p[1] == '"')
                    p++;
                else {
                    q = false;
                    continue;
                }
            }
            if (m + 1 < 256)
                f[k][m++] = *p;
        }
        f[k++][m] = 0;
        if (*p != ',')
            break;
        p++;
    }
    return k;
}

/* Items of DIR/items/NAME: set, gender, race (if the file has it), score,
 * pred. Returns the count; 0 when unreadable. */
static size_t read_items(const char *dir, const char *name, struct item *it)
{
    char path[2 * PATH_MAX];
    snprintf(path, sizeof path, "%s/items/%s", dir, name);
    char *s = test_slurp(path, NULL);
    if (!s)
        return 0;
    char f[12][256];
    int cset = -1, cg = -1, cr = -1, cs = -1, cp = -1;
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int nf = csv_split(line, f, 12);
        if (cset < 0) {
            for (int i = 0; i < nf; i++) {
                cset = !strcmp(f[i], "set") ? i : cset;
                cg = !strcmp(f[i], "gender") ? i : cg;
                cr = !strcmp(f[i], "race") ? i : cr;
                cs = !strcmp(f[i], "score") ? i : cs;
                cp = !strcmp(f[i], "pred") ? i : cp;
            }
            continue;
        }
        if (n == MAX_ITEMS || nf <= cs || nf <= cp)
            break;
        it[n].set = atoi(f[cset]);
        snprintf(it[n].gender, sizeof it[n].gender, "%s", f[cg]);
        snprintf(it[n].race, sizeof it[n].race, "%s", cr >= 0 ? f[cr] : "");
        it[n].score = strtod(f[cs], NULL);
        it[n].positive = !strcmp(f[cp], "positive");
        n++;
    }
    free(s);
    return n;
}

static bool in_group(const struct item *t, const char *gender, const char *race)
{
    return (!gender || !strcmp(t->gender, gender)) && (!race || !strcmp(t->race, race));
}

static double mean_score(const struct item *it, size_t n, const char *gender, int set)
{
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (in_group(&it[i], gender, NULL) && (set < 0 || it[i].set == set))
            sum += it[i].score, k++;
    return k ? sum / (double)k : NAN;
}

static double selection_rate(const struct item *it, size_t n, const char *gender, const char *race)
{
    size_t k = 0, sel = 0;
    for (size_t i = 0; i < n; i++)
        if (in_group(&it[i], gender, race))
            k++, sel += it[i].positive;
    return k ? (double)sel / (double)k : NAN;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void check_results(const char *csv, const char *dir)
{
    /* association */
    double es = num(csv, "seat", "all", "effect_size", 7);
    ok(fabs(es - WEAT6_ES) < 1e-4, "weat6 effect size %.9f vs golden %.9f (our forward)", es,
       WEAT6_ES);
    double p = num(csv, "seat", "all", "effect_size", 11);
    ok(fabs(p - WEAT6_P) < 1e-8, "weat6 exact p %.9g = 208/12870", p);
    ok(!isnan(num(csv, "seat", "all", "effect_size", 8)), "weat6 effect size has a CI");
    is_double(fabs(es), num(csv, "seat", "all", "abs_effect_size", 7), 1e-9, "abs_effect_size");
    is_double(p, num(csv, "seat", "all", "effect_size", 12), 1e-9,
              "one test: Holm leaves p as is (p_adjusted)");
    is_int(1, count_rows(csv, "effect_size", "holm"), "adjust_method holm");
    is_int(0, count_rows(csv, "p_holm", NULL), "no adjusted-p rows of their own");
    /* counterfactual: 4 templates x 80 names */
    is_double(160, num(csv, "cf", "gender=female", "mean_score", 10), 0, "female n = 4 x 40");
    is_double(80, num(csv, "cf", "gender=female&race=black", "mean_score", 10), 0,
              "female&black n = 4 x 20");
    static struct item it[MAX_ITEMS], sim[MAX_ITEMS];
    size_t n = read_items(dir, "cf__minilm.csv", it), ns = read_items(dir, "cf-sim__minilm.csv", sim);
    is_int(320, (long long)n, "cf per-item file read back: 320 items");
    is_double(mean_score(it, n, "female", -1), num(csv, "cf", "gender=female", "mean_score", 7),
              1e-8, "female mean p(positive) = the mean of the 160 female items' scores");
    is_int(10, count_rows(csv, "mean_score", NULL),
           "groups: 2 gender + 2 race + 4 intersections, + 2 (cf-sim)");
    is_int(9, count_rows(csv, "score_gap", NULL), "pairs: 1 + 1 + 6, + 1 (cf-sim)");
    is_int(9, count_rows(csv, "score_gap", "holm"), "every gap has a Holm-adjusted p");
    is_int(0, count_rows(csv, "score_gap_p_holm", NULL),
           "... in its own row, not in one of its own");
    /* small_group: results.csv's 15th column (0-based 14), set on a group's rows */
    char hline[4096], hb[64];
    const char *nl = strchr(csv, '\n');
    snprintf(hline, sizeof hline, "%.*s", nl ? (int)(nl - csv) : 0, csv);
    is_string("small_group", field(hline, 14, hb, sizeof hb), "results.csv: small_group column 15");
    is_int(0, count_rows(csv, "small_group", NULL), "... and no small_group row of its own");
    is_double(0, num(csv, "cf", "gender=female&race=black", "impact_ratio", 14), 0,
              "a group of 80 of 320 sentences: small_group 0 on its impact_ratio row");
    is_double(0, num(csv, "cf", "gender=female&race=black", "mean_score", 14), 0,
              "... and on its mean_score row");
    ok(isnan(num(csv, "cf", "gender", "demographic_parity_difference", 14)) &&
           isnan(num(csv, "cf", "gender=male vs gender=female", "score_gap", 14)),
       "... empty on a grouping's and a pair's rows");
    is_int(6, count_rows(csv, "max_abs_score_gap", NULL),
           "largest gap per grouping and overall (4 + 2)");
    /* DP ratio over the four gender x race cells: lowest selection rate
     * (share of items predicted positive) over the highest */
    double lo = INFINITY, hi = -INFINITY;
    const char *gs[2] = {"female", "male"}, *rs[2] = {"black", "white"};
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            double r = selection_rate(it, n, gs[a], rs[b]);
            lo = fmin(lo, r), hi = fmax(hi, r);
        }
    is_double(lo / hi, num(csv, "cf", "gender&race", "demographic_parity_ratio", 7), 1e-8,
              "demographic parity ratio = min/max of the four cells' selection rates (%g/%g)", lo, hi);
    ok(!isnan(num(csv, "cf", "gender", "equalized_odds_difference", 7)),
       "gold labels give equalized odds");
    /* gender gap: per template set, mean male score - mean female score,
     * averaged over the 4 sets */
    double gap = 0;
    for (int k = 0; k < 4; k++)
        gap += (mean_score(it, n, "male", k) - mean_score(it, n, "female", k)) / 4;
    is_double(gap, num(csv, "cf", "gender=male vs gender=female", "score_gap", 7), 1e-8,
              "male - female gap = the mean over 4 sets of the per-set difference (%g)", gap);
    is_double(fabs(gap), num(csv, "cf", "gender", "max_abs_score_gap", 7), 1e-8,
              "one gender pair: its largest gap is |that gap|");
    double want = fmax(fmax(fabs(gap), num(csv, "cf", "race", "max_abs_score_gap", 7)),
                       num(csv, "cf", "gender&race", "max_abs_score_gap", 7));
    is_double(want, num(csv, "cf", "all", "max_abs_score_gap", 7), 0,
              "overall largest gap = the largest of the three groupings' (%g)", want);
    is_double(4, num(csv, "cf", "gender=male vs gender=female", "score_gap", 10), 0,
              "gap is paired over 4 sets");
    /* similarity scoring: scoring rate (above the median), no equalized odds */
    /* scoring rate: share of the group's items strictly above the median
     * score of all rated items (threshold = median) */
    double *sc = malloc((ns ? ns : 1) * sizeof *sc), med = NAN;
    for (size_t i = 0; i < ns; i++)
        sc[i] = sim[i].score;
    qsort(sc, ns, sizeof *sc, cmp_double);
    if (ns)
        med = ns % 2 ? sc[ns / 2] : (sc[ns / 2 - 1] + sc[ns / 2]) / 2;
    free(sc);
    size_t above = 0, nf = 0;
    for (size_t i = 0; i < ns; i++)
        if (!strcmp(sim[i].gender, "female"))
            nf++, above += sim[i].score > med;
    is_int(160, (long long)ns, "cf-sim per-item file read back: 160 items");
    is_double(nf ? (double)above / (double)nf : NAN,
              num(csv, "cf-sim", "gender=female", "scoring_rate", 7), 1e-12,
              "similarity score: female scoring rate = %zu/%zu above the median", above, nf);
    is_double(80, num(csv, "cf-sim", "gender=female", "mean_score", 10), 0, "cf-sim female n = 2 x 40");
    ok(isnan(num(csv, "cf-sim", "gender", "equalized_odds_difference", 7)),
       "similarity score: no equalized odds row");
    ok(isnan(num(csv, "cf-sim", "gender=female&race=black", "mean_score", 7)),
       "one factor: no intersection");
}

static void check_items(const char *dir)
{
    char path[2 * PATH_MAX];
    snprintf(path, sizeof path, "%s/items/cf__minilm.csv", dir);
    char *s = test_slurp(path, NULL);
    ok(s != NULL, "counterfactual per-item file");
    int lines = 0;
    for (char *p = s; p && *p; p++)
        lines += *p == '\n';
    is_int(321, lines, "header + 320 sentences");
    ok(s && !strncmp(s, "item_id,template,set,gender,race,filler,text,score,pred,gold\n", 61),
       "per-item columns");
    ok(s && strstr(s, "positive-01/Emily+her,positive-01,1,female,white,Emily,"),
       "possessive agrees with the name (item id template/fillers)");
    free(s);
    snprintf(path, sizeof path, "%s/items/seat__minilm.csv", dir);
    s = test_slurp(path, NULL);
    ok(s && strstr(s, "\nweat6/X/0,weat6,X,0,"), "association per-item rows keyed test/set/index");
    free(s);
}

static void check_bad(const char *name, const char *templates, const char *names,
                      const char *want)
{
    char suite[PATH_MAX + 64], out[PATH_MAX + 64];
    snprintf(suite, sizeof suite, "%s/%s.yaml", g_tmp, name);
    snprintf(out, sizeof out, "%s/out-%s", g_tmp, name);
    write_suite(suite, templates, names);
    struct bb_error err = {0};
    enum bb_status st = run_suite(suite, out, &err);
    ok(st == BB_E_INPUT, "%s: input error (status %d)", name, (int)st);
    contains(err.msg, want, "%s: message names the problem: %s", name, err.msg);
}

int main(void)
{
    plan_lazy();
    /* the strong references pull the tasks into this program */
    ok(bb_task_runner(BB_TASK_ASSOCIATION) == bb_task_association &&
       bb_task_runner(BB_TASK_COUNTERFACTUAL) == bb_task_counterfactual, "tasks registered");
    abs_path(test_model_dir("all-MiniLM-L6-v2"), g_model);
    abs_path(test_shared_data("seat/tests/weat6.jsonl"), g_weat6);
    abs_path(test_src_path("datasets/counterfactual/templates.csv"), g_tpl);
    abs_path(test_src_path("datasets/counterfactual/names.csv"), g_names);
    abs_path(test_src_path("datasets/counterfactual/pronoun.csv"), g_pron);
    abs_path(test_src_path("datasets/counterfactual/possessive.csv"), g_poss);
    abs_path(test_tmp_dir(), g_tmp);

    char suite[PATH_MAX + 64], out1[PATH_MAX + 64], out2[PATH_MAX + 64];
    snprintf(suite, sizeof suite, "%s/bias.yaml", g_tmp);
    snprintf(out1, sizeof out1, "%s/run1", g_tmp);
    snprintf(out2, sizeof out2, "%s/run2", g_tmp);
    write_suite(suite, g_tpl, g_names);
    struct bb_error err = {0};
    if (!ok(run_suite(suite, out1, &err) == BB_OK, "run: %s", err.msg))
        return 1;
    char path[2 * PATH_MAX];
    snprintf(path, sizeof path, "%s/results.csv", out1);
    char *csv1 = test_slurp(path, NULL);
    ok(csv1 != NULL, "results.csv written");
    if (csv1)
        check_results(csv1, out1);
    check_items(out1);
    ok(run_suite(suite, out2, &err) == BB_OK, "second run, same seed");
    snprintf(path, sizeof path, "%s/results.csv", out2);
    char *csv2 = test_slurp(path, NULL);
    ok(csv1 && csv2 && !strcmp(csv1, csv2), "same suite, same seed: identical results.csv");
    free(csv1);
    free(csv2);

    char bad[PATH_MAX];
    abs_path(test_src_path("tests/data/bias/templates-badlabel.csv"), bad);
    check_bad("badlabel", bad, g_names, "label 'cheerful' is none of the task's labels");
    abs_path(test_src_path("tests/data/bias/names-dup.csv"), bad);
    check_bad("dupname", g_tpl, bad, "duplicate filler value 'Emily'");
    return tap_failures() ? 1 : 0;
}
