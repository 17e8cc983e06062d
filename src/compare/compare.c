/* compare.c: load runs (run directory or bare results.csv), check that two
 * runs are comparable (suite and dataset sha256), match their metric rows and
 * test each difference on the per-item files (paired bootstrap, McNemar, the
 * WEAT paired item bootstrap), falling back to CI non-overlap without them.
 * compare_write.c renders the result as Markdown, HTML or CSV. */
#include "compare.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "suite/dataset.h"
#include "core/json.h"
#include "metrics/classify.h"
#include "metrics/stats.h"
#include "metrics/table.h"
#include "metrics/weat.h"

static char *dupstr(const char *s)
{
    return s ? strdup(s) : NULL;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool blank(const char *s)
{
    return !s || !*s;
}

static void resolve_suite(struct bb_rundata *r);

enum bb_status bb_rundata_load(const char *path, struct bb_rundata *out, struct bb_error *err)
{
    memset(out, 0, sizeof *out);
    char buf[4096];
    enum bb_status st = BB_OK;
    out->path = dupstr(path);
    if (is_dir(path)) {
        out->dir = dupstr(path);
        snprintf(buf, sizeof buf, "%s/manifest.json", path);
        struct stat sb;
        if (stat(buf, &sb) != 0) {
            st = bb_fail(err, BB_E_IO, "%s: not a run directory: manifest.json is missing (%s)",
                         path, strerror(errno));
            goto done;
        }
        if ((st = bb_json_load_file(buf, &out->manifest, err)))
            goto done;
        if (!json_is_object(out->manifest)) {
            st = bb_fail(err, BB_E_INPUT, "%s: expected a JSON object", buf);
            goto done;
        }
        snprintf(buf, sizeof buf, "%s/results.csv", path);
    } else {
        struct stat sb;
        if (stat(path, &sb) != 0) {
            st = bb_fail(err, BB_E_IO, "%s: cannot read: %s", path, strerror(errno));
            goto done;
        }
        snprintf(buf, sizeof buf, "%s", path);
    }
    out->results_path = dupstr(buf);
    struct stat sb;
    if (stat(buf, &sb) != 0) {
        st = bb_fail(err, BB_E_IO, "%s: cannot read results: %s (an unfinished run?)", buf,
                     strerror(errno));
        goto done;
    }
    st = bb_results_read_csv(buf, &out->results, err);
    if (!st && out->manifest)
        resolve_suite(out);
done:
    if (st)
        bb_rundata_free(out);
    return st;
}

void bb_rundata_free(struct bb_rundata *r)
{
    if (!r)
        return;
    free(r->path);
    free(r->dir);
    free(r->results_path);
    free(r->suite_path);
    bb_results_free(&r->results);
    if (r->manifest)
        json_decref(r->manifest);
    for (size_t i = 0; i < r->n_items; i++) {
        free(r->item_paths[i]);
        bb_table_free(r->item_tables[i]);
    }
    free(r->item_paths);
    free(r->item_tables);
    memset(r, 0, sizeof *r);
}

static const char *manifest_str(const struct bb_rundata *r, const char *obj, const char *key)
{
    if (!r->manifest)
        return NULL;
    json_t *o = json_object_get(r->manifest, obj);
    json_t *v = o ? json_object_get(o, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The manifest's suite as a path that opens from here: suite.abs_path (runs
 * record it), else suite.path as given to `run` if it opens from the current
 * folder, else suite.path below the run folder's parents (a run started in a
 * folder above its --out, as `run suites/x.yaml --out runs/a`); else
 * suite.path as it is (the caller reports it). NULL when the manifest names
 * none. Into r->suite_path (allocated). */
static void resolve_suite(struct bb_rundata *r)
{
    const char *abs = manifest_str(r, "suite", "abs_path"), *rel = manifest_str(r, "suite", "path");
    char buf[8300], dir[4096];
    if (abs && is_file(abs)) {
        r->suite_path = dupstr(abs);
        return;
    }
    if (!rel)
        return;
    if (rel[0] != '/' && !is_file(rel) && r->dir && realpath(r->dir, dir)) {
        for (char *slash = strrchr(dir, '/'); slash; slash = strrchr(dir, '/')) {
            *slash = '\0';
            snprintf(buf, sizeof buf, "%s/%s", *dir ? dir : "", rel);
            if (is_file(buf)) {
                r->suite_path = dupstr(buf);
                return;
            }
        }
    }
    r->suite_path = dupstr(rel);
}

const char *bb_rundata_suite_path(const struct bb_rundata *r)
{
    return r->suite_path;
}

size_t bb_rundata_models(const struct bb_rundata *r, const char **ids, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->results.n; i++) {
        const char *m = r->results.rows[i].model;
        size_t k = 0;
        while (k < n && strcmp(ids[k], m))
            k++;
        if (k == n && n < max)
            ids[n++] = m;
    }
    return n;
}

/* ---- same suite, same data -------------------------------------------------- */

enum bb_status bb_compare_check_same(const struct bb_rundata *a, const struct bb_rundata *b,
                                     struct bb_error *err)
{
    if (!a->manifest || !b->manifest)
        return BB_OK;
    const char *sa = manifest_str(a, "suite", "sha256"), *sb = manifest_str(b, "suite", "sha256");
    if (sa && sb && strcmp(sa, sb))
        return bb_fail(err, BB_E_INPUT,
                       "%s and %s ran different suites: suite sha256 %.12s… ('%s', %s) != "
                       "%.12s… ('%s', %s); use --force to compare anyway",
                       a->path, b->path, sa, manifest_str(a, "suite", "name"),
                       manifest_str(a, "suite", "path"), sb, manifest_str(b, "suite", "name"),
                       manifest_str(b, "suite", "path"));
    json_t *da = json_object_get(a->manifest, "datasets"),
           *db = json_object_get(b->manifest, "datasets");
    size_t i, j;
    json_t *x, *y;
    json_array_foreach(da, i, x) {
        const char *id = json_string_value(json_object_get(x, "id"));
        const char *hx = json_string_value(json_object_get(x, "sha256"));
        json_array_foreach(db, j, y) {
            const char *idy = json_string_value(json_object_get(y, "id"));
            const char *hy = json_string_value(json_object_get(y, "sha256"));
            if (id && idy && hx && hy && !strcmp(id, idy) && strcmp(hx, hy))
                return bb_fail(err, BB_E_INPUT,
                               "%s and %s read different data for dataset '%s': sha256 %.12s… "
                               "(%s) != %.12s… (%s); use --force to compare anyway",
                               a->path, b->path, id, hx,
                               json_string_value(json_object_get(x, "path")), hy,
                               json_string_value(json_object_get(y, "path")));
        }
    }
    return BB_OK;
}

/* ---- matching --------------------------------------------------------------- */

/* variant without " @ device / driver" (timing rows name the machine). */
static bool variant_eq(const char *a, const char *b)
{
    const char *ea = strstr(a, " @ "), *eb = strstr(b, " @ ");
    size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
    return la == lb && !strncmp(a, b, la);
}

