/* report-t.c: the audit report and its charts from a constructed results
 * set, the fixture suite and manifest (tests/data/report/): every section of
 * docs/report-standard.md, formatted numbers, corrected p-values, impact-ratio order, HTML
 * escaping of hostile names, no external requests, valid GFM tables, charts
 * with gnuplot and the "charts not drawn" path without it; the "which model
 * and why" summary on a constructed two-model set (better model per figure,
 * CIs apart or overlapping, the rule's outcome); `biasbench report RUN_DIR`
 * rebuilding a report from a run directory's results.csv. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report/doc.h"
#include "report/report.h"
#include "suite/suite.h"
#include "tap.h"
/* the task-type tables (check_type_tables) */
#include "model/model.h"
#include "report/report_view.h"
#include "tasks/task.h"

static struct bb_results res, res2;
static struct bb_results *cur = &res; /* the set add() appends to */

static const char *dataset = "d";

static void add(const char *task, const char *model, const char *group, const char *metric,
                double v, double lo, double hi, long n, double p, enum bb_direction dir,
                enum bb_result_kind kind)
{
    struct bb_error err = {0};
    /* bb_results_add copies the strings; the row only lends them */
    struct bb_result_row r = {.suite = (char *)"report-test", .task = (char *)task,
                              .dataset = (char *)dataset, .model = (char *)model,
                              .variant = (char *)"f32", .group = (char *)group,
                              .metric = (char *)metric, .value = v,
                              .ci_low = lo, .ci_high = hi, .n = n, .p_value = p,
                              .higher_is_better = dir, .kind = kind};
    if (bb_results_add(cur, &r, &err))
        bail("bb_results_add: %s", err.msg);
}

/* Whether the line starting at s (NULL: no) holds needle. */
static int line_has(const char *s, const char *needle)
{
    const char *eol = s ? strchr(s, '\n') : NULL, *hit = s ? strstr(s, needle) : NULL;
    return hit && (!eol || hit < eol);
}

/* The last row added gets the task's small_group flag (results.csv column). */
static void flag_last(int small)
{
    cur->rows[cur->n - 1].small_group = small ? BB_SMALL_YES : BB_SMALL_NO;
}

/* The last row added gets a task-adjusted p (results.csv p_adjusted / adjust_method). */
static void adjust_last(double p_adj)
{
    struct bb_result_row *r = &cur->rows[cur->n - 1];
    free(r->adjust_method);
    if (!(r->adjust_method = strdup("holm")))
        bail("out of memory");
    r->p_adjusted = p_adj;
}

