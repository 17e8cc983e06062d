/* results.c: the long-form results table, and results.csv: writer and reader
 * (results.h). */
#include "metrics/results.h"

#include <csv.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/table.h"
#include "suite/dataset.h"
#include "core/fileout.h"

const char *bb_result_kind_name(enum bb_result_kind k)
{
    switch (k) {
    case BB_KIND_QUALITY: return "quality";
    case BB_KIND_BIAS: return "bias";
    case BB_KIND_TIMING: return "timing";
    }
    return "?";
}

static char *dup_or(const char *s, const char *dflt)
{
    return strdup(s ? s : dflt);
}

enum bb_status bb_results_add(struct bb_results *r, const struct bb_result_row *row,
                              struct bb_error *err)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        struct bb_result_row *p = realloc(r->rows, cap * sizeof *p);
        if (!p)
            return bb_fail(err, BB_E_NOMEM, "out of memory adding a result row");
        r->rows = p;
        r->cap = cap;
    }
    struct bb_result_row *d = &r->rows[r->n];
    *d = *row;
    d->suite = dup_or(row->suite, "");
    d->task = dup_or(row->task, "");
    d->dataset = dup_or(row->dataset, "");
    d->model = dup_or(row->model, "");
    d->variant = dup_or(row->variant, "");
    d->group = dup_or(row->group, "all");
    d->metric = dup_or(row->metric, "");
    d->adjust_method = dup_or(row->adjust_method, "");
    d->perturbation = dup_or(row->perturbation, "");
    if (!d->suite || !d->task || !d->dataset || !d->model || !d->variant || !d->group ||
        !d->metric || !d->adjust_method || !d->perturbation) {
        free(d->suite), free(d->task), free(d->dataset), free(d->model);
        free(d->variant), free(d->group), free(d->metric), free(d->adjust_method);
        free(d->perturbation);
        return bb_fail(err, BB_E_NOMEM, "out of memory adding a result row");
    }
    if (!*d->adjust_method)
        d->p_adjusted = NAN;
    r->n++;
    return BB_OK;
}

void bb_results_free(struct bb_results *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct bb_result_row *d = &r->rows[i];
        free(d->suite), free(d->task), free(d->dataset), free(d->model);
        free(d->variant), free(d->group), free(d->metric), free(d->adjust_method);
        free(d->perturbation);
    }
    free(r->rows);
    memset(r, 0, sizeof *r);
}

static void put_str(FILE *fp, const char *s, int last)
{
    csv_fwrite(fp, s, strlen(s));
    fputc(last ? '\n' : ',', fp);
}

static void put_num(FILE *fp, double v, int last)
{
    if (!isnan(v))
        fprintf(fp, "%.10g", v);
    fputc(last ? '\n' : ',', fp);
}

enum bb_status bb_results_write_csv(const struct bb_results *r, const char *path,
                                    struct bb_error *err)
{
    struct bb_fileout fo;
    enum bb_status st = bb_fileout_open(&fo, path, err);
    if (st)
        return st;
    fputs("suite,task,dataset,model,variant,group,metric,value,ci_low,ci_high,n,p_value,"
          "p_adjusted,adjust_method,small_group,perturbation,higher_is_better,kind,unit\n",
          fo.fp);
    for (size_t i = 0; i < r->n; i++) {
        const struct bb_result_row *d = &r->rows[i];
        bool adj = *d->adjust_method && !isnan(d->p_adjusted);
        put_str(fo.fp, d->suite, 0), put_str(fo.fp, d->task, 0), put_str(fo.fp, d->dataset, 0);
        put_str(fo.fp, d->model, 0), put_str(fo.fp, d->variant, 0), put_str(fo.fp, d->group, 0);
        put_str(fo.fp, d->metric, 0);
        put_num(fo.fp, d->value, 0), put_num(fo.fp, d->ci_low, 0), put_num(fo.fp, d->ci_high, 0);
        fprintf(fo.fp, "%ld,", d->n);
        put_num(fo.fp, d->p_value, 0);
        put_num(fo.fp, adj ? d->p_adjusted : NAN, 0);
        put_str(fo.fp, adj ? d->adjust_method : "", 0);
        fputs(d->small_group == BB_SMALL_YES ? "1," : d->small_group == BB_SMALL_NO ? "0," : ",",
              fo.fp);
        if (d->perturbation && *d->perturbation) /* clean rows: an empty cell */
            csv_fwrite(fo.fp, d->perturbation, strlen(d->perturbation));
        fprintf(fo.fp, ",%s,%s,",
                d->higher_is_better == BB_DIR_HIGHER ? "true"
                : d->higher_is_better == BB_DIR_LOWER ? "false" : "",
                bb_result_kind_name(d->kind));
        put_str(fo.fp, bb_metric_unit(d->metric), 1);
    }
    st = bb_fileout_commit(&fo, err);
    bb_fileout_abort(&fo);
    return st;
}