long bb_compare_find(const struct bb_results *r, const struct bb_result_row *row, bool ignore_model,
                     const char *model)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct bb_result_row *x = &r->rows[i];
        /* pairing two different models (or ignoring the model): their
         * variants (precisions) may differ too, as in f32 against f16 */
        bool any_variant = model || ignore_model;
        if (strcmp(x->metric, row->metric) || strcmp(x->task, row->task) ||
            strcmp(x->dataset, row->dataset) || strcmp(x->group, row->group) ||
            strcmp(x->perturbation ? x->perturbation : "",
                   row->perturbation ? row->perturbation : "") ||
            (!any_variant && !variant_eq(x->variant, row->variant)))
            continue;
        if (model ? strcmp(x->model, model) : (!ignore_model && strcmp(x->model, row->model)))
            continue;
        return (long)i;
    }
    return -1;
}

/* ---- per-item files ------------------------------------------------------------ */

/* The per-item table items/<task>__<model>[__suffix].csv of run r, loaded
 * once; NULL when the run has none (bare CSV, file absent). A malformed file
 * is an error. */
static enum bb_status items_get(struct bb_rundata *r, const char *task, const char *model,
                                const char *suffix, const struct bb_table **out,
                                struct bb_error *err)
{
    *out = NULL;
    if (!r->dir)
        return BB_OK;
    char ft[512], fm[512], path[4096];
    bb_items_name_part(ft, sizeof ft, task);
    bb_items_name_part(fm, sizeof fm, model);
    snprintf(path, sizeof path, "%s/items/%s__%s%s%s.csv", r->dir, ft, fm, suffix ? "__" : "",
             suffix ? suffix : "");
    for (size_t i = 0; i < r->n_items; i++)
        if (!strcmp(r->item_paths[i], path)) {
            *out = r->item_tables[i];
            return BB_OK;
        }
    struct bb_table *t = NULL;
    struct stat sb;
    if (stat(path, &sb) == 0) {
        struct bb_dataset_spec spec = {
            .path = path, .format = BB_FORMAT_CSV, .header = BB_HEADER_YES};
        enum bb_status st = bb_dataset_load(&spec, &t, err);
        if (st)
            return st;
    }
    char **p = realloc(r->item_paths, (r->n_items + 1) * sizeof *p);
    if (p)
        r->item_paths = p;
    struct bb_table **q = p ? realloc(r->item_tables, (r->n_items + 1) * sizeof *q) : NULL;
    if (q)
        r->item_tables = q;
    char *dp = q ? strdup(path) : NULL;
    if (!dp) {
        bb_table_free(t);
        return bb_fail(err, BB_E_NOMEM, "out of memory loading %s", path);
    }
    r->item_paths[r->n_items] = dp;
    r->item_tables[r->n_items++] = t;
    *out = t;
    return BB_OK;
}

/* The per-item file suffix of row r: "cos" for WEAT cosines, led by
 * "perturb-<id>" for a robustness rerun's row (task.h); NULL when none. */
static const char *items_suffix(const struct bb_result_row *r, bool weat, char *buf, size_t n)
{
    if (!r->perturbation || !*r->perturbation)
        return weat ? "cos" : NULL;
    snprintf(buf, n, "perturb-%s%s", r->perturbation, weat ? "__cos" : "");
    return buf;
}

struct id_ix {
    const char *id;
    size_t row;
};

static int id_cmp(const void *x, const void *y)
{
    return strcmp(((const struct id_ix *)x)->id, ((const struct id_ix *)y)->id);
}

/* Does row i of t belong to the result row's group? "all" takes every row;
 * "f=v&g=w" needs column f == v and g == w; a plain name needs column
 * `group` == name. */
static bool in_group(const struct bb_table *t, size_t i, const char *group)
{
    if (!strcmp(group, "all"))
        return true;
    if (!strchr(group, '=')) {
        int c = bb_table_col(t, "group");
        const char *v = c >= 0 ? bb_table_get(t, i, c) : NULL;
        return v && !strcmp(v, group);
    }
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", group);
    char *save = NULL;
    for (char *part = strtok_r(buf, "&", &save); part; part = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(part, '=');
        if (!eq)
            return false;
        *eq = 0;
        int c = bb_table_col(t, part);
        const char *v = c >= 0 ? bb_table_get(t, i, c) : NULL;
        if (!v || strcmp(v, eq + 1))
            return false;
    }
    return true;
}

/* Paired columns: items of ta and tb joined on item_id, filtered to group
 * (in ta), numeric column cols[k] of each side into xa[k][i], xb[k][i]. */
struct paired {
    size_t n;
    double *xa[2], *xb[2];
};

static void paired_free(struct paired *p)
{
    for (int k = 0; k < 2; k++)
        free(p->xa[k]), free(p->xb[k]);
    memset(p, 0, sizeof *p);
}

static enum bb_status join_items(const struct bb_table *ta, const struct bb_table *tb,
                                 const char *group, const char *const *cols, int ncols,
                                 struct paired *p, struct bb_error *err)
{
    memset(p, 0, sizeof *p);
    size_t na = bb_table_rows(ta), nb = bb_table_rows(tb);
    int ida = bb_table_col(ta, "item_id"), idb = bb_table_col(tb, "item_id");
    int ca[2], cb[2];
    for (int k = 0; k < ncols; k++) {
        ca[k] = bb_table_col(ta, cols[k]), cb[k] = bb_table_col(tb, cols[k]);
        if (ca[k] < 0 || cb[k] < 0)
            return BB_OK; /* not this kind of table: no per-item test */
    }
    if (ida < 0 || idb < 0)
        return BB_OK;
    struct id_ix *ix = malloc((nb ? nb : 1) * sizeof *ix);
    for (int k = 0; k < ncols && ix; k++) {
        p->xa[k] = malloc((na ? na : 1) * sizeof(double));
        p->xb[k] = malloc((na ? na : 1) * sizeof(double));
        if (!p->xa[k] || !p->xb[k])
            free(ix), ix = NULL;
    }
    if (!ix) {
        paired_free(p);
        return bb_fail(err, BB_E_NOMEM, "out of memory joining per-item files");
    }
    size_t m = 0;
    for (size_t j = 0; j < nb; j++) {
        const char *id = bb_table_get(tb, j, idb);
        if (id)
            ix[m++] = (struct id_ix){id, j};
    }
    qsort(ix, m, sizeof *ix, id_cmp);
    enum bb_status st = BB_OK;
    for (size_t i = 0; i < na && !st; i++) {
        struct id_ix key = {bb_table_get(ta, i, ida), 0};
        if (!key.id || !in_group(ta, i, group))
            continue;
        struct id_ix *hit = bsearch(&key, ix, m, sizeof *ix, id_cmp);
        if (!hit)
            continue;
        bool ok = true;
        for (int k = 0; k < ncols && ok && !st; k++) {
            const char *sa = bb_table_get(ta, i, ca[k]), *sb = bb_table_get(tb, hit->row, cb[k]);
            if (blank(sa) || blank(sb)) {
                ok = false;
                break;
            }
            st = bb_table_get_double(ta, i, ca[k], &p->xa[k][p->n], err);
            if (!st)
                st = bb_table_get_double(tb, hit->row, cb[k], &p->xb[k][p->n], err);
        }
        if (ok && !st)
            p->n++;
    }
    free(ix);
    if (st)
        paired_free(p);
    return st;
}