static void build_results(void)
{
    const char *models[2] = {"minilm", "minilm-f16"};
    for (int m = 0; m < 2; m++) {
        const char *M = models[m];
        double d = m * 0.5;
        add("sts", M, "all", "spearman", 82.0 + d, 80.5, 83.5, 1379, NAN, BB_DIR_HIGHER, BB_KIND_QUALITY);
        add("sts", M, "all", "pearson", 83.0 + d, 81.0, 84.0, 1379, NAN, BB_DIR_HIGHER, BB_KIND_QUALITY);
        add("sentiment", M, "all", "accuracy", 0.81 - d / 10, 0.78, 0.84, 872, NAN, BB_DIR_HIGHER,
            BB_KIND_QUALITY);
        add("sentiment", M, "all", "macro_f1", 0.80, 0.77, 0.83, 872, NAN, BB_DIR_HIGHER, BB_KIND_QUALITY);
        add("sentiment", M, "negative", "precision", 0.85, 0.81, 0.89, 872, NAN, BB_DIR_HIGHER, BB_KIND_QUALITY);
        add("sentiment", M, "negative", "recall", 0.75, 0.70, 0.80, 872, NAN, BB_DIR_HIGHER, BB_KIND_QUALITY);
        add("sentiment", M, "negative", "f1", 0.80, 0.76, 0.84, 872, NAN, BB_DIR_HIGHER, BB_KIND_QUALITY);
        add("sentiment", M, "negative", "support", 428, NAN, NAN, 872, NAN, BB_DIR_NONE, BB_KIND_QUALITY);
        add("sentiment", M, "positive", "precision", 0.78, 0.74, 0.82, 872, NAN, BB_DIR_HIGHER, BB_KIND_QUALITY);
        add("sentiment", M, "positive", "recall", 0.87, 0.83, 0.90, 872, NAN, BB_DIR_HIGHER, BB_KIND_QUALITY);
        add("sentiment", M, "positive", "f1", 0.82, 0.79, 0.85, 872, NAN, BB_DIR_HIGHER, BB_KIND_QUALITY);
        add("sentiment", M, "positive", "support", 444, NAN, NAN, 872, NAN, BB_DIR_NONE, BB_KIND_QUALITY);
        add("sentiment", M, "negative->negative", "confusion", 321, NAN, NAN, 428, NAN, BB_DIR_NONE, BB_KIND_QUALITY);
        add("sentiment", M, "negative->positive", "confusion", 107, NAN, NAN, 428, NAN, BB_DIR_NONE, BB_KIND_QUALITY);
        add("sentiment", M, "positive->negative", "confusion", 58, NAN, NAN, 444, NAN, BB_DIR_NONE, BB_KIND_QUALITY);
        add("sentiment", M, "positive->positive", "confusion", 386, NAN, NAN, 444, NAN, BB_DIR_NONE, BB_KIND_QUALITY);
        /* association.c's rows: group all, the test in the dataset column; the
         * first model also carries the task's own Holm-adjusted p */
        const char *tests[3] = {"sent-weat6", "sent-weat7", "sent-weat8_long_name_of_a_test"};
        double es[3] = {0.52 + d, -0.31, 1.2}, lo[3] = {0.12, -0.9, 0.6};
        double hi[3] = {0.34 + d, 0.2, 1.7}, pr[3] = {0.01, 0.02, 0.04}, pa[3] = {0.03, 0.04, 0.04};
        for (int t = 0; t < 3; t++) {
            dataset = tests[t];
            add("seat", M, "all", "effect_size", es[t], lo[t], hi[t], 16, pr[t], BB_DIR_NONE,
                BB_KIND_BIAS);
            if (!m)
                adjust_last(pa[t]);
            add("seat", M, "all", "abs_effect_size", fabs(es[t]), NAN, NAN, 16, pr[t], BB_DIR_LOWER,
                BB_KIND_BIAS);
            if (!m)
                adjust_last(pa[t]);
        }
        dataset = "";
        add("seat", M, "all", "mean_abs_effect_size", 0.677, NAN, NAN, 3, NAN, BB_DIR_LOWER,
            BB_KIND_BIAS);
        dataset = "d";
        /* counterfactual: unitary, intersectional (one hostile), rates, IR, gaps */
        const char *grp[] = {"gender=female", "gender=male", "race=black", "race=white",
                             "gender=female&race=black", "gender=male&race=white",
                             "gender=<script>alert(1)</script>", "gender=o'brien\nset output 'x'"};
        long gn[] = {400, 400, 400, 400, 200, 200, 10, 5};
        double mean[] = {0.61, 0.64, 0.58, 0.66, 0.57, 0.67, 0.5, 0.4};
        /* counterfactual.c's rows (the second model: without the small_group
         * flag, the report decides from n; the first model's flag on
         * gender=male&race=white, 200 of 400 sentences, says small: the task's
         * flag wins over n) */
        for (int g = 0; g < 8; g++) {
            add("cf", M, grp[g], "mean_score", mean[g], mean[g] - 0.03, mean[g] + 0.03, gn[g], NAN,
                BB_DIR_NONE, BB_KIND_BIAS);
            if (!m)
                flag_last(gn[g] < 20 || g == 5);
        }
        double rate[] = {0.45, 0.55, 0.35, 0.50};
        for (int g = 0; g < 4; g++) {
            add("cf", M, grp[g], "selection_rate", rate[g], rate[g] - 0.05, rate[g] + 0.05, gn[g],
                NAN, BB_DIR_NONE, BB_KIND_BIAS);
            double ir = rate[g] / (g < 2 ? 0.55 : 0.50);
            add("cf", M, grp[g], "impact_ratio", ir, NAN, NAN, gn[g], ir >= 1 ? NAN : 0.003,
                BB_DIR_HIGHER, BB_KIND_BIAS);
            if (ir < 1)
                adjust_last(0.006);
        }
        add("cf", M, "gender=female vs gender=male", "score_gap", -0.03, -0.05, -0.01, 40, 0.002,
            BB_DIR_NONE, BB_KIND_BIAS);
        add("cf", M, "race=black vs race=white", "score_gap", -0.08, -0.11, -0.05, 40, 0.0001,
            BB_DIR_NONE, BB_KIND_BIAS);
        add("cf", M, "gender", "demographic_parity_difference", 0.2, 0.1, 0.3, 1600, NAN,
            BB_DIR_LOWER, BB_KIND_BIAS);
        add("cf", M, "all", "max_abs_score_gap", 0.08, 0.05, 0.11, 40, 0.0001, BB_DIR_LOWER,
            BB_KIND_BIAS);
    }
    /* latency: one model */
    long bs[] = {1, 8}, sl[] = {16, 64};
    for (int b = 0; b < 2; b++)
        for (int s = 0; s < 2; s++) {
            char g[32];
            double ms = 2.0 + bs[b] * sl[s] * 0.05;
            snprintf(g, sizeof g, "b=%ld,t=%ld", bs[b], sl[s]);
            add("speed", "minilm", g, "latency_p50_ms", ms, NAN, NAN, 10, NAN, BB_DIR_LOWER, BB_KIND_TIMING);
            add("speed", "minilm", g, "latency_p90_ms", ms * 1.2, NAN, NAN, 10, NAN, BB_DIR_LOWER, BB_KIND_TIMING);
            add("speed", "minilm", g, "items_per_s", 1e3 * bs[b] / ms, NAN, NAN, 10, NAN, BB_DIR_HIGHER,
                BB_KIND_TIMING);
        }
    add("speed", "minilm", "all", "model_load_s", 0.25, NAN, NAN, 1, NAN, BB_DIR_LOWER, BB_KIND_TIMING);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = 0;
    fclose(f);
    return s;
}

static void copy(const char *from, const char *to)
{
    char *s = slurp(from);
    FILE *f = fopen(to, "wb");
    if (!s || !f)
        bail("cannot copy %s to %s", from, to);
    fputs(s, f);
    fclose(f);
    free(s);
}

static bool exists(const char *dir, const char *name) /* name < 300 bytes */
{
    char p[4700];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return !stat(p, &sb) && sb.st_size > 0;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Every table (a run of lines starting with '|') has one cell count, and its
 * second line is the delimiter row. */
static bool gfm_tables_ok(const char *md, char *why, size_t n)
{
    int cols = -1, line_in = 0, lineno = 0;
    for (const char *l = md; *l; lineno++) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        if (len && l[0] == '|') {
            int pipes = 0;
            for (size_t i = 0; i < len; i++)
                if (l[i] == '|' && (i == 0 || l[i - 1] != '\\'))
                    pipes++;
            if (line_in == 0)
                cols = pipes;
            else if (pipes != cols)
                return snprintf(why, n, "line %d: %d pipes, header has %d", lineno + 1, pipes, cols), false;
            if (line_in == 1 && !strstr(l, "---"))
                return snprintf(why, n, "line %d: no delimiter row", lineno + 1), false;
            line_in++;
        } else {
            line_in = 0;
        }
        l += len + (e ? 1 : 0);
    }
    return true;
}

static const char *const SECTIONS[] = {
    "1. Header", "2. Intended use and out-of-scope use", "3. Factors", "4. Metrics",
    "5. Evaluation data", "6. Quantitative analyses", "7. Accuracy and efficiency beside bias",
    "8. Risks, limitations and recommendations", "9. Reproducibility"};

static char *make_run(const char *name, bool manifest)
{
    char *dir = malloc(4096), p[4300];
    snprintf(dir, 4096, "%s/%s", test_tmp_dir(), name);
    mkdir(dir, 0777);
    snprintf(p, sizeof p, "%s/items", dir);
    mkdir(p, 0777);
    if (manifest) {
        snprintf(p, sizeof p, "%s/manifest.json", dir);
        copy(test_src_path("tests/data/report/manifest.json"), p);
    }
    snprintf(p, sizeof p, "%s/items/sts__minilm.csv", dir);
    copy(test_src_path("tests/data/report/items-sts.csv"), p);
    return dir;
}