/* ---- reader ----------------------------------------------------------------------------- */

static const char *const COLS[] = {"suite",   "task",  "dataset", "model", "variant",
                                   "group",   "metric", "value",  "ci_low", "ci_high",
                                   "n",       "p_value", "higher_is_better", "kind"};
#define N_COLS (sizeof COLS / sizeof COLS[0])

static bool blank(const char *s)
{
    return !s || !*s;
}

static enum bb_status parse_num(const struct bb_table *t, size_t row, int col, double *out,
                                struct bb_error *err)
{
    *out = NAN;
    const char *s = col < 0 ? NULL : bb_table_get(t, row, col);
    return blank(s) ? BB_OK : bb_table_get_double(t, row, col, out, err);
}

/* Row i into r (strings borrowed from t). col[N_COLS], then p_adjusted,
 * adjust_method, perturbation and small_group (-1: an old file without them). */
static enum bb_status parse_row(const struct bb_table *t, size_t i, const int *col,
                                struct bb_result_row *r, struct bb_error *err)
{
    const char *path = bb_table_path(t);
    long line = bb_table_line(t, i);
    const char *s[7];
    for (int k = 0; k < 7; k++)
        s[k] = bb_table_get(t, i, col[k]);
    if (blank(s[1]) || blank(s[6]))
        return bb_fail(err, BB_E_INPUT, "%s:%ld: column '%s': expected a name, found an empty cell",
                       path, line, blank(s[1]) ? "task" : "metric");
    memset(r, 0, sizeof *r);
    r->suite = (char *)s[0], r->task = (char *)s[1], r->dataset = (char *)s[2];
    r->model = (char *)s[3], r->variant = (char *)s[4], r->group = (char *)s[5];
    r->metric = (char *)s[6];
    /* an empty value is a statistic undefined on this run's items (NaN as the
       writer writes it: precision of a never-predicted class, S_DIS without a
       non-unknown answer); it compares as missing */
    double n = NAN;
    enum bb_status st;
    if ((st = parse_num(t, i, col[7], &r->value, err)) ||
        (st = parse_num(t, i, col[8], &r->ci_low, err)) ||
        (st = parse_num(t, i, col[9], &r->ci_high, err)) ||
        (st = parse_num(t, i, col[10], &n, err)) ||
        (st = parse_num(t, i, col[11], &r->p_value, err)) ||
        (st = parse_num(t, i, col[14], &r->p_adjusted, err)))
        return st;
    if (isfinite(n) && (n < 0 || n > 9.0e15 || n != floor(n)))
        return bb_fail(err, BB_E_INPUT, "%s:%ld: column 'n': %g is not a whole count", path,
                       line, n);
    r->n = isfinite(n) ? (long)n : 0;
    r->adjust_method = col[15] < 0 ? NULL : (char *)bb_table_get(t, i, col[15]);
    r->perturbation = col[16] < 0 ? NULL : (char *)bb_table_get(t, i, col[16]);
    const char *small = col[17] < 0 ? NULL : bb_table_get(t, i, col[17]);
    if (blank(small))
        r->small_group = BB_SMALL_UNSET;
    else if (!strcmp(small, "0") || !strcmp(small, "1"))
        r->small_group = *small == '1' ? BB_SMALL_YES : BB_SMALL_NO;
    else
        return bb_fail(err, BB_E_INPUT,
                       "%s:%ld: column 'small_group': expected 0, 1 or empty, found '%s'", path,
                       line, small);
    const char *hib = bb_table_get(t, i, col[12]), *kind = bb_table_get(t, i, col[13]);
    if (blank(hib))
        r->higher_is_better = BB_DIR_NONE;
    else if (!strcmp(hib, "true"))
        r->higher_is_better = BB_DIR_HIGHER;
    else if (!strcmp(hib, "false"))
        r->higher_is_better = BB_DIR_LOWER;
    else
        return bb_fail(
            err, BB_E_INPUT,
            "%s:%ld: column 'higher_is_better': expected true, false or empty, found '%s'", path,
            line, hib);
    if (kind && !strcmp(kind, "quality"))
        r->kind = BB_KIND_QUALITY;
    else if (kind && !strcmp(kind, "bias"))
        r->kind = BB_KIND_BIAS;
    else if (kind && !strcmp(kind, "timing"))
        r->kind = BB_KIND_TIMING;
    else
        return bb_fail(err, BB_E_INPUT,
                       "%s:%ld: column 'kind': expected quality, bias or timing, found '%s'", path,
                       line, kind ? kind : "");
    return BB_OK;
}

