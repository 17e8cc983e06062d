/* cmd_compare.c: `biasbench compare RUN_A RUN_B` and `compare RUN --models A,B`:
 * every metric of both sides with its difference, a 95% CI on it and a
 * paired test (compare.h), as Markdown, HTML or CSV. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compare/compare.h"
#include "core/fileout.h"

static const char usage_text[] =
    "usage: biasbench compare RUN_A RUN_B [options]\n"
    "       biasbench compare RUN --models A,B [options]\n\n"
    "For every metric present in both runs (matched on task, dataset, model,\n"
    "variant, group, metric and perturbation; runs of different models are\n"
    "matched ignoring the model), print both values, B - A with a 95% CI, and\n"
    "a paired test on the per-item files: paired bootstrap for correlations and\n"
    "means, McNemar for accuracy, a paired item bootstrap for WEAT/SEAT effect\n"
    "sizes, with a Benjamini-Hochberg correction across the metrics. Without\n"
    "per-item data (a bare results.csv) significance is CI non-overlap, and the\n"
    "output says so.\n"
    "With --models, compare two models of one run (a suite with several models).\n\n"
    "  -f, --format F       md (default), html (self-contained) or csv\n"
    "  -o, --output FILE    write there (atomically) instead of stdout\n"
    "  -M, --models A,B     two model ids of one run\n"
    "      --force          compare runs of different suites or datasets anyway\n"
    BB_CLI_BOOTSTRAP_HELP
    "  -a, --alpha X        significance level for BH-adjusted p (default 0.05)\n\n"
    "Refuses (exit 2) runs whose manifests record a different suite sha256 or a\n"
    "different sha256 for one dataset id, unless --force.\n";

struct cmp_args {
    const char *format, *output, *models;
    bool force;
    struct bb_cmp_opts opt;
    char model_a[256], model_b[256];
};

static enum bb_status parse_double(const char *opt, const char *arg, double lo, double hi,
                                   double *out, struct bb_error *err)
{
    char *end;
    double v = strtod(arg, &end);
    if (end == arg || *end || !(v > lo && v < hi))
        return bb_fail(err, BB_E_USAGE, "%s: expected a number in (%g, %g), found '%s'", opt, lo,
                       hi, arg);
    *out = v;
    return BB_OK;
}

static enum bb_status parse_args(int argc, char **argv, struct cmp_args *a, bool *help,
                                 struct bb_error *err)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},          {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},  {"models", required_argument, NULL, 'M'},
        {"force", no_argument, NULL, 'F'},         {"alpha", required_argument, NULL, 'a'},
        BB_CLI_BOOTSTRAP_LONGOPTS,                 {0}};
    int opt;
    double x = 0;
    enum bb_status st = BB_OK;
    optind = 1;
    while (!st && (opt = getopt_long(argc, argv, "hf:o:M:r:s:a:", longopts, NULL)) != -1) {
        if (bb_cli_bootstrap_option(&a->opt, opt, optarg, err, &st))
            continue;
        switch (opt) {
        case 'h': *help = true; return BB_OK;
        case 'f': a->format = optarg; break;
        case 'o': a->output = optarg; break;
        case 'M': a->models = optarg; break;
        case 'F': a->force = true; break;
        case 'a':
            st = parse_double("--alpha", optarg, 0, 1, &x, err);
            a->opt.alpha = x;
            break;
        default: return bb_fail(err, BB_E_USAGE, "see 'biasbench compare --help'");
        }
    }
    if (st)
        return st;
    if (strcmp(a->format, "md") && strcmp(a->format, "html") && strcmp(a->format, "csv"))
        return bb_fail(err, BB_E_USAGE, "--format: expected md, html or csv, found '%s'",
                       a->format);
    int want = a->models ? 1 : 2;
    if (argc - optind != want)
        return bb_fail(err, BB_E_USAGE,
                       "expected %s, found %d argument(s) (see 'biasbench compare --help')",
                       a->models ? "one RUN with --models A,B" : "two runs, RUN_A RUN_B",
                       argc - optind);
    if (a->models) {
        const char *comma = strchr(a->models, ',');
        if (!comma || comma == a->models || !comma[1] || strchr(comma + 1, ',') ||
            (size_t)(comma - a->models) >= sizeof a->model_a)
            return bb_fail(err, BB_E_USAGE, "--models: expected two model ids 'A,B', found '%s'",
                           a->models);
        snprintf(a->model_a, sizeof a->model_a, "%.*s", (int)(comma - a->models), a->models);
        snprintf(a->model_b, sizeof a->model_b, "%s", comma + 1);
        a->opt.model_a = a->model_a, a->opt.model_b = a->model_b;
    }
    return BB_OK;
}

static bool has_model(const struct bb_rundata *r, const char *id)
{
    for (size_t i = 0; i < r->results.n; i++)
        if (!strcmp(r->results.rows[i].model, id))
            return true;
    return false;
}

/* Runs of different model sets are matched ignoring the model, and only
 * when each has one model (else rows would pair arbitrarily). */