static void check_main(const struct bb_suite *suite, bool have_gnuplot)
{
    struct bb_error err = {0};
    char *dir = make_run("full", true), p[4300];
    enum bb_status st = bb_report_write(dir, suite, &res, &err);
    is_int(BB_OK, st, "report written (%s)", err.msg);
    snprintf(p, sizeof p, "%s/report.md", dir);
    char *md = slurp(p);
    snprintf(p, sizeof p, "%s/report.html", dir);
    char *html = slurp(p);
    if (!md || !html)
        bail("report.md / report.html missing in %s", dir);
    for (size_t i = 0; i < sizeof SECTIONS / sizeof SECTIONS[0]; i++) {
        char h[200];
        snprintf(h, sizeof h, "## %s\n", SECTIONS[i]);
        contains(md, h, "report.md has section '%s'", SECTIONS[i]);
        snprintf(h, sizeof h, ">%s</h2>", SECTIONS[i]);
        contains(html, h, "report.html has section '%s'", SECTIONS[i]);
    }
    /* the sections are in the standard's order */
    const char *prev = md;
    bool order = true;
    for (size_t i = 0; i < sizeof SECTIONS / sizeof SECTIONS[0]; i++) {
        const char *at = strstr(md, SECTIONS[i]);
        order = order && at && at >= prev;
        prev = at ? at : prev;
    }
    ok(order, "sections in order");
    /* numbers */
    contains(md, "| sent-weat6 | 16 | 0.520 | [0.120, 0.340] | 0.0100 | 0.0300 | yes, after correction |",
             "SEAT row: effect size, CI, raw p and Holm-adjusted p (3 tests: 0.01 -> 0.03)");
    contains(md, "| sent-weat7 | 16 | -0.310 | [-0.900, 0.200] | 0.0200 | 0.0400 |",
             "Holm step-down: 0.02 -> 0.04");
    contains(md, "| sent-weat6 | 16 | 1.020 | [0.120, 0.840] | 0.0100 | 0.0300 | yes, after correction |",
             "second model: the report's own Holm adjustment agrees");
    ok(!strstr(md, "| p\\_holm") && !strstr(md, "impact\\_ratio\\_p\\_holm") &&
       !strstr(md, "small\\_group"), "task-adjusted p and small-group rows are annotations, not rows");
    contains(md, "82.000", "Spearman appears");
    contains(md, "| negative | 321 | 107 |", "confusion matrix as a table");
    contains(md, "impact ratio (four-fifths convention)", "IR labelled with the convention");
    ok(!strstr(md, "complian") || strstr(md, "not a legal compliance"),
       "IR never presented as legal compliance");
    const char *ir_m = strstr(md, "Impact ratios for gender");
    const char *male = ir_m ? strstr(ir_m, "| gender=male |") : NULL;
    const char *female = ir_m ? strstr(ir_m, "| gender=female |") : NULL;
    ok(male && female && male < female, "IR table sorted by impact ratio (male 1.0 before female 0.818)");
    contains(md, "| gender=female | 400 | 0.450 | [0.400, 0.500] | 0.818 |", "IR row: n, rate, CI, IR");
    contains(md, "| 0.0030 | 0.0060 |", "IR p-values Holm-adjusted within the family");
    contains(md, "small (< 2% of the factor's items)", "small cell shown and flagged");
    const char *mw = strstr(md, "| gender=male&race=white | 200 |");
    const char *mw2 = mw ? strstr(mw + 1, "| gender=male&race=white | 200 |") : NULL;
    ok(line_has(mw, "small (") && mw2 && !line_has(mw2, "small ("),
       "the task's small_group column wins over n (first model), n decides without it");
    contains(md, "Intersectional groups", "intersectional table");
    contains(md, "| gender=female&race=black | 200 |", "intersectional cell with n");
    contains(md, "race=black vs race=white", "gap row");
    contains(md, "holm-adjusted p", "the correction is named");
    contains(md, "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
             "weights sha256 in the header");
    contains(md, "Comparing sentence encoders before deployment", "intended use from the suite");
    contains(md, "Hiring or any decision about a person", "out-of-scope use from the suite");
    contains(md, "2222222222222222222222222222222222222222222222222222222222222222",
             "dataset checksum in the datasheet");
    contains(md, "not read in this run", "datasets without a manifest entry say so");
    contains(md, "biasbench run tests/data/report/suite.yaml --seed 7", "command line");
    contains(md, "PoCL 3.1", "driver");
    contains(md, "- **gender**: female, male, &lt;script>alert(1)&lt;/script>, o'brien set output 'x'\n",
             "factor values listed once each, from the group rows");
    contains(md, "Not examined:", "characteristics not examined are listed");
    contains(md, "religion", "religion listed as not examined");
    contains(md, "Human-cognitive bias", "NIST categories");
    contains(md, "Best model per column", "multi-model summary");
    contains(md, "| 1 | 16 | 10 | 2.800 | 3.360 |", "latency table: b, t, repetitions, p50, p90");
    contains(md, "ratings disagree \\| a lot", "pipe in data escaped in Markdown");
    char why[200] = "";
    ok(gfm_tables_ok(md, why, sizeof why), "every Markdown table is well formed %s", why);
    /* page one: the findings summary, before the numbered sections, linking to them */
    const char *fs = strstr(html, "<section class=\"findings\">");
    const char *h1 = strstr(html, ">1. Header</h2>");
    ok(fs && h1 && fs < h1, "the findings summary comes before section 1");
    contains(html, "<h2 id=\"findings\">Findings summary</h2>", "findings heading with its anchor");
    contains(html, "<h3 id=\"findings--minilm\">Model minilm</h3>", "a findings block per model");
    contains(html, "<a href=\"#t--sts--minilm\">sts</a>", "a finding links to its task's section");
    contains(html, "<h3 id=\"t--sts--minilm\">", "the task's section carries that anchor");
    const char *fe = fs ? strstr(fs, "</section>") : NULL;
    char *sum = fs && fe ? strndup(fs, (size_t)(fe - fs)) : strdup("");
    contains(sum, "82.000", "summary: STS Spearman");
    contains(sum, "[80.500, 83.500]", "summary: its CI");
    contains(sum, "significant after holm correction", "summary: a bias verdict from the row's test");
    contains(sum, "Gates", "summary: the gates");
    contains(sum, "Caveats that matter most", "summary: caveats");
    contains(sum, "href=\"#skipped\"", "summary: the skipped caveat links to the list");
    free(sum);
    /* table of contents, in both formats */
    contains(html, "<nav class=\"toc\">", "HTML table of contents");
    contains(html, "<a href=\"#reproducibility\">9. Reproducibility</a>", "contents link section 9");
    contains(md, "- [9. Reproducibility](#reproducibility)\n", "Markdown contents link section 9");
    contains(md, "<a id=\"reproducibility\"></a>", "Markdown anchor for the link");
    /* print stylesheet */
    contains(html, "@media print{", "a print stylesheet");
    contains(html, "@page{size:A4", "print page size and margins");
    contains(html, "section.findings{border:none;background:none;padding:0;break-after:page",
             "the findings summary alone on page one when printed");
    contains(html, "tr,figure,img,li{break-inside:avoid", "rows and charts never split across pages");
    contains(html, "td.w{overflow-wrap:anywhere}", "long tokens wrap so tables fit the page");
    contains(html, "@top-right{content:\"Bias audit report: ",
             "printed pages carry the title in the margin");
    contains(html, "@bottom-right{content:\"page \" counter(page) \" of \" counter(pages)",
             "... and 'page N of M' (no browser header: date, file URL)");
    contains(html, "img{max-width:100%;height:auto;border:1px solid #eee;box-sizing:border-box}",
             "an image's border stays inside the page width");
    { /* the title inside the CSS string: nothing in it ends the string or <style> */
        char tp[4096];
        snprintf(tp, sizeof tp, "%s/title.html", test_tmp_dir());
        struct bb_doc td = {.html = fopen(tp, "w")};
        if (!td.html)
            bail("cannot write %s", tp);
        bb_doc_html_begin(&td, "a\"b</style><script>\\ \u00e9\n");
        fclose(td.html);
        char *th = test_slurp(tp, NULL);
        contains(th ? th : "",
                 "@top-right{content:\"a\\22 b\\3c /style\\3e \\3c script\\3e \\5c  \u00e9\\a \";",
                 "a hostile title is CSS-escaped in the page margin");
        ok(th && !strstr(th, "</style><script>"), "... and never closes the style element");
        free(th);
    }
    /* datasheets grouped by source */
    contains(md, "### Datasets from one source (2 files)", "one datasheet block for two SEAT files");
    ok(!strstr(md, "### Dataset seat-6") && !strstr(md, "### Dataset seat-heilman"),
       "no separate block per SEAT file");
    is_int(1, (int)count(md, "Bleached templates are not natural usage."),
           "the collection's criticism written once");
    contains(md, "| seat-heilman | Heilman double bind, competent |",
             "the collection's table lists each file with its test's plain name");
    contains(md, "| WEAT 6: career/family, male names | sent-weat6 | 16 |",
             "SEAT results table by plain name, the dataset id beside it");
    ok(!strstr(strstr(md, "### Datasets from one source") ? strstr(md, "### Datasets from one source") : md,
               "would inflate accuracy") ||
       strstr(md, "would inflate accuracy") < strstr(md, "### Datasets from one source"),
       "no 'would inflate accuracy' on the bias test's datasheet");
    /* reproducibility: a short table and a link, not the manifest pasted */
    contains(md, "| tool version and commit | biasbench 0.1.0, commit abc123def456 |",
             "reproducibility table: tool version and commit");
    contains(md, "| driver | PoCL 3.1 |", "reproducibility table: driver");
    contains(md, "| seed | 7 ", "reproducibility table: seed");
    contains(md, "[manifest.json](manifest.json)", "manifest linked");
    contains(html, "<a href=\"manifest.json\">manifest.json</a>", "manifest linked in HTML");
    ok(!strstr(md, "\"manifest_version\"") && !strstr(html, "&quot;manifest_version&quot;"),
       "the manifest JSON is not pasted");
    ok(!strstr(md, "no definition on file"), "every metric shown has a definition");
    /* HTML safety */
    ok(!strstr(html, "<script"), "no <script> in the HTML");
    contains(html, "gender=&lt;script&gt;alert(1)&lt;/script&gt;", "hostile group name escaped");
    ok(!strstr(html, "<img src=x"), "hostile datasheet HTML escaped");
    contains(html, "&lt;img src=x onerror=alert(1)&gt;", "hostile datasheet shown as text");
    ok(!strstr(html, "src=\"http") && !strstr(html, "href=\"http") && !strstr(html, "<link") &&
       !strstr(html, "url(") && !strstr(html, "@import"), "no external requests in the HTML");
    ok(!strstr(md, "<script") && !strstr(md, "<img src=x"), "no raw HTML from data in Markdown");
    /* charts */
    static const char *const charts[] = {"cf__cf__minilm", "weat__seat__minilm", "sts__sts__minilm",
                                         "confusion__sentiment__minilm", "latency__speed__minilm",
                                         "throughput__speed__minilm", "ir__cf__minilm",
                                         "compare__sts", "compare__seat", "compare__speed",
                                         "cf__cf__minilm-f16", "sigtiles__seat", "rates__cf",
                                         "gaps__cf__minilm", "gaps__cf__minilm-f16"};
    char cdir[4200];
    snprintf(cdir, sizeof cdir, "%s/charts", dir);
    for (size_t i = 0; i < sizeof charts / sizeof charts[0]; i++) {
        char f[300];
        bool all = true;
        static const char *const ext[] = {"gp", "dat", "png", "svg"};
        for (int e = 0; e < (have_gnuplot ? 4 : 2); e++) {
            snprintf(f, sizeof f, "%s.%s", charts[i], ext[e]);
            all = all && exists(cdir, f);
        }
        ok(all, "chart %s: .gp, .dat%s written", charts[i], have_gnuplot ? ", .png, .svg" : "");
    }
    snprintf(p, sizeof p, "%s/cf__cf__minilm.gp", cdir);
    char *gp = slurp(p);
    ok(gp && strstr(gp, "'cf__cf__minilm.dat'") && strstr(gp, "fmt") &&
       !strstr(gp, "/cf__cf__minilm.dat"), "the script reads its data by relative path and takes fmt");
    free(gp);
    snprintf(p, sizeof p, "%s/sts__sts__minilm.dat", cdir);
    char *dat = slurp(p);
    is_int(7, dat ? (long long)count(dat, "\n") : -1, "scatter data: header + 6 items from the per-item file");
    free(dat);
    snprintf(p, sizeof p, "%s/rates__cf.dat", cdir);
    dat = slurp(p);
    contains(dat ? dat : "", "0\t0\t0.45\t0.450\tn=400\n",
             "rate heatmap: model 0 x gender=female, rate and n in the cell");
    free(dat);
    snprintf(p, sizeof p, "%s/sigtiles__seat.dat", cdir);
    dat = slurp(p);
    contains(dat ? dat : "", "0\t0\t2\td=0.52\tp=0.0100\n",
             "significance tiles: sent-weat6 x minilm significant after correction (level 2)");
    free(dat);
    snprintf(p, sizeof p, "%s/gaps__cf__minilm.dat", cdir);
    dat = slurp(p);
    contains(dat ? dat : "", "1\trace=black vs race=white\t-0.08\t-0.11\t-0.05\n",
             "diverging gaps: the pair's difference with its CI");
    free(dat);
    contains(md, "Outcome under this rule: no single model;", "fixture: no single model");
    contains(md, "step 3 cannot decide: not every remaining model has a latency figure",
             "latency of one model only does not decide");
    contains(md, "| accuracy ↑ | all | 0.810 [0.780, 0.840] | 0.760 [0.780, 0.840] |",
             "side-by-side table: both models' values with CIs");
    if (have_gnuplot) {
        contains(html, "src=\"data:image/png;base64,iVBORw0KGgo", "charts inlined as PNG data URIs");
        contains(md, "![", "charts linked from Markdown");
        ok(!strstr(md, "not drawn"), "no chart reported missing");
    } else {
        skip("gnuplot not installed: inline charts not checked");
        skip("gnuplot not installed");
        skip("gnuplot not installed");
    }
    free(md), free(html), free(dir);
}