/* An old file's adjusted-p row: "<base>_p_<method>" (*base_len = length of
 * base) or "p_<method>" (*base_len = 0); its method, or NULL when m is not one. */
static const char *old_adjusted(const char *m, size_t *base_len)
{
    static const char *const methods[] = {"holm", "bh"};
    size_t len = strlen(m);
    for (int k = 0; k < 2; k++) {
        size_t ml = strlen(methods[k]);
        if (len == ml + 2 && !strncmp(m, "p_", 2) && !strcmp(m + 2, methods[k])) {
            *base_len = 0;
            return methods[k];
        }
        if (len > ml + 3 && !strncmp(m + len - ml - 3, "_p_", 3) &&
            !strcmp(m + len - ml, methods[k])) {
            *base_len = len - ml - 3;
            return methods[k];
        }
    }
    return NULL;
}

static bool same_cell(const struct bb_result_row *a, const struct bb_result_row *b)
{
    return !strcmp(a->task, b->task) && !strcmp(a->model, b->model) &&
           !strcmp(a->variant, b->variant) && !strcmp(a->group, b->group) &&
           !strcmp(a->dataset, b->dataset);
}

/* Old format: fold the adjusted-p rows of rows[0..n) into the rows they
 * adjust (rows with a p-value in the same cell: metric <base>, or for
 * "p_<method>" every effect-size metric), then drop them. */
static enum bb_status fold_old(struct bb_result_row *rows, size_t *n, struct bb_error *err)
{
    char *drop = calloc(*n ? *n : 1, 1);
    if (!drop)
        return bb_fail(err, BB_E_NOMEM, "out of memory reading results.csv");
    for (size_t k = 0; k < *n; k++) {
        size_t bl;
        const char *method = old_adjusted(rows[k].metric, &bl);
        if (!method)
            continue;
        drop[k] = 1;
        for (size_t i = 0; i < *n; i++) {
            struct bb_result_row *r = &rows[i];
            size_t b2;
            if (i == k || isnan(r->p_value) || !same_cell(r, &rows[k]) ||
                old_adjusted(r->metric, &b2))
                continue;
            bool named = bl && strlen(r->metric) == bl && !strncmp(r->metric, rows[k].metric, bl);
            bool assoc = !bl && strstr(r->metric, "effect_size");
            if (named || assoc) {
                r->p_adjusted = rows[k].value;
                r->adjust_method = (char *)method;
            }
        }
    }
    size_t m = 0;
    for (size_t k = 0; k < *n; k++)
        if (!drop[k])
            rows[m++] = rows[k];
    *n = m;
    free(drop);
    return BB_OK;
}