/* ---- statistics over paired items ----------------------------------------------- */

struct corr_ctx {
    const double *gold, *pred;
    double *gx, *gy; /* scratch (n) */
    bool spearman;
};

static double corr_stat(const int *idx, size_t n, void *vctx)
{
    struct corr_ctx *c = vctx;
    for (size_t i = 0; i < n; i++)
        c->gx[i] = c->pred[idx[i]], c->gy[i] = c->gold[idx[i]];
    if (!c->spearman)
        return 100.0 * bb_stats_pearson(c->gx, c->gy, n);
    double rho = NAN;
    if (bb_stats_spearman(c->gx, c->gy, n, &rho, NULL))
        return NAN;
    return 100.0 * rho;
}

struct mean_ctx {
    const double *x;
};

static double mean_stat(const int *idx, size_t n, void *vctx)
{
    const struct mean_ctx *c = vctx;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += c->x[idx[i]];
    return n ? s / (double)n : NAN;
}

static struct bb_bootstrap_opts boot_opts(const struct bb_cmp_opts *o)
{
    struct bb_bootstrap_opts b = bb_bootstrap_opts_default();
    b.replicates = o->replicates;
    b.seed = o->seed;
    b.level = 1 - o->alpha; /* the interval the verdict reads: it excludes 0 iff p < alpha */
    return b;
}

/* Correlation (similarity tasks): gold and cosine per pair. */
static enum bb_status test_corr(const struct paired *p, bool spearman, const struct bb_cmp_opts *o,
                                struct bb_cmp *out, struct bb_error *err)
{
    double *s = malloc(4 * (p->n ? p->n : 1) * sizeof *s);
    if (!s)
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    /* both sides score the same pairs with the same gold: xa[0] == xb[0] */
    struct corr_ctx cb = {p->xb[0], p->xb[1], s, s + p->n, spearman};
    struct corr_ctx ca = {p->xa[0], p->xa[1], s + 2 * p->n, s + 3 * p->n, spearman};
    struct bb_bootstrap_opts bo = boot_opts(o);
    struct bb_paired r;
    enum bb_status st = bb_stats_paired_bootstrap(&p->n, 1, corr_stat, &cb, corr_stat, &ca, &bo,
                                                  &r, err);
    free(s);
    if (st)
        return st;
    bb_compare_boot_result(out, &r, BB_CMP_BOOTSTRAP, p->n);
    snprintf(out->note, sizeof out->note,
             "paired bootstrap over %zu pairs (%d replicates, both correlations recomputed)", p->n,
             r.replicates_used);
    return BB_OK;
}

/* Mean of a per-item column (scores, probabilities). */
static enum bb_status test_mean(const struct paired *p, const struct bb_cmp_opts *o,
                                struct bb_cmp *out, struct bb_error *err)
{
    struct mean_ctx cb = {p->xb[0]}, ca = {p->xa[0]};
    struct bb_bootstrap_opts bo = boot_opts(o);
    struct bb_paired r;
    enum bb_status st = bb_stats_paired_bootstrap(&p->n, 1, mean_stat, &cb, mean_stat, &ca, &bo,
                                                  &r, err);
    if (st)
        return st;
    bb_compare_boot_result(out, &r, BB_CMP_BOOTSTRAP, p->n);
    snprintf(out->note, sizeof out->note,
             "paired bootstrap of the mean over %zu items (%d replicates)", p->n,
             r.replicates_used);
    return BB_OK;
}

/* Accuracy: McNemar's exact test on the discordant pairs and the interval it
 * inverts (bb_compare_mcnemar). */
static enum bb_status test_accuracy(const struct paired *p, const struct bb_cmp_opts *o,
                                    struct bb_cmp *out)
{
    size_t b = 0, c = 0; /* baseline right & candidate wrong; baseline wrong & candidate right */
    for (size_t i = 0; i < p->n; i++) {
        bool ra = p->xa[0][i] > 0.5, rb = p->xb[0][i] > 0.5;
        b += ra && !rb;
        c += !ra && rb;
    }
    bb_compare_mcnemar(b, c, p->n, o->alpha, out);
    return BB_OK;
}

/* ---- exact McNemar and bootstrap results ------------------------------------------ */

/* P(lo <= X <= hi) for X ~ Binomial(n, pi). */
static double binom_range(size_t n, size_t lo, size_t hi, double pi)
{
    if (pi <= 0)
        return lo == 0 ? 1 : 0;
    if (pi >= 1)
        return hi >= n ? 1 : 0;
    double lc = lgamma((double)n + 1), lp = log(pi), lq = log1p(-pi), s = 0;
    for (size_t i = lo; i <= hi && i <= n; i++)
        s += exp(lc - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) + (double)i * lp +
                 (double)(n - i) * lq);
    return fmin(1, s);
}