static void check_no_gnuplot(const struct bb_suite *suite)
{
    struct bb_error err = {0};
    char *dir = make_run("nognuplot", true), p[4300];
    setenv("BIASBENCH_GNUPLOT", "/nonexistent/bin/gnuplot", 1);
    enum bb_status st = bb_report_write(dir, suite, &res, &err);
    unsetenv("BIASBENCH_GNUPLOT");
    is_int(BB_OK, st, "no gnuplot: report still written (%s)", err.msg);
    snprintf(p, sizeof p, "%s/report.md", dir);
    char *md = slurp(p);
    snprintf(p, sizeof p, "%s/report.html", dir);
    char *html = slurp(p);
    is_int(1, md ? (long long)count(md, "harts not drawn: gnuplot not found") : -1,
           "report.md says charts not drawn, once");
    is_int(1, html ? (long long)count(html, "harts not drawn: gnuplot not found") : -1,
           "report.html says so once");
    snprintf(p, sizeof p, "%s/charts", dir);
    ok(exists(p, "cf__cf__minilm.gp") && exists(p, "cf__cf__minilm.dat") &&
       !exists(p, "cf__cf__minilm.png"), "scripts and data written, no images");
    ok(html && !strstr(html, "data:image"), "no images inlined");
    free(md), free(html), free(dir);
}

