/* results.c: the long-form results table and its CSV writer. */
#include "report/results.h"

#include <csv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fileout.h"

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
    if (!d->suite || !d->task || !d->dataset || !d->model || !d->variant || !d->group ||
        !d->metric)
        return bb_fail(err, BB_E_NOMEM, "out of memory adding a result row");
    r->n++;
    return BB_OK;
}

void bb_results_free(struct bb_results *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct bb_result_row *d = &r->rows[i];
        free(d->suite), free(d->task), free(d->dataset), free(d->model);
        free(d->variant), free(d->group), free(d->metric);
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
          "higher_is_better,kind\n", fo.fp);
    for (size_t i = 0; i < r->n; i++) {
        const struct bb_result_row *d = &r->rows[i];
        put_str(fo.fp, d->suite, 0), put_str(fo.fp, d->task, 0), put_str(fo.fp, d->dataset, 0);
        put_str(fo.fp, d->model, 0), put_str(fo.fp, d->variant, 0), put_str(fo.fp, d->group, 0);
        put_str(fo.fp, d->metric, 0);
        put_num(fo.fp, d->value, 0), put_num(fo.fp, d->ci_low, 0), put_num(fo.fp, d->ci_high, 0);
        fprintf(fo.fp, "%ld,", d->n);
        put_num(fo.fp, d->p_value, 0);
        fprintf(fo.fp, "%s,%s\n",
                d->higher_is_better == BB_DIR_HIGHER ? "true"
                : d->higher_is_better == BB_DIR_LOWER ? "false" : "",
                bb_result_kind_name(d->kind));
    }
    st = bb_fileout_commit(&fo, err);
    bb_fileout_abort(&fo);
    return st;
}