/* The pi in (0, 1) where f(pi) = target, f monotone (rising: up). */
static double binom_solve(size_t n, size_t k, bool upper_tail, double target)
{
    double lo = 0, hi = 1;
    for (int it = 0; it < 200 && hi - lo > 1e-15; it++) {
        double mid = (lo + hi) / 2;
        double f = upper_tail ? binom_range(n, k, n, mid) : binom_range(n, 0, k, mid);
        /* the upper tail rises with pi, the lower tail falls */
        if ((f < target) == upper_tail)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

void bb_compare_mcnemar(size_t b, size_t c, size_t n, double alpha, struct bb_cmp *out)
{
    size_t d = b + c; /* discordant pairs: c ~ Binomial(d, 1/2) under no difference */
    double p = 1, plo = 0, phi = 1;
    if (d) {
        double tail = fmin(binom_range(d, 0, c, 0.5), binom_range(d, c, d, 0.5));
        p = fmin(1, 2 * tail);
        plo = c == 0 ? 0 : binom_solve(d, c, true, alpha / 2);  /* Clopper-Pearson */
        phi = c == d ? 1 : binom_solve(d, c, false, alpha / 2);
    }
    double w = n ? (double)d / (double)n : 0; /* (c - b) / n = w (2 pi - 1) */
    out->p_value = p;
    out->ci_low = d ? w * (2 * plo - 1) : 0;
    out->ci_high = d ? w * (2 * phi - 1) : 0;
    /* no discordant pair: the two agree on every item, a difference of exactly 0,
       not a test too small to decide (no floor) */
    out->p_floor = d ? fmin(1, ldexp(1.0, 1 - (int)(d < 2000 ? d : 2000))) : NAN;
    out->n_floor = (long)d;
    out->method = BB_CMP_MCNEMAR;
    out->n_paired = (long)n;
    snprintf(out->note, sizeof out->note,
             "McNemar exact binomial test over %zu paired items: %zu right only in A, %zu right "
             "only in B; %g%% CI: the Clopper-Pearson interval of %zu / %zu it inverts",
             n, b, c, 100 * (1 - alpha), c, d);
}

void bb_compare_boot_result(struct bb_cmp *out, const struct bb_paired *r, enum bb_cmp_method m,
                            size_t units)
{
    out->ci_low = r->low, out->ci_high = r->high, out->p_value = r->p_value;
    out->method = m;
    double by_units = units < 2000 ? ldexp(1.0, 1 - (int)units) : 0;
    out->p_floor = fmin(1, fmax(2.0 / (1.0 + r->replicates_used), by_units));
    out->n_floor = (long)units;
}

/* ---- WEAT/SEAT ------------------------------------------------------------------ */

struct weat_test {
    char *name;
    struct bb_weat_cos cos[2]; /* [0] baseline, [1] candidate */
    size_t off;                /* first global index of its X block */
};

struct weat_ctx {
    struct weat_test *t;
    size_t n_tests;
    int side;
    bool abs_mean;  /* mean |d| over the tests (else the single signed d) */
    bool abs_one;   /* |d| of the single test */
    int *scratch;
};

static double weat_stat(const int *idx, size_t n, void *vctx)
{
    (void)n;
    struct weat_ctx *c = vctx;
    double sum = 0;
    for (size_t k = 0; k < c->n_tests; k++) {
        const struct bb_weat_cos *w = &c->t[k].cos[c->side];
        size_t m = w->nx + w->ny + w->na + w->nb;
        for (size_t i = 0; i < m; i++)
            c->scratch[i] = idx[c->t[k].off + i] - (int)c->t[k].off;
        double d = bb_weat_effect_size_idx(w, c->scratch);
        sum += c->abs_mean || c->abs_one ? fabs(d) : d;
    }
    return c->n_tests ? sum / (double)c->n_tests : NAN;
}

/* Parse "X/12" into set index (0..3 for X, Y, A, B) and number. */
static bool parse_ref(const char *s, int *set, size_t *ix)
{
    static const char names[] = "XYAB";
    const char *p = s ? strchr(names, s[0]) : NULL;
    if (!p || !s[0] || s[1] != '/')
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s + 2, &end, 10);
    if (errno || *end || end == s + 2 || v > 1000000)
        return false;
    *set = (int)(p - names);
    *ix = v;
    return true;
}

/* Build the cosine table of test `name` from a __cos.csv table. false: the
 * table has no such test or is not the shape expected. */
static bool weat_cos_from(const struct bb_table *t, const char *name, struct bb_weat_cos *c)
{
    memset(c, 0, sizeof *c);
    int ct = bb_table_col(t, "test"), cta = bb_table_col(t, "target"),
        cat = bb_table_col(t, "attribute"), cc = bb_table_col(t, "cos");
    if (ct < 0 || cta < 0 || cat < 0 || cc < 0)
        return false;
    size_t cnt[4] = {0};
    size_t rows = bb_table_rows(t);
    for (size_t i = 0; i < rows; i++) {
        const char *tn = bb_table_get(t, i, ct);
        int s1, s2;
        size_t i1, i2;
        if (!tn || strcmp(tn, name))
            continue;
        if (!parse_ref(bb_table_get(t, i, cta), &s1, &i1) ||
            !parse_ref(bb_table_get(t, i, cat), &s2, &i2) || s1 > 1 || s2 < 2)
            return false;
        if (i1 + 1 > cnt[s1])
            cnt[s1] = i1 + 1;
        if (i2 + 1 > cnt[s2])
            cnt[s2] = i2 + 1;
    }
    if (!cnt[0] || !cnt[1] || !cnt[2] || !cnt[3])
        return false;
    size_t nt = cnt[0] + cnt[1], nattr = cnt[2] + cnt[3];
    c->cos = malloc(nt * nattr * sizeof *c->cos);
    if (!c->cos)
        return false;
    for (size_t i = 0; i < nt * nattr; i++)
        c->cos[i] = NAN;
    c->nx = cnt[0], c->ny = cnt[1], c->na = cnt[2], c->nb = cnt[3];
    for (size_t i = 0; i < rows; i++) {
        const char *tn = bb_table_get(t, i, ct);
        int s1, s2;
        size_t i1, i2;
        double v;
        if (!tn || strcmp(tn, name))
            continue;
        parse_ref(bb_table_get(t, i, cta), &s1, &i1);
        parse_ref(bb_table_get(t, i, cat), &s2, &i2);
        if (bb_table_get_double(t, i, cc, &v, NULL))
            break;
        size_t r = s1 == 0 ? i1 : cnt[0] + i1, k = s2 == 2 ? i2 : cnt[2] + i2;
        c->cos[r * nattr + k] = v;
    }
    for (size_t i = 0; i < nt * nattr; i++)
        if (!isfinite(c->cos[i])) {
            bb_weat_cos_free(c);
            return false;
        }
    return true;
}

static void weat_tests_free(struct weat_test *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++) {
        free(t[i].name);
        bb_weat_cos_free(&t[i].cos[0]);
        bb_weat_cos_free(&t[i].cos[1]);
    }
    free(t);
}

/* Tests to use: the row's dataset (one test), or with dataset "" every test
 * of the cos table (mean_abs_effect_size). */
static size_t weat_tests(const struct bb_table *ca, const struct bb_table *cb, const char *dataset,
                         struct weat_test **out)
{
    int ct = bb_table_col(ca, "test");
    size_t rows = bb_table_rows(ca), n = 0;
    struct weat_test *t = NULL;
    bool ok = ct >= 0;
    for (size_t i = 0; i < rows && ok; i++) {
        const char *tn = bb_table_get(ca, i, ct);
        if (!tn || (*dataset && strcmp(tn, dataset)))
            continue;
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = !strcmp(t[k].name, tn);
        if (seen)
            continue;
        struct weat_test *q = realloc(t, (n + 1) * sizeof *q);
        if (!q) {
            ok = false;
            break;
        }
        t = q;
        memset(&t[n], 0, sizeof t[n]);
        t[n].name = strdup(tn);
        n++;
        ok = t[n - 1].name && weat_cos_from(ca, tn, &t[n - 1].cos[0]) &&
             weat_cos_from(cb, tn, &t[n - 1].cos[1]);
        if (ok) {
            const struct bb_weat_cos *x = &t[n - 1].cos[0], *y = &t[n - 1].cos[1];
            ok = x->nx == y->nx && x->ny == y->ny && x->na == y->na && x->nb == y->nb;
        }
    }
    if (!ok || !n) {
        weat_tests_free(t, n);
        return 0;
    }
    *out = t;
    return n;
}