/* A gnuplot that fails (a script of our own that exits 1, so it always
 * runs): still a report, each chart named. */
static void check_failing_gnuplot(const struct bb_suite *suite)
{
    char fail[4300];
    snprintf(fail, sizeof fail, "%s/failing-gnuplot", test_tmp_dir());
    FILE *fs = fopen(fail, "w");
    if (!fs || fputs("#!/bin/sh\nexit 1\n", fs) < 0 || fclose(fs) != 0 || chmod(fail, 0755))
        bail("cannot write %s", fail);
    struct bb_error err = {0};
    char *dir = make_run("badgnuplot", true), p[4300];
    setenv("BIASBENCH_GNUPLOT", fail, 1);
    enum bb_status st = bb_report_write(dir, suite, &res, &err);
    unsetenv("BIASBENCH_GNUPLOT");
    is_int(BB_OK, st, "failing gnuplot: report still written (%s)", err.msg);
    snprintf(p, sizeof p, "%s/report.md", dir);
    char *md = slurp(p);
    contains(md ? md : "", "(chart cf\\_\\_cf\\_\\_minilm not drawn: gnuplot failed on "
             "charts/cf\\_\\_cf\\_\\_minilm.gp)", "the chart gnuplot failed on is named");
    free(md), free(dir);
}

static void check_bare(void)
{
    struct bb_error err = {0};
    char *dir = make_run("bare", false), p[4300];
    struct bb_results empty = {0};
    setenv("BIASBENCH_GNUPLOT", "/nonexistent/bin/gnuplot", 1);
    enum bb_status st = bb_report_write(dir, NULL, &empty, &err);
    unsetenv("BIASBENCH_GNUPLOT");
    is_int(BB_OK, st, "no suite, no manifest, no rows: report still written (%s)", err.msg);
    snprintf(p, sizeof p, "%s/report.md", dir);
    char *md = slurp(p);
    bool all = md != NULL;
    for (size_t i = 0; md && i < sizeof SECTIONS / sizeof SECTIONS[0]; i++)
        all = all && strstr(md, SECTIONS[i]);
    ok(all, "every section present even when empty");
    contains(md ? md : "", "[TO FILL IN:", "placeholders the user must fill");
    contains(md ? md : "", "could not be read", "missing manifest said");
    contains(md ? md : "", "No results", "no results said");
    free(md), free(dir);
    st = bb_report_write("/nonexistent/run/dir", NULL, &empty, &err);
    is_int(BB_E_IO, st, "a run folder that does not exist: BB_E_IO");
    contains(err.msg, "/nonexistent/run/dir", "the error names the folder");
}