static enum bb_status decide_models(const struct bb_rundata *a, const struct bb_rundata *b,
                                    struct bb_cmp_opts *o, struct bb_error *err)
{
    const char *ma[64], *mb[64];
    size_t na = bb_rundata_models(a, ma, 64), nb = bb_rundata_models(b, mb, 64);
    bool same = na == nb;
    for (size_t i = 0; i < na && same; i++)
        same = has_model(b, ma[i]);
    if (same)
        return BB_OK;
    if (na != 1 || nb != 1)
        return bb_fail(err, BB_E_INPUT,
                       "%s and %s hold different sets of models (%zu and %zu): compare one "
                       "model with another across runs, or use --models A,B within one run",
                       a->path, b->path, na, nb);
    o->ignore_model = true;
    return BB_OK;
}

static enum bb_status run_compare(struct cmp_args *a, char **paths, struct bb_error *err)
{
    struct bb_rundata ra = {0}, rb = {0};
    struct bb_comparison c = {0};
    struct bb_fileout fo = {0};
    bool one = a->models != NULL;
    enum bb_status st = bb_rundata_load(paths[0], &ra, err);
    if (!st && !one)
        st = bb_rundata_load(paths[1], &rb, err);
    if (st)
        goto done;
    struct bb_rundata *b = one ? &ra : &rb;
    if (one && (!has_model(&ra, a->model_a) || !has_model(&ra, a->model_b))) {
        st = bb_fail(err, BB_E_INPUT, "%s: --models: no rows for model '%s'", ra.results_path,
                     has_model(&ra, a->model_a) ? a->model_b : a->model_a);
        goto done;
    }
    if (!one && !a->force && (st = bb_compare_check_same(&ra, &rb, err)))
        goto done;
    if (!one && (st = decide_models(&ra, &rb, &a->opt, err)))
        goto done;
    if ((st = bb_compare_runs(&ra, b, &a->opt, &c, err)))
        goto done;
    if (c.n == 0) {
        st = bb_fail(err, BB_E_INPUT, "%s and %s have no metric rows in common", paths[0],
                     one ? paths[0] : paths[1]);
        goto done;
    }
    char la[4400], lb[4400];
    snprintf(la, sizeof la, "%s%s%s", paths[0], one ? " model " : "", one ? a->model_a : "");
    snprintf(lb, sizeof lb, "%s%s%s", one ? paths[0] : paths[1], one ? " model " : "",
             one ? a->model_b : "");
    if ((st = bb_fileout_open(&fo, a->output ? a->output : "-", err)))
        goto done;
    enum bb_cmp_format f = !strcmp(a->format, "html") ? BB_CMP_HTML
                           : !strcmp(a->format, "csv") ? BB_CMP_CSV : BB_CMP_MD;
    bb_compare_write(&c, f, la, lb, fo.fp);
    st = bb_fileout_commit(&fo, err);
done:
    if (st)
        bb_fileout_abort(&fo);
    bb_comparison_free(&c);
    bb_rundata_free(&ra);
    bb_rundata_free(&rb);
    return st;
}

int bb_cmd_compare(int argc, char **argv)
{
    struct cmp_args a = {.format = "md", .opt = bb_cmp_opts_default()};
    struct bb_error err = {0};
    bool help = false;
    enum bb_status st = parse_args(argc, argv, &a, &help, &err);
    if (!st && help) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!st)
        st = run_compare(&a, argv + optind, &err);
    return st ? bb_cli_fail("compare", st, &err) : 0;
}