static enum bb_status test_weat(const struct bb_table *ca, const struct bb_table *cb,
                                const struct bb_result_row *row, const struct bb_cmp_opts *o,
                                struct bb_cmp *out, struct bb_error *err)
{
    struct weat_test *t = NULL;
    size_t nt = weat_tests(ca, cb, row->dataset, &t);
    if (!nt)
        return BB_OK;
    size_t n_strata = 4 * nt, *sizes = malloc(n_strata * sizeof *sizes), total = 0, maxm = 0;
    size_t minm = SIZE_MAX; /* the words of the smallest test: the units that bound p */
    enum bb_status st = sizes ? BB_OK : bb_fail(err, BB_E_NOMEM, "out of memory");
    for (size_t k = 0; k < nt && !st; k++) {
        const struct bb_weat_cos *w = &t[k].cos[0];
        size_t s[4] = {w->nx, w->ny, w->na, w->nb};
        t[k].off = total;
        for (int j = 0; j < 4; j++)
            sizes[4 * k + (size_t)j] = s[j], total += s[j];
        if (s[0] + s[1] + s[2] + s[3] < minm)
            minm = s[0] + s[1] + s[2] + s[3];
        if (s[0] + s[1] + s[2] + s[3] > maxm)
            maxm = s[0] + s[1] + s[2] + s[3];
    }
    int *scr = st ? NULL : malloc(2 * maxm * sizeof *scr);
    if (!st && !scr)
        st = bb_fail(err, BB_E_NOMEM, "out of memory");
    bool mean_all = !*row->dataset, is_abs = !!strstr(row->metric, "abs");
    struct weat_ctx wb = {t, nt, 1, mean_all, is_abs, scr},
                    wa = {t, nt, 0, mean_all, is_abs, scr + maxm};
    struct bb_bootstrap_opts bo = boot_opts(o);
    struct bb_paired r;
    if (!st && nt == 1 && !is_abs) /* the signed effect size of one test: weat.h's own */
        st = bb_weat_paired_bootstrap(&t[0].cos[1], &t[0].cos[0], &bo, &r, err);
    else if (!st)
        st = bb_stats_paired_bootstrap(sizes, n_strata, weat_stat, &wb, weat_stat, &wa, &bo, &r,
                                       err);
    if (!st) {
        bb_compare_boot_result(out, &r, BB_CMP_WEAT, minm);
        out->n_paired = (long)total;
        snprintf(out->note, sizeof out->note,
                 "paired item bootstrap over %zu test(s): X, Y, A, B resampled once per replicate, "
                 "both effect sizes recomputed (%d replicates)",
                 nt, r.replicates_used);
    }
    free(scr);
    free(sizes);
    weat_tests_free(t, nt);
    return st;
}

/* ---- counterfactual gaps ----------------------------------------------------------- */

/* One grouping (factors F) of the joined counterfactual items: the mean score
 * of each group in each set, per side. */
struct cf_grouping {
    size_t n_sets, ng;
    char **keys;         /* group keys: the items' F values joined by '&' */
    double *m[2];        /* (n_sets, ng) mean score; NAN when the set lacks the group */
    long pair[2];        /* the one pair of a score_gap row; -1: every pair, max |gap| */
};

struct cf_ctx {
    struct cf_grouping *g;
    size_t n;
    int side;
};

static void cf_free(struct cf_grouping *g, size_t n)
{
    for (size_t i = 0; g && i < n; i++) {
        for (size_t k = 0; k < g[i].ng; k++)
            free(g[i].keys[k]);
        free(g[i].keys);
        free(g[i].m[0]);
        free(g[i].m[1]);
    }
    free(g);
}

/* Mean over the resampled sets of (mean_g1 - mean_g2), sets lacking either skipped. */
static double cf_pair_gap(const struct cf_grouping *g, int side, const int *idx, size_t n,
                          size_t g1, size_t g2)
{
    double s = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const double *row = g->m[side] + (size_t)idx[i] * g->ng;
        if (isfinite(row[g1]) && isfinite(row[g2]))
            s += row[g1] - row[g2], k++;
    }
    return k ? s / (double)k : NAN;
}

static double cf_stat(const int *idx, size_t n, void *vctx)
{
    const struct cf_ctx *c = vctx;
    double best = NAN;
    for (size_t q = 0; q < c->n; q++) {
        const struct cf_grouping *g = &c->g[q];
        if (g->pair[0] >= 0)
            return cf_pair_gap(g, c->side, idx, n, (size_t)g->pair[0], (size_t)g->pair[1]);
        for (size_t a = 0; a < g->ng; a++)
            for (size_t b = a + 1; b < g->ng; b++) {
                double d = fabs(cf_pair_gap(g, c->side, idx, n, a, b));
                if (isfinite(d) && !(d <= best))
                    best = d;
            }
    }
    return best;
}

static long str_index(char ***v, size_t *n, const char *s, bool add)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i], s))
            return (long)i;
    if (!add)
        return -1;
    char **p = realloc(*v, (*n + 1) * sizeof *p);
    if (!p)
        return -2;
    *v = p;
    if (!(p[*n] = strdup(s)))
        return -2;
    return (long)(*n)++;
}

/* The key of item row i under factor columns cols: values joined by '&'. */
static bool cf_key(const struct bb_table *t, size_t i, const int *cols, size_t nf, char *buf,
                   size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t f = 0; f < nf; f++) {
        const char *v = bb_table_get(t, i, cols[f]);
        if (blank(v))
            return false;
        k += (size_t)snprintf(buf + k, k < n ? n - k : 0, "%s%s", f ? "&" : "", v);
    }
    return k < n;
}