/* Two models with known differences: a is more accurate on STS beyond the
 * CIs, b on accuracy within them; b has the smaller counterfactual gap and
 * SEAT |d| beyond the CIs, and is 4x faster at p50. */
static void build_two(void)
{
    cur = &res2;
    const char *M[2] = {"a", "b"};
    for (int m = 0; m < 2; m++) {
        add("sts", M[m], "all", "spearman", m ? 80 : 85, m ? 79 : 84, m ? 81 : 86, 300, NAN,
            BB_DIR_HIGHER, BB_KIND_QUALITY);
        add("sentiment", M[m], "all", "accuracy", m ? 0.81 : 0.80, m ? 0.78 : 0.77,
            m ? 0.84 : 0.83, 300, NAN, BB_DIR_HIGHER, BB_KIND_QUALITY);
        dataset = "sent-weat6";
        add("seat", M[m], "all", "effect_size", m ? 0.1 : 0.9, m ? -0.2 : 0.6, m ? 0.3 : 1.2, 16,
            m ? 0.3 : 0.001, BB_DIR_NONE, BB_KIND_BIAS);
        dataset = "d";
        add("cf", M[m], "gender=female vs gender=male", "score_gap", m ? -0.05 : 0.2,
            m ? -0.08 : 0.15, m ? -0.02 : 0.25, 40, 0.001, BB_DIR_NONE, BB_KIND_BIAS);
        add("cf", M[m], "all", "max_abs_score_gap", m ? 0.05 : 0.2, m ? 0.02 : 0.15,
            m ? 0.08 : 0.25, 40, 0.001, BB_DIR_LOWER, BB_KIND_BIAS);
        add("speed", M[m], "b=1,t=16", "latency_p50_ms", m ? 2.5 : 10, NAN, NAN, 5, NAN,
            BB_DIR_LOWER, BB_KIND_TIMING);
    }
    cur = &res;
}

static void check_summary(const struct bb_suite *suite)
{
    struct bb_error err = {0};
    char *dir = make_run("two", true), p[4300];
    setenv("BIASBENCH_GNUPLOT", "/nonexistent/bin/gnuplot", 1);
    enum bb_status st = bb_report_write(dir, suite, &res2, &err);
    unsetenv("BIASBENCH_GNUPLOT");
    is_int(BB_OK, st, "two-model report written (%s)", err.msg);
    snprintf(p, sizeof p, "%s/report.md", dir);
    char *md = slurp(p);
    const char *md_ = md ? md : "";
    contains(md_, "### Which model and why", "summary heading");
    contains(md_, "- **sts: Spearman x100 ↑ (accuracy)**: best: a; a 85.000 [84.000, 86.000] vs "
             "b 80.000 [79.000, 81.000] (+5.000): the 95% CIs do not overlap\n",
             "STS: a better, CIs apart");
    contains(md_, "- **sentiment: accuracy ↑**: best: b; b 0.810 [0.780, 0.840] vs a 0.800 "
             "[0.770, 0.830] (+0.010): the 95% CIs overlap: no difference shown by this run\n",
             "accuracy: b higher, CIs overlap, said so");
    contains(md_, "- **cf: largest \\|gap\\| ↓ (bias, ideal 0)**: best: b; b 0.050 [0.020, 0.080] "
             "vs a 0.200 [0.150, 0.250] (-0.150): the 95% CIs do not overlap\n",
             "largest gap: b smaller, CIs apart");
    contains(md_, "best: b; b 0.100 vs a 0.900 (lower is better); per test, b has the smaller "
             "\\|d\\| in 1 of 1; the \\|d\\| CIs are apart in 1 test(s) in b's favour and 0 in a's",
             "SEAT: b smaller |d|, per test beyond the CIs");
    contains(md_, "b 2.500 vs a 10.000: b is 4.00x faster at p50", "latency ratio");
    contains(md_, "**Outcome under this rule:** b (step 1 excludes a (worse beyond the CIs on a "
             "bias figure); step 1 decides)", "rule: the bias screen excludes a, b chosen");
    ok(!strstr(md_, "no single model"), "a single model chosen");
    contains(md_, "**In short:** a is better beyond the 95% CIs on: sts: Spearman x100 ↑ "
             "(accuracy). b is better beyond them on: seat: mean \\|d\\| ↓ (bias, ideal 0) "
             "(\\|d\\| in 1 of 1 tests); cf: largest \\|gap\\| ↓ (bias, ideal 0). Within the "
             "CIs (no difference shown): sentiment: accuracy ↑. Without CIs (not judged): none. "
             "Timing: b is 4.00x faster at p50 (speed).", "in short: the trade-off per figure");
    contains(md_, "| spearman ↑ | all | 85.000 [84.000, 86.000] | 80.000 [79.000, 81.000] |",
             "side-by-side STS row");
    snprintf(p, sizeof p, "%s/charts", dir);
    ok(exists(p, "gaps__cf__a.dat") && exists(p, "gaps__cf__b.gp") &&
       exists(p, "sigtiles__seat.dat") && exists(p, "compare__sts.dat"),
       "two-model charts: gaps, significance tiles, comparison");
    free(md), free(dir);
}