/* A file written before the small_group column: each "small_group" row (one
 * per counterfactual group) becomes the flag of the rows of its cell and
 * perturbation, and is dropped. */
static void fold_small(struct bb_result_row *rows, size_t *n)
{
    size_t m = 0;
    for (size_t k = 0; k < *n; k++) {
        const struct bb_result_row *f = &rows[k];
        if (strcmp(f->metric, "small_group"))
            continue;
        enum bb_small_group flag =
            isnan(f->value) ? BB_SMALL_UNSET : f->value != 0 ? BB_SMALL_YES : BB_SMALL_NO;
        const char *fp = f->perturbation ? f->perturbation : "";
        for (size_t i = 0; i < *n; i++) {
            struct bb_result_row *r = &rows[i];
            const char *rp = r->perturbation ? r->perturbation : "";
            if (i != k && strcmp(r->metric, "small_group") && same_cell(r, f) && !strcmp(rp, fp))
                r->small_group = flag;
        }
    }
    for (size_t k = 0; k < *n; k++)
        if (strcmp(rows[k].metric, "small_group"))
            rows[m++] = rows[k];
    *n = m;
}

enum bb_status bb_results_read_csv(const char *path, struct bb_results *out,
                                   struct bb_error *err)
{
    struct bb_dataset_spec spec = {.path = path, .format = BB_FORMAT_CSV, .header = BB_HEADER_YES};
    struct bb_table *t = NULL;
    struct bb_result_row *rows = NULL;
    size_t n = 0;
    enum bb_status st = bb_dataset_load(&spec, &t, err);
    if (st)
        return st;
    int col[N_COLS + 4];
    for (size_t k = 0; k < N_COLS && !st; k++)
        if ((col[k] = bb_table_col(t, COLS[k])) < 0)
            st = bb_fail(err, BB_E_INPUT,
                         "%s: not a biasbench results.csv: column '%s' is missing (expected the "
                         "header suite,task,dataset,model,variant,group,metric,value,ci_low,"
                         "ci_high,n,p_value[,p_adjusted,adjust_method][,small_group]"
                         "[,perturbation],"
                         "higher_is_better,kind)",
                         path, COLS[k]);
    col[N_COLS] = bb_table_col(t, "p_adjusted");
    col[N_COLS + 1] = bb_table_col(t, "adjust_method");
    bool old = col[N_COLS] < 0 || col[N_COLS + 1] < 0;
    if (old)
        col[N_COLS] = col[N_COLS + 1] = -1;
    col[N_COLS + 2] = bb_table_col(t, "perturbation");
    col[N_COLS + 3] = bb_table_col(t, "small_group");
    size_t rows_in = st ? 0 : bb_table_rows(t);
    if (!st && !(rows = calloc(rows_in ? rows_in : 1, sizeof *rows)))
        st = bb_fail(err, BB_E_NOMEM, "out of memory reading %s", path);
    for (size_t i = 0; i < rows_in && !st; i++)
        if (!(st = parse_row(t, i, col, &rows[n], err)))
            n++;
    if (!st && old)
        st = fold_old(rows, &n, err);
    if (!st)
        fold_small(rows, &n);
    for (size_t i = 0; i < n && !st; i++)
        st = bb_results_add(out, &rows[i], err);
    if (!st && out->n == 0)
        st = bb_fail(err, BB_E_INPUT, "%s: results.csv has a header but no rows", path);
    free(rows);
    bb_table_free(t);
    return st;
}

void bb_items_name_part(char *out, size_t n, const char *id)
{
    size_t k = 0;
    for (; id && *id && k + 1 < n; id++) {
        char c = *id;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        out[k++] = ok ? c : '_';
    }
    out[k] = 0;
}