/* Build grouping g over factors (names) from items of ta joined to tb. */
static bool cf_build(const struct bb_table *ta, const struct bb_table *tb, char **factors,
                     size_t nf, struct cf_grouping *g)
{
    memset(g, 0, sizeof *g);
    g->pair[0] = g->pair[1] = -1;
    int cols[8], cs = bb_table_col(ta, "set"), cid = bb_table_col(ta, "item_id");
    int sa = bb_table_col(ta, "score"), sb = bb_table_col(tb, "score"),
        idb = bb_table_col(tb, "item_id");
    if (nf == 0 || nf > 8 || cs < 0 || cid < 0 || sa < 0 || sb < 0 || idb < 0)
        return false;
    for (size_t f = 0; f < nf; f++)
        if ((cols[f] = bb_table_col(ta, factors[f])) < 0)
            return false;
    size_t na = bb_table_rows(ta), nb = bb_table_rows(tb), m = 0, n_sets = 0;
    struct id_ix *ix = malloc((nb ? nb : 1) * sizeof *ix);
    long *item_set = malloc((na ? na : 1) * sizeof *item_set),
         *item_g = malloc((na ? na : 1) * sizeof *item_g);
    long *item_b = malloc((na ? na : 1) * sizeof *item_b);
    char **sets = NULL;
    bool ok = ix && item_set && item_g && item_b;
    for (size_t j = 0; ok && j < nb; j++)
        if (bb_table_get(tb, j, idb))
            ix[m++] = (struct id_ix){bb_table_get(tb, j, idb), j};
    if (ok)
        qsort(ix, m, sizeof *ix, id_cmp);
    for (size_t i = 0; ok && i < na; i++) {
        char key[1024];
        struct id_ix q = {bb_table_get(ta, i, cid), 0},
                     *hit = q.id ? bsearch(&q, ix, m, sizeof *ix, id_cmp) : NULL;
        const char *set = bb_table_get(ta, i, cs);
        item_set[i] = -1;
        if (!hit || blank(set) || !cf_key(ta, i, cols, nf, key, sizeof key))
            continue;
        item_set[i] = str_index(&sets, &n_sets, set, true);
        item_g[i] = str_index(&g->keys, &g->ng, key, true);
        item_b[i] = (long)hit->row;
        ok = item_set[i] >= 0 && item_g[i] >= 0;
    }
    size_t cells = n_sets * g->ng;
    double *cnt = ok && cells ? calloc(2 * cells, sizeof *cnt) : NULL;
    for (int s = 0; s < 2 && cnt; s++)
        if (!(g->m[s] = calloc(cells, sizeof(double))))
            ok = false;
    ok = ok && cnt && g->ng >= 2;
    for (size_t i = 0; ok && i < na; i++) {
        if (item_set[i] < 0)
            continue;
        double va, vb;
        if (bb_table_get_double(ta, i, sa, &va, NULL) ||
            bb_table_get_double(tb, (size_t)item_b[i], sb, &vb, NULL)) {
            ok = false;
            break;
        }
        size_t c = (size_t)item_set[i] * g->ng + (size_t)item_g[i];
        g->m[0][c] += va, g->m[1][c] += vb, cnt[c] += 1;
    }
    for (size_t c = 0; ok && c < cells; c++)
        for (int s = 0; s < 2; s++)
            g->m[s][c] = cnt[c] > 0 ? g->m[s][c] / cnt[c] : NAN;
    g->n_sets = n_sets;
    for (size_t k = 0; k < n_sets; k++)
        free(sets[k]);
    free(sets);
    free(cnt);
    free(ix);
    free(item_set);
    free(item_g);
    free(item_b);
    if (ok && n_sets >= 2)
        return true;
    for (size_t k = 0; k < g->ng; k++)
        free(g->keys[k]);
    free(g->keys);
    free(g->m[0]);
    free(g->m[1]);
    memset(g, 0, sizeof *g);
    return false;
}

/* Split "f=v&g=w" into factor names (and values when vals is not NULL). */
static size_t cf_parse(const char *s, char **names, char **vals, size_t max)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    size_t n = 0;
    char *save = NULL;
    for (char *p = strtok_r(buf, "&", &save); p && n < max; p = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(p, '=');
        if (eq)
            *eq = 0;
        if (vals && !eq)
            return 0;
        names[n] = strdup(p);
        if (vals)
            vals[n] = strdup(eq + 1);
        n++;
    }
    return n;
}

static void strs_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
}

/* The factor columns of a counterfactual items file: between `set` and `filler`. */
static size_t cf_factors(const struct bb_table *t, char **names, size_t max)
{
    int cs = bb_table_col(t, "set"), cf = bb_table_col(t, "filler");
    size_t n = 0;
    for (int c = cs + 1; cs >= 0 && cf > cs && c < cf && n < max; c++)
        names[n++] = strdup(bb_table_col_name(t, (size_t)c));
    return n;
}

/* Groupings for a row: score_gap "G1 vs G2" (that pair), max_abs_score_gap of
 * one grouping ("gender", "gender&race") or of all ("all": each factor alone,
 * then all together when there are several). */
static size_t cf_groupings(const struct bb_table *ta, const struct bb_table *tb,
                           const struct bb_result_row *row, struct cf_grouping **out)
{
    char *f[8] = {0}, *v[8] = {0}, *v2[8] = {0}, *f2[8] = {0};
    size_t nf = 0, n = 0, nv = 0;
    struct cf_grouping *g = calloc(9, sizeof *g);
    if (!g)
        return 0;
    if (!strcmp(row->metric, "score_gap")) {
        const char *vs = strstr(row->group, " vs ");
        char first[1024];
        if (vs && (size_t)(vs - row->group) < sizeof first) {
            snprintf(first, sizeof first, "%.*s", (int)(vs - row->group), row->group);
            nf = cf_parse(first, f, v, 8);
            nv = cf_parse(vs + 4, f2, v2, 8);
        }
        if (nf && nf == nv && cf_build(ta, tb, f, nf, &g[0])) {
            char k1[1024] = "", k2[1024] = "";
            for (size_t i = 0, a = 0, b = 0; i < nf; i++) {
                a += (size_t)snprintf(k1 + a, a < sizeof k1 ? sizeof k1 - a : 0, "%s%s",
                                      i ? "&" : "", v[i]);
                b += (size_t)snprintf(k2 + b, b < sizeof k2 ? sizeof k2 - b : 0, "%s%s",
                                      i ? "&" : "", v2[i]);
            }
            g[0].pair[0] = str_index(&g[0].keys, &g[0].ng, k1, false);
            g[0].pair[1] = str_index(&g[0].keys, &g[0].ng, k2, false);
            n = g[0].pair[0] >= 0 && g[0].pair[1] >= 0 ? 1 : 0;
            if (!n)
                cf_free(g, 1), g = NULL;
        }
    } else if (!strcmp(row->group, "all")) {
        nf = cf_factors(ta, f, 8);
        for (size_t i = 0; i < nf && g; i++)
            if (cf_build(ta, tb, &f[i], 1, &g[n]))
                n++;
        if (nf > 1 && g && cf_build(ta, tb, f, nf, &g[n]))
            n++;
    } else {
        nf = cf_parse(row->group, f, NULL, 8);
        if (nf && cf_build(ta, tb, f, nf, &g[0]))
            n = 1;
    }
    strs_free(f, 8), strs_free(v, 8), strs_free(f2, 8), strs_free(v2, 8);
    if (!n) {
        cf_free(g, 9);
        return 0;
    }
    *out = g;
    return n;
}

static enum bb_status test_cf_gap(const struct bb_table *ta, const struct bb_table *tb,
                                  const struct bb_result_row *row, const struct bb_cmp_opts *o,
                                  struct bb_cmp *out, struct bb_error *err)
{
    struct cf_grouping *g = NULL;
    size_t n = cf_groupings(ta, tb, row, &g);
    if (!n)
        return BB_OK;
    size_t sets = g[0].n_sets;
    for (size_t i = 1; i < n; i++)
        if (g[i].n_sets != sets)
            n = 0;
    struct cf_ctx cb = {g, n, 1}, ca = {g, n, 0};
    struct bb_bootstrap_opts bo = boot_opts(o);
    struct bb_paired r;
    enum bb_status st =
        n ? bb_stats_paired_bootstrap(&sets, 1, cf_stat, &cb, cf_stat, &ca, &bo, &r, err) : BB_OK;
    if (n && !st) {
        bb_compare_boot_result(out, &r, BB_CMP_BOOTSTRAP, sets);
        out->n_paired = (long)sets;
        snprintf(out->note, sizeof out->note,
                 "paired bootstrap over %zu counterfactual sets (the same sets resampled for both; "
                 "%s recomputed, %d replicates)", sets,
                 g[0].pair[0] >= 0 ? "the gap" : "every pairwise gap and their maximum |gap|",
                 r.replicates_used);
    }
    cf_free(g, 9);
    return st;
}