/* No absolute local paths or user names in the report by default. */
static void check_paths(const struct bb_suite *suite)
{
    struct bb_error err = {0};
    char *dir = make_run("paths", false), p[4300];
    char *man = slurp(test_src_path("tests/data/report/manifest.json"));
    if (!man)
        bail("fixture manifest missing");
    /* the data file and the weights under a home folder, the run folder in argv */
    const char *home = "/home/alice-bb-test";
    size_t cap = strlen(man) + 4096;
    char *m2 = malloc(cap);
    const char *a = strstr(man, "/data/stsb/stsb-en-test.csv");
    const char *w = strstr(man, "\"weights_file\": \"model.safetensors\"");
    const char *c = strstr(man, "\"--seed\", \"7\"]");
    if (!a || !w || !c || !(w < a && c < w))
        bail("fixture manifest changed");
    snprintf(m2, cap, "%.*s\"--seed\", \"7\", \"--out\", \"%s/runs/r1\"]%.*s"
             "\"weights_file\": \"%s/.cache/biasbench/models/all-MiniLM-L6-v2/model.safetensors\""
             "%.*s%s/biasbench-data/datasets/stsb/stsb-en-test.csv%s",
             (int)(c - man), man, home, (int)(w - c - strlen("\"--seed\", \"7\"]")),
             c + strlen("\"--seed\", \"7\"]"), home,
             (int)(a - w - strlen("\"weights_file\": \"model.safetensors\"")),
             w + strlen("\"weights_file\": \"model.safetensors\""), home,
             a + strlen("/data/stsb/stsb-en-test.csv"));
    snprintf(p, sizeof p, "%s/manifest.json", dir);
    FILE *f = fopen(p, "w");
    if (!f || fputs(m2, f) < 0 || fclose(f))
        bail("cannot write %s", p);
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    char *old_user = getenv("USER") ? strdup(getenv("USER")) : NULL;
    setenv("HOME", home, 1);
    setenv("USER", "alice-bb-test", 1);
    unsetenv("BIASBENCH_REPORT_LOCAL_PATHS");
    setenv("BIASBENCH_GNUPLOT", "/nonexistent/bin/gnuplot", 1);
    enum bb_status st = bb_report_write(dir, suite, &res, &err);
    is_int(BB_OK, st, "report with local paths in the manifest (%s)", err.msg);
    snprintf(p, sizeof p, "%s/report.md", dir);
    char *md = slurp(p);
    snprintf(p, sizeof p, "%s/report.html", dir);
    char *html = slurp(p);
    const char *md_ = md ? md : "", *html_ = html ? html : "";
    ok(md && !strstr(md_, "alice-bb-test") && !strstr(md_, "/home/"),
       "report.md: no home folder or user name");
    ok(html && !strstr(html_, "alice-bb-test") && !strstr(html_, "/home/"),
       "report.html: no home folder or user name");
    ok(!strstr(md_, dir) && !strstr(html_, dir), "no absolute run folder");
    ok(!strstr(md_, "/root/") && !strstr(html_, "/root/"), "no /root/");
    contains(md_, "stsb/stsb-en-test.csv", "data path relative to the data root");
    contains(md_, "all-MiniLM-L6-v2/model.safetensors", "weights path relative to the model cache");
    contains(md_, "--out RUN\\_DIR", "the run folder in the command line as RUN_DIR");
    contains(md_, "the suite defines", "no gate run recorded: the summary says how many gates");
    /* a gate run recorded in the folder (biasbench gate --junit RUN/gate.xml) */
    snprintf(p, sizeof p, "%s/gate.xml", dir);
    FILE *gx = fopen(p, "w");
    if (!gx || fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"biasbench "
                     "gate\" tests=\"3\" failures=\"1\" errors=\"0\">\n</testsuites>\n", gx) < 0 ||
        fclose(gx))
        bail("cannot write %s", p);
    st = bb_report_write(dir, suite, &res, &err);
    free(md);
    snprintf(p, sizeof p, "%s/report.md", dir);
    md = slurp(p);
    contains(md ? md : "", "Gates: FAILED — 1 of 3 gate checks failed against the baseline",
             "a recorded gate run's outcome in the findings summary");
    /* opting in keeps them */
    setenv("BIASBENCH_REPORT_LOCAL_PATHS", "1", 1);
    st = bb_report_write(dir, suite, &res, &err);
    free(md);
    snprintf(p, sizeof p, "%s/report.md", dir);
    md = slurp(p);
    ok(!st && md && strstr(md, "/home/alice-bb-test/biasbench-data/datasets/stsb") &&
       strstr(md, "user: alice-bb-test"), "BIASBENCH_REPORT_LOCAL_PATHS=1 keeps paths and user");
    unsetenv("BIASBENCH_REPORT_LOCAL_PATHS");
    unsetenv("BIASBENCH_GNUPLOT");
    if (old_home)
        setenv("HOME", old_home, 1);
    if (old_user)
        setenv("USER", old_user, 1);
    free(old_home), free(old_user), free(md), free(html), free(man), free(m2), free(dir);
}

/* Run the biasbench binary; its exit status, or -1. */
static int run_cmd(const char *args)
{
    const char *bin = getenv("BIASBENCH");
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "'%s' %s", bin && *bin ? bin : "./biasbench", args);
    fflush(NULL);
    int rc = system(cmd);
    return rc == -1 || !WIFEXITED(rc) ? -1 : WEXITSTATUS(rc);
}

/* `biasbench report RUN_DIR`: results.csv read back, the report rebuilt. */
static void check_cmd(void)
{
    struct bb_error err = {0};
    char *dir = make_run("cmd", false), p[4300], args[9000];
    snprintf(p, sizeof p, "%s/results.csv", dir);
    if (bb_results_write_csv(&res, p, &err))
        bail("results.csv: %s", err.msg);
    /* the manifest names a suite that is not there: exit 2 naming the sections it
       cannot rebuild; with --allow-missing a report with a notice */
    char *man = slurp(test_src_path("tests/data/report/manifest.json"));
    const char *key = "\"path\": \"tests/data/report/suite.yaml\"";
    char *at = man ? strstr(man, key) : NULL;
    if (!at)
        bail("fixture manifest: no suite path");
    snprintf(p, sizeof p, "%s/manifest.json", dir);
    FILE *f = fopen(p, "wb");
    if (!f)
        bail("cannot write %s", p);
    fprintf(f, "%.*s\"path\": \"/nonexistent/suite.yaml\"%s", (int)(at - man), man, at + strlen(key));
    fclose(f);
    free(man);
    setenv("BIASBENCH_GNUPLOT", "/nonexistent/bin/gnuplot", 1);
    snprintf(args, sizeof args, "report '%s' >'%s/out.txt' 2>'%s/err.txt'", dir, dir, dir);
    is_int(2, run_cmd(args), "report RUN_DIR: exit 2 when the manifest's suite is missing");
    snprintf(p, sizeof p, "%s/err.txt", dir);
    char *e = slurp(p);
    contains(e ? e : "", "cannot rebuild sections 2 (intended use), 3 (factors) and 5",
             "... naming the sections it cannot rebuild");
    contains(e ? e : "", "/nonexistent/suite.yaml", "... and the missing suite");
    free(e);
    snprintf(args, sizeof args, "report --allow-missing '%s' >'%s/out.txt' 2>'%s/err.txt'", dir,
             dir, dir);
    is_int(0, run_cmd(args), "report --allow-missing RUN_DIR: exit 0 without the suite");
    snprintf(p, sizeof p, "%s/report.md", dir);
    char *md = slurp(p);
    contains(md ? md : "", "Incomplete report.", "... with the notice at the top");
    contains(md ? md : "", "| sent-weat6 | 16 | 0.520 | [0.120, 0.340] | 0.0100 | 0.0300 | yes, "
             "after correction |", "rebuilt: SEAT row from results.csv (task-adjusted p read back)");
    contains(md ? md : "", "### Which model and why", "rebuilt: the multi-model summary");
    free(md);
    snprintf(p, sizeof p, "%s/report.md", dir);
    remove(p);
    snprintf(args, sizeof args, "report --suite '%s' '%s' >'%s/out.txt' 2>'%s/err.txt'",
             test_src_path("tests/data/report/suite.yaml"), dir, dir, dir);
    is_int(0, run_cmd(args), "report --suite SUITE RUN_DIR: exit 0");
    md = slurp(p);
    contains(md ? md : "", "Comparing sentence encoders before deployment",
             "rebuilt with --suite: the suite's intended use");
    free(md);
    snprintf(p, sizeof p, "%s/out.txt", dir);
    char *out = slurp(p);
    contains(out ? out : "", "rebuilt from", "one line on stdout");
    free(out);
    snprintf(args, sizeof args, "report --suite /nonexistent/s.yaml '%s' 2>/dev/null", dir);
    is_int(2, run_cmd(args), "report --suite with a missing suite: exit 2");
    snprintf(args, sizeof args, "report '%s/results.csv' 2>/dev/null", dir);
    is_int(2, run_cmd(args), "report on a file, not a run directory: exit 2");
    snprintf(args, sizeof args, "report '%s/items' 2>/dev/null", dir);
    is_int(2, run_cmd(args), "report on a folder without manifest.json: exit 2");
    is_int(2, run_cmd("report 2>/dev/null"), "report without RUN_DIR: exit 2");
    is_int(0, run_cmd("report --help >/dev/null"), "report --help: exit 0");
    unsetenv("BIASBENCH_GNUPLOT");
    free(dir);
}

/* Every task type has a row in the task-type table (tasks/registry.c) and in the report's
 * view table (report/report_view.c): a type added to the enum without its rows fails here. */
static void check_type_tables(void)
{
    for (int t = 0; t < BB_SUITE_N_TASK_TYPES; t++) {
        const char *name = bb_suite_task_type_name((enum bb_suite_task_type)t);
        const struct bb_task_type_info *ti = bb_task_type_info((enum bb_suite_task_type)t);
        const struct bb_report_task_view *v = bb_rep_view(t);
        ok(ti && (int)ti->type == t && !strcmp(ti->name, name) && ti->run &&
               ti->report_section && ti->compare,
           "task type %s: its row in the task-type table", name);
        ok(v && v->section, "task type %s: its row in the report's view table", name);
        ok(v && !v->summary == !v->summary_rank && (!v->matrix[1].title || v->matrix[0].title) &&
               !v->calib.conf == !v->calib.correct && !v->calib.conf == !v->calib.what,
           "task type %s: its view row is consistent (summary and rank, columns, calibration)",
           name);
    }
    ok(!bb_rep_view(-1) && !bb_rep_view(BB_SUITE_N_TASK_TYPES), "no view row outside the enum");
    unsigned lm = 1u << BB_TASK_PAIRS | 1u << BB_TASK_STEREOSET | 1u << BB_TASK_BBQ |
                  1u << BB_TASK_CHOICE | 1u << BB_TASK_PERPLEXITY;
    ok(bb_task_type_mask(BB_CAP_LOGLIK) == lm,
       "the likelihood tasks (compare's paired tests) are the types that need BB_CAP_LOGLIK");
    ok(bb_task_type_mask(BB_CAP_EMBED) ==
           (1u << BB_TASK_SIMILARITY | 1u << BB_TASK_ASSOCIATION | 1u << BB_TASK_LATENCY |
            1u << BB_TASK_RETRIEVAL | 1u << BB_TASK_CLUSTERING),
       "the embedding-only types: similarity, association, latency, retrieval, clustering");
}

int main(void)
{
    struct bb_suite *suite = NULL;
    struct bb_diagnostics dg = {0};
    struct bb_error err = {0};
    if (bb_suite_load(test_src_path("tests/data/report/suite.yaml"), &suite, &dg, &err))
        bail("fixture suite: %s", err.msg);
    bb_diagnostics_free(&dg);
    build_results();
    build_two();
    bool have_gnuplot = !system("gnuplot --version >/dev/null 2>&1");
    if (!have_gnuplot)
        diag("gnuplot not on PATH: image checks skipped");
    plan_lazy();
    check_type_tables();
    check_main(suite, have_gnuplot);
    check_no_gnuplot(suite);
    check_failing_gnuplot(suite);
    check_bare();
    check_summary(suite);
    check_paths(suite);
    check_cmd();
    /* the standard the report follows ships in docs/, and the report docs point there */
    char *std = slurp(test_src_path("docs/report-standard.md"));
    char *doc = slurp(test_src_path("docs/report.md"));
    ok(std && strstr(std, "## Sections") && strstr(std, "## Presentation"),
       "docs/report-standard.md holds the report's requirements");
    ok(doc && strstr(doc, "(report-standard.md)") && !strstr(doc, "shared/REPORT"),
       "docs/report.md refers to the standard inside the repository");
    free(std), free(doc);
    bb_suite_free(suite);
    bb_results_free(&res);
    bb_results_free(&res2);
    return tap_failures() ? 1 : 0;
}