/* ---- zero-shot classification: macro-F1 and per-class precision/recall/F1 ---------------- */

struct zs_ctx {
    const int *gold, *pred;  /* label indices per paired item */
    size_t n_labels;
    long cls;                /* the class of a per-class row; -1: macro-F1 */
    int which;               /* 0 precision, 1 recall, 2 f1 (per class) */
    long *tp, *fp, *fn;      /* scratch (n_labels) */
};

/* The zero-shot task's statistics (metrics/classify.h) on paired items. */
static double zs_stat(const int *idx, size_t n, void *vctx)
{
    struct zs_ctx *c = vctx;
    bb_class_counts(c->gold, c->pred, NULL, idx, n, c->n_labels, c->tp, c->fp, c->fn);
    if (c->cls >= 0) {
        long tp = c->tp[c->cls], fp = c->fp[c->cls], fn = c->fn[c->cls];
        if (c->which == 0)
            return bb_class_precision(tp, fp);
        if (c->which == 1)
            return bb_class_recall(tp, fn);
        return bb_class_f1(tp, fp, fn);
    }
    return bb_class_macro_f1(c->tp, c->fp, c->fn, c->n_labels);
}

static enum bb_status test_zs(const struct bb_table *ta, const struct bb_table *tb,
                              const struct bb_result_row *row, const struct bb_cmp_opts *o,
                              struct bb_cmp *out, struct bb_error *err)
{
    int ida = bb_table_col(ta, "item_id"), idb = bb_table_col(tb, "item_id");
    int ga = bb_table_col(ta, "gold"), pa = bb_table_col(ta, "pred"), pb = bb_table_col(tb, "pred");
    if (ida < 0 || idb < 0 || ga < 0 || pa < 0 || pb < 0)
        return BB_OK;
    bool macro = !strcmp(row->metric, "macro_f1");
    if (macro && strcmp(row->group, "all"))
        return BB_OK;
    size_t na = bb_table_rows(ta), nb = bb_table_rows(tb), m = 0, np = 0, nl = 0;
    struct id_ix *ix = malloc((nb ? nb : 1) * sizeof *ix);
    int *iv = malloc(3 * (na ? na : 1) * sizeof *iv);
    char **labels = NULL;
    enum bb_status st = ix && iv ? BB_OK : bb_fail(err, BB_E_NOMEM, "out of memory");
    for (size_t j = 0; !st && j < nb; j++)
        if (bb_table_get(tb, j, idb))
            ix[m++] = (struct id_ix){bb_table_get(tb, j, idb), j};
    if (!st)
        qsort(ix, m, sizeof *ix, id_cmp);
    int *gold = iv, *p_a = iv + na, *p_b = iv + 2 * na;
    for (size_t i = 0; !st && i < na; i++) {
        struct id_ix q = {bb_table_get(ta, i, ida), 0};
        struct id_ix *hit = q.id ? bsearch(&q, ix, m, sizeof *ix, id_cmp) : NULL;
        const char *g = bb_table_get(ta, i, ga), *x = bb_table_get(ta, i, pa);
        const char *y = hit ? bb_table_get(tb, hit->row, pb) : NULL;
        if (!hit || blank(g) || blank(x) || blank(y))
            continue;
        long k[3] = {str_index(&labels, &nl, g, true), str_index(&labels, &nl, x, true),
                     str_index(&labels, &nl, y, true)};
        if (k[0] < 0 || k[1] < 0 || k[2] < 0)
            st = bb_fail(err, BB_E_NOMEM, "out of memory");
        gold[np] = (int)k[0], p_a[np] = (int)k[1], p_b[np] = (int)k[2];
        np++;
    }
    long cls = macro ? -1 : str_index(&labels, &nl, row->group, false);
    long *cnt = !st && nl ? calloc(6 * nl, sizeof *cnt) : NULL;
    if (!st && np >= 3 && cnt && (macro || cls >= 0)) {
        int which = !strcmp(row->metric, "precision") ? 0 : !strcmp(row->metric, "recall") ? 1 : 2;
        struct zs_ctx cb = {gold, p_b, nl, cls, which, cnt, cnt + nl, cnt + 2 * nl};
        struct zs_ctx ca = {gold, p_a, nl, cls, which, cnt + 3 * nl, cnt + 4 * nl, cnt + 5 * nl};
        struct bb_bootstrap_opts bo = boot_opts(o);
        struct bb_paired r;
        /* a class that no model predicts has no precision in any replicate: no
           test (the caller falls back), not an error that stops the comparison */
        struct bb_error e2 = {0};
        enum bb_status bs = bb_stats_paired_bootstrap(&np, 1, zs_stat, &cb, zs_stat, &ca, &bo, &r,
                                                      &e2);
        if (bs == BB_E_NOMEM)
            st = bb_fail(err, bs, "%s", e2.msg);
        if (!bs) {
            bb_compare_boot_result(out, &r, BB_CMP_BOOTSTRAP, np);
            out->n_paired = (long)np;
            snprintf(out->note, sizeof out->note,
                     "paired bootstrap over %zu items (%s recomputed from gold and predicted "
                     "labels, %d replicates)", np, row->metric, r.replicates_used);
        }
    }
    for (size_t k = 0; k < nl; k++)
        free(labels[k]);
    free(labels);
    free(cnt);
    free(ix);
    free(iv);
    return st;
}

/* ---- one pair ------------------------------------------------------------------- */

static void fallback(struct bb_cmp *out, const char *why)
{
    const struct bb_result_row *a = out->a, *b = out->b;
    bool ci = isfinite(a->ci_low) && isfinite(a->ci_high) && isfinite(b->ci_low) &&
              isfinite(b->ci_high);
    if (!ci) {
        out->method = BB_CMP_NONE;
        snprintf(out->note, sizeof out->note, "no test: %s and no confidence intervals", why);
        return;
    }
    out->method = BB_CMP_CI_OVERLAP;
    out->significant = a->ci_high < b->ci_low || b->ci_high < a->ci_low;
    /* no interval for the difference: the verdict reads the two runs' own CIs,
       so those are what the note shows (an interval of the difference made
       some other way could exclude 0 beside "overlap") */
    snprintf(out->note, sizeof out->note,
             "CI non-overlap: %s, so the verdict (unpaired) is whether the two 95%% CIs overlap: "
             "A [%.4g, %.4g], B [%.4g, %.4g] (they %s)",
             why, a->ci_low, a->ci_high, b->ci_low, b->ci_high,
             out->significant ? "do not" : "do");
}

static enum bb_status pair_test(struct bb_rundata *ra, const struct bb_result_row *a,
                                struct bb_rundata *rb, const struct bb_result_row *b,
                                const struct bb_cmp_opts *opt, struct bb_cmp *out,
                                struct bb_error *err)
{
    if (a->kind == BB_KIND_TIMING) {
        fallback(out, "timing metrics have no paired items");
        return BB_OK;
    }
    if (!ra->dir || !rb->dir) {
        fallback(out, !ra->dir ? "the baseline is a bare results.csv (no per-item data)"
                               : "the candidate is a bare results.csv (no per-item data)");
        return BB_OK;
    }
    const struct bb_table *ta, *tb;
    enum bb_metric_test test = bb_metric_test_of(a->metric); /* the metric registry's */
    bool weat = test == BB_TEST_WEAT;
    char xa[300], xb[300];
    enum bb_status st = items_get(ra, a->task, a->model, items_suffix(a, weat, xa, sizeof xa), &ta,
                                  err);
    if (!st)
        st = items_get(rb, b->task, b->model, items_suffix(b, weat, xb, sizeof xb), &tb, err);
    if (st)
        return st;
    if (!ta || !tb) {
        fallback(out, "a per-item file is missing");
        return BB_OK;
    }
    if (weat) {
        if ((st = test_weat(ta, tb, a, opt, out, err)))
            return st;
        if (out->method == BB_CMP_NONE)
            fallback(out, "the cosine tables do not pair up");
        return BB_OK;
    }
    if (bb_compare_lm_handles(ta, a->metric)) { /* likelihood tasks (compare_lm.c) */
        if ((st = bb_compare_lm(ta, tb, a, opt, out, err)))
            return st;
        if (out->method == BB_CMP_NONE)
            fallback(out,
                     out->n_paired ? "fewer than 3 items pair up" : "no items pair up on item_id");
        return BB_OK;
    }
    static const char *const corr_cols[] = {"gold", "cosine"};
    static const char *const acc_cols[] = {"correct"};
    static const char *const score_cols[] = {"score"};
    if (test == BB_TEST_CLASSES) {
        if ((st = test_zs(ta, tb, a, opt, out, err)))
            return st;
        if (out->method == BB_CMP_NONE)
            fallback(out, "the classification items do not pair up");
        return BB_OK;
    }
    if (test == BB_TEST_GAP) {
        if ((st = test_cf_gap(ta, tb, a, opt, out, err)))
            return st;
        if (out->method == BB_CMP_NONE)
            fallback(out, "the counterfactual items do not pair up");
        return BB_OK;
    }
    bool corr = test == BB_TEST_CORR, sp = !strcmp(a->metric, "spearman");
    bool acc = test == BB_TEST_MCNEMAR, ms = test == BB_TEST_MEAN;
    if (!corr && !acc && !ms) {
        fallback(out, "no paired per-item test for this metric");
        return BB_OK;
    }
    struct paired p;
    st = join_items(ta, tb, a->group, corr ? corr_cols : acc ? acc_cols : score_cols, corr ? 2 : 1,
                    &p, err);
    if (st)
        return st;
    out->n_paired = (long)p.n;
    if (p.n < 3)
        fallback(out, p.n ? "fewer than 3 items pair up" : "no items pair up on item_id");
    else if (corr)
        st = test_corr(&p, sp, opt, out, err);
    else if (acc)
        st = test_accuracy(&p, opt, out);
    else
        st = test_mean(&p, opt, out, err);
    paired_free(&p);
    return st;
}

enum bb_status bb_compare_pair(struct bb_rundata *ra, const struct bb_result_row *a,
                               struct bb_rundata *rb, const struct bb_result_row *b,
                               const struct bb_cmp_opts *opt, struct bb_cmp *out,
                               struct bb_error *err)
{
    memset(out, 0, sizeof *out);
    out->a = a, out->b = b;
    out->diff = b->value - a->value;
    out->ci_low = out->ci_high = out->p_value = out->p_adj = out->p_floor = NAN;
    enum bb_status st = pair_test(ra, a, rb, b, opt, out, err);
    if (st || out->method == BB_CMP_NONE || out->method == BB_CMP_CI_OVERLAP)
        return st;
    /* the test's verdict is its interval's; bb_compare_adjust adds BH */
    out->ci_excludes_0 = isfinite(out->ci_low) && isfinite(out->ci_high) &&
                         (out->ci_low > 0 || out->ci_high < 0);
    out->cannot_reach = isfinite(out->p_floor) && out->p_floor >= opt->alpha;
    out->significant = out->ci_excludes_0 && !out->cannot_reach;
    return BB_OK;
}

enum bb_status bb_compare_adjust(struct bb_cmp *v, size_t n, double alpha, struct bb_error *err)
{
    double *p = malloc((n ? n : 1) * 2 * sizeof *p);
    if (!p)
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i].p_value))
            p[m++] = fmin(1.0, fmax(0.0, v[i].p_value));
    enum bb_status st = m ? bb_stats_bh(p, m, p + n, err) : BB_OK;
    for (size_t i = 0, k = 0; i < n && !st; i++) {
        if (!isfinite(v[i].p_value))
            continue;
        v[i].p_adj = p[n + k++];
        v[i].significant = v[i].ci_excludes_0 && !v[i].cannot_reach && v[i].p_adj < alpha;
    }
    free(p);
    return st;
}

struct bb_cmp_opts bb_cmp_opts_default(void)
{
    return (struct bb_cmp_opts){.replicates = 1000, .seed = 0, .alpha = 0.05};
}

enum bb_status bb_compare_runs(struct bb_rundata *a, struct bb_rundata *b,
                               const struct bb_cmp_opts *opt, struct bb_comparison *out,
                               struct bb_error *err)
{
    memset(out, 0, sizeof *out);
    out->alpha = opt->alpha, out->replicates = opt->replicates;
    bool two_models = opt->model_a && opt->model_b;
    out->v = calloc(a->results.n ? a->results.n : 1, sizeof *out->v);
    if (!out->v)
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    enum bb_status st = BB_OK;
    for (size_t i = 0; i < a->results.n && !st; i++) {
        const struct bb_result_row *ra = &a->results.rows[i];
        if (two_models && strcmp(ra->model, opt->model_a))
            continue;
        long j = bb_compare_find(&b->results, ra, opt->ignore_model,
                                 two_models ? opt->model_b : NULL);
        if (j < 0) {
            out->n_only_a++;
            continue;
        }
        st = bb_compare_pair(a, ra, b, &b->results.rows[j], opt, &out->v[out->n], err);
        out->n += !st;
    }
    if (!st)
        st = bb_compare_adjust(out->v, out->n, opt->alpha, err);
    if (!st) {
        size_t nb = 0;
        for (size_t j = 0; j < b->results.n; j++)
            nb += !two_models || !strcmp(b->results.rows[j].model, opt->model_b);
        out->n_only_b = nb > out->n ? nb - out->n : 0;
    }
    if (st)
        bb_comparison_free(out);
    return st;
}

void bb_comparison_free(struct bb_comparison *c)
{
    if (!c)
        return;
    free(c->v);
    memset(c, 0, sizeof *c);
}

const char *bb_cmp_method_name(enum bb_cmp_method m)
{
    switch (m) {
    case BB_CMP_BOOTSTRAP: return "paired bootstrap";
    case BB_CMP_MCNEMAR: return "McNemar";
    case BB_CMP_WEAT: return "paired item bootstrap (WEAT)";
    case BB_CMP_CI_OVERLAP: return "CI non-overlap";
    case BB_CMP_NONE: break;
    }
    return "none";
}
