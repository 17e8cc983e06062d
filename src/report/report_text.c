/* report_text.c: the descriptive sections of the audit report: header,
 * intended use, factors, metrics, evaluation data (datasheets), risks and
 * limitations, reproducibility. */
#include "config.h"

#include <math.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics/table.h"
#include "report/report_view.h"
#include "core/version.h"

#define FILL "[TO FILL IN: "

static const char *or_fill(const char *s, const char *what, char *buf, size_t n)
{
    if (s && *s)
        return s;
    snprintf(buf, n, FILL "%s]", what);
    return buf;
}

static const json_t *mget(const struct bb_rep *R, const char *key)
{
    return R->manifest ? json_object_get(R->manifest, key) : NULL;
}

/* Languages of a string list, comma-joined into buf. */
static const char *join_list(const struct bb_strlist *l, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < l->n && k + 1 < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%s", i ? ", " : "", l->v[i]);
    return buf;
}

/* ---- 1. header ------------------------------------------------------------------------ */

static void header_models(struct bb_rep *R)
{
    const json_t *models = mget(R, "models");
    static const char *const head[] = {"model", "source", "precision",
                                       "exact revision (weights sha256)", "architecture"};
    bb_doc_table(&R->doc, 5, head, NULL);
    size_t shown = 0;
    if (json_is_array(models)) {
        for (size_t i = 0; i < json_array_size(models); i++) {
            const json_t *m = json_array_get(models, i);
            const char *sha = bb_rep_jstr(m, "sha256");
            const char *cells[5] = {bb_rep_jstr(m, "id"), bb_rep_jstr(m, "source"),
                                    bb_rep_jstr(m, "precision"),
                                    sha ? sha : "not recorded (model not loaded)",
                                    bb_rep_jstr(m, "arch")};
            bb_doc_row(&R->doc, 5, cells);
            shown++;
        }
    }
    for (size_t i = 0; !shown && R->suite && i < R->suite->n_models; i++) {
        const struct bb_suite_model *m = &R->suite->models[i];
        const char *cells[5] = {m->id, m->source, bb_suite_precision_name(m->precision),
                                "not recorded (no manifest)", ""};
        bb_doc_row(&R->doc, 5, cells);
        shown++;
    }
    for (size_t i = 0; !shown && i < R->n_models; i++) {
        const char *cells[5] = {R->models[i], "", "", "not recorded (no manifest)", ""};
        bb_doc_row(&R->doc, 5, cells);
    }
    bb_doc_table_end(&R->doc);
}

enum bb_status bb_rep_section_header(struct bb_rep *R, struct bb_error *err)
{
    (void)err;
    const struct bb_suite_metadata *md = R->suite ? &R->suite->metadata : NULL;
    const json_t *bb = mget(R, "biasbench");
    char buf[512], b2[256];
    const char *user = getenv("USER");
    const struct passwd *pw = user && *user ? NULL : getpwuid(getuid());
    if (pw && pw->pw_name)
        user = pw->pw_name;
    bb_doc_h(&R->doc, 2, "header", "1. Header");
    header_models(R);
    bb_doc_kv(&R->doc, "Suite", "%s%s%s", R->suite && R->suite->name ? R->suite->name : "(none)",
              md && md->description ? ": " : "", md && md->description ? md->description : "");
    bb_doc_kv(&R->doc, "Licence (suite metadata)", "%s",
              or_fill(md ? md->license : NULL, "the model's licence, from its model card", b2,
                      sizeof b2));
    bb_doc_kv(&R->doc, "Languages", "%s",
              md && md->languages.n ? join_list(&md->languages, buf, sizeof buf)
                                    : FILL "the languages evaluated]");
    bb_doc_kv(&R->doc, "Report date", "%s", R->date);
    bb_doc_kv(&R->doc, "Report version", "biasbench audit report format 1, written by "
              "biasbench %s (commit %s)", PACKAGE_VERSION, bb_build_commit());
    bb_doc_kv(&R->doc, "Tool that ran the evaluation", "biasbench %s (commit %s)",
              bb_rep_jstr(bb, "version") ? bb_rep_jstr(bb, "version") : "unknown (no manifest)",
              bb_rep_jstr(bb, "commit") ? bb_rep_jstr(bb, "commit") : "unknown");
    bb_doc_kv(&R->doc, "Run", "started %s, ended %s%s",
              bb_rep_jstr(R->manifest, "start_time") ? bb_rep_jstr(R->manifest, "start_time") : "?",
              bb_rep_jstr(R->manifest, "end_time") ? bb_rep_jstr(R->manifest, "end_time") : "?",
              json_is_false(mget(R, "complete")) ? " (the run did not complete)" : "");
    const char *lp = getenv("BIASBENCH_REPORT_LOCAL_PATHS");
    bool show_user = lp && !strcmp(lp, "1");
    bb_doc_kv(&R->doc, "Who ran it", "suite owner: %s%s%s%s%s",
              md && md->owner ? md->owner : "not given",
              show_user ? "; user: " : "", show_user ? (user && *user ? user : "unknown") : "",
              md && md->contact ? "; contact: " : "", md && md->contact ? md->contact : "");
    bb_doc_end_list(&R->doc);
    return BB_OK;
}

/* ---- 2. intended use --------------------------------------------------------------------- */

enum bb_status bb_rep_section_use(struct bb_rep *R, struct bb_error *err)
{
    (void)err;
    const struct bb_suite_metadata *md = R->suite ? &R->suite->metadata : NULL;
    char b1[256], b2[256];
    bb_doc_h(&R->doc, 2, "intended-use", "2. Intended use and out-of-scope use");
    bb_doc_kv(&R->doc, "Intended use", "%s",
              or_fill(md ? md->intended_use : NULL,
                      "the uses the evaluated model is meant for (suite metadata.intended_use)",
                      b1, sizeof b1));
    bb_doc_kv(&R->doc, "Out-of-scope use", "%s",
              or_fill(md ? md->out_of_scope_use : NULL,
                      "uses the model must not be put to (suite metadata.out_of_scope_use)", b2,
                      sizeof b2));
    bb_doc_end_list(&R->doc);
    if (!md || !md->intended_use || !md->out_of_scope_use)
        bb_doc_p(&R->doc, "The suite does not state all of this; whoever publishes this report "
                 "must fill in the bracketed placeholders.");
    return BB_OK;
}

/* ---- 3. factors --------------------------------------------------------------------------- */

struct charac {
    const char *name;
    const char *const *keys;
};

static const char *const K_GENDER[] = {"gender", "sex", NULL};
static const char *const K_RACE[] = {"race", "ethnic", NULL};
static const char *const K_RELIGION[] = {"religio", NULL};
static const char *const K_AGE[] = {"age", NULL};
static const char *const K_DISAB[] = {"disab", NULL};
static const char *const K_ORIENT[] = {"orientation", "sexuality", NULL};
static const char *const K_NATION[] = {"nation", "origin", "country", NULL};
static const char *const K_SES[] = {"socioeconomic", "ses", "class", "income", NULL};
static const struct charac CHARACS[] = {
    {"sex / gender", K_GENDER},
    {"race / ethnicity", K_RACE},
    {"religion", K_RELIGION},
    {"age", K_AGE},
    {"disability", K_DISAB},
    {"sexual orientation", K_ORIENT},
    {"national origin", K_NATION},
    {"socioeconomic status", K_SES},
};

static bool factor_examined(const struct bb_rep *R, const struct charac *c)
{
    for (size_t t = 0; R->suite && t < R->suite->n_tasks; t++) {
        const struct bb_suite_task *st = &R->suite->tasks[t];
        const struct bb_report_task_view *v = bb_rep_view((int)st->type);
        const struct bb_strlist *fs = v && v->factor_names ? v->factor_names(st) : NULL;
        for (size_t f = 0; fs && f < fs->n; f++)
            for (const char *const *k = c->keys; *k; k++)
                if (strstr(fs->v[f], *k))
                    return true;
    }
    for (size_t i = 0; i < R->res->n; i++) /* group names of the results, e.g. gender=female */
        for (const char *const *k = c->keys; *k; k++) {
            const char *g = R->res->rows[i].group, *eq = strchr(g, '=');
            if (eq && !strncmp(g, *k, strlen(*k)))
                return true;
        }
    return false;
}

/* Unitary groups of one factor seen in the results, joined. */
static void factor_groups(const struct bb_rep *R, const char *task, const char *factor, char *buf,
                          size_t n)
{
    size_t k = 0, flen = strlen(factor);
    buf[0] = 0;
    for (size_t i = 0; i < R->res->n && k + 1 < n; i++) {
        const struct bb_result_row *r = &R->res->rows[i];
        if (strcmp(r->task, task) || strchr(r->group, '&') || strncmp(r->group, factor, flen) ||
            r->group[flen] != '=' || !(bb_rep_is_score(r->metric) || bb_rep_is_rate(r->metric)))
            continue;
        const char *v = r->group + flen + 1;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            const struct bb_result_row *q = &R->res->rows[j];
            seen = !strcmp(q->task, task) && !strcmp(q->group, r->group) &&
                   (bb_rep_is_score(q->metric) || bb_rep_is_rate(q->metric));
        }
        if (!seen)
            k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? ", " : "", v);
    }
}

/* Section 3 for a counterfactual task: its factors and the groups seen per factor. */
void bb_rep_factors_counterfactual(struct bb_rep *R, const struct bb_suite_task *st)
{
    const struct bb_suite_counterfactual *cf = &st->u.counterfactual;
    char groups[1024], fill[512];
    size_t k = 0;
    fill[0] = 0;
    for (size_t f = 0; f < cf->n_fillers && k + 1 < sizeof fill; f++)
        k += (size_t)snprintf(fill + k, sizeof fill - k, "%s{%s} from dataset %s",
                              f ? ", " : "", cf->fillers[f].placeholder,
                              cf->fillers[f].dataset ? cf->fillers[f].dataset->id : "?");
    bb_doc_lead(&R->doc, st->id, "(counterfactual probe): disaggregated by %zu factor(s) "
                "and, where two or more are given, their intersections. Templates are "
                "filled with %s. Group membership is not self-reported: it is the "
                "attribute the filler list assigns to each filler (for first names, "
                "the group the name is commonly perceived to signal, as in the "
                "WEAT/Caliskan name lists). Names are used because they let two "
                "sentences differ only in the group signal, so score differences can be "
                "attributed to it; they are a proxy, and people with a name may not "
                "belong to the group it is listed under.",
                cf->factors.n, fill[0] ? fill : "filler lists");
    for (size_t f = 0; f < cf->factors.n; f++) {
        factor_groups(R, st->id, cf->factors.v[f], groups, sizeof groups);
        bb_doc_kv(&R->doc, cf->factors.v[f], "%s",
                  groups[0] ? groups : "no groups in the results (task not run)");
    }
    bb_doc_end_list(&R->doc);
}

const struct bb_strlist *bb_rep_cf_factors(const struct bb_suite_task *t)
{
    return &t->u.counterfactual.factors;
}

/* Section 3 for an association task: its tests' target sets are the groups. */
void bb_rep_factors_association(struct bb_rep *R, const struct bb_suite_task *st)
{
    char tests[1024];
    size_t k = 0;
    tests[0] = 0;
    for (size_t d = 0; d < st->u.association.n_datasets && k + 1 < sizeof tests; d++)
        k += (size_t)snprintf(tests + k, sizeof tests - k, "%s%s", d ? ", " : "",
                              st->u.association.datasets[d]->id);
    bb_doc_lead(&R->doc, st->id, "(association test, WEAT/SEAT): compares how close the "
                "model puts two target concepts (e.g. names of two groups) to two "
                "attribute concepts (e.g. pleasant vs unpleasant words). Groups are the "
                "target word/sentence sets the test files define, not people: %s.",
                tests[0] ? tests : "(none)");
}

enum bb_status bb_rep_section_factors(struct bb_rep *R, struct bb_error *err)
{
    (void)err;
    bool any = false;
    bb_doc_h(&R->doc, 2, "factors", "3. Factors");
    for (size_t t = 0; R->suite && t < R->suite->n_tasks; t++) {
        const struct bb_suite_task *st = &R->suite->tasks[t];
        const struct bb_report_task_view *v = bb_rep_view((int)st->type);
        if (v && v->factors) {
            v->factors(R, st);
            any = true;
        }
    }
    for (size_t i = 0; i < R->n_tasks; i++) {
        const struct bb_report_task_view *v = bb_rep_task_view(R, R->tasks[i]);
        if (!v || !v->group_column)
            continue;
        for (size_t k = 0; k < R->res->n; k++) {
            const struct bb_result_row *r = &R->res->rows[k];
            if (!strcmp(r->task, R->tasks[i]) && strcmp(r->group, "all") &&
                (!strcmp(r->metric, "spearman") || !strcmp(r->metric, "accuracy"))) {
                bb_doc_lead(&R->doc, R->tasks[i], "reports %s per value of the dataset's group "
                            "column (as the dataset assigns it).", r->metric);
                any = true;
                break;
            }
        }
    }
    if (!any)
        bb_doc_p(&R->doc, "No task of this run disaggregates by a demographic factor, so this "
                 "report shows no group comparisons.");
    char missing[512];
    size_t k = 0;
    missing[0] = 0;
    for (size_t c = 0; c < sizeof CHARACS / sizeof CHARACS[0]; c++)
        if (!factor_examined(R, &CHARACS[c]))
            k += (size_t)snprintf(missing + k, sizeof missing - k, "%s%s", k ? ", " : "",
                                  CHARACS[c].name);
    bb_doc_lead(&R->doc, "Not examined:", "%s. %s",
                missing[0] ? missing : "every characteristic of the list below was probed",
                "Absence from this report is not evidence of absence of bias on these "
                "characteristics.");
    return BB_OK;
}

/* ---- 4. metrics ------------------------------------------------------------------------- */

enum bb_status bb_rep_section_metrics(struct bb_rep *R, struct bb_error *err)
{
    const char **seen = calloc(R->res->n ? R->res->n : 1, sizeof *seen);
    size_t ns = 0;
    if (!seen)
        return bb_fail(err, BB_E_NOMEM, "out of memory listing metrics");
    bb_doc_h(&R->doc, 2, "metrics", "4. Metrics");
    static const char *const head[] = {"metric", "kind", "definition", "direction",
                                       "ideal value", "threshold used", "uncertainty"};
    if (R->res->n)
        bb_doc_table(&R->doc, 7, head, NULL);
    for (size_t i = 0; i < R->res->n; i++) {
        const struct bb_result_row *r = &R->res->rows[i];
        size_t k = 0;
        if (R->aux[i])
            continue; /* adjusted p / small-group annotations: shown in their rows' tables */
        while (k < ns && strcmp(seen[k], r->metric))
            k++;
        if (k < ns)
            continue;
        seen[ns++] = r->metric;
        const struct bb_metric_info *d = bb_metric_find(r->metric);
        const char *cells[7] = {r->metric, bb_result_kind_name(r->kind),
                                d ? d->definition
                                  : "no definition on file (see the task's documentation)",
                                bb_rep_dir(r->higher_is_better), d ? d->ideal_text : "—",
                                d ? d->threshold : "—", d ? d->ci : "—"};
        bb_doc_row(&R->doc, 7, cells);
    }
    if (R->res->n)
        bb_doc_table_end(&R->doc);
    else
        bb_doc_p(&R->doc, "No metric was computed in this run (no results rows).");
    bb_doc_p(&R->doc, "Significance: raw p-values are reported with %s-adjusted p-values "
             "(%s), over each family of tests (one task, model and metric); a result is called "
             "significant when the adjusted p is below alpha = %g. Confidence intervals are "
             "95%%.", bb_suite_correction_name(R->correction),
             R->correction == BB_SUITE_CORRECTION_HOLM ? "Holm-Bonferroni, family-wise error rate"
             : R->correction == BB_SUITE_CORRECTION_BH ? "Benjamini-Hochberg, false discovery rate"
                                                       : "no correction: raw p-values",
             R->alpha);
    free(seen);
    return BB_OK;
}

/* ---- 5. evaluation data ---------------------------------------------------------------- */

struct known_data {
    const char *key, *note;
};

/* Documented noise and criticism of public sets, matched on the path. */
static const struct known_data KNOWN[] = {
    {"stsb", "STS-B gold scores are means of 5 crowd ratings with notable disagreement on "
     "mid-scale pairs; its sources (news, captions, forums) may be in pretraining corpora."},
    {"sick", "SICK-R was built by normalising image captions; its sentences are short and "
     "lexically simple, so it rewards surface overlap."},
    {"sst2", "SST-2 labels come from phrase-level crowd sentiment on movie reviews; the "
     "validation split is small (872) and in English only; widely used for pretraining-era "
     "models, so contamination is likely."},
    {"banking77", "BANKING77 intents have near-duplicate classes (e.g. card arrival vs card "
     "delivery estimate), so some errors are label ambiguity."},
    {"seat", "SEAT (May et al. 2019) fills WEAT word lists into bleached templates; the "
     "authors caution that a non-significant test does not show absence of bias and that "
     "results vary with templates."},
    {"weat", "WEAT word and name lists (Caliskan et al. 2017) are small, US-centric and use "
     "names as proxies for race and gender."},
    {"crows", "CrowS-Pairs has documented reliability problems (Blodgett et al. 2021): many "
     "pairs are not minimal, test unrelated stereotypes or contain errors."},
    {"stereoset", "StereoSet has documented validity problems (Blodgett et al. 2021) and "
     "its test set is not public."},
    {"eec", "The Equity Evaluation Corpus uses a few template types with African-American "
     "and European-American names; coverage of contexts is narrow."},
    {"bbq", "BBQ covers US-centric social biases; its templates were written by the authors."},
    {"winobias", "WinoBias covers binary gender and occupation stereotypes from US labour "
     "statistics only."},
    {"counterfactual", "Authored by the biasbench project; templates and name lists are "
     "small and US-centric; see datasets/README."},
};

static const json_t *manifest_dataset(const struct bb_rep *R, const char *id)
{
    const json_t *a = mget(R, "datasets");
    for (size_t i = 0; json_is_array(a) && i < json_array_size(a); i++) {
        const char *d = bb_rep_jstr(json_array_get(a, i), "id");
        if (d && !strcmp(d, id))
            return json_array_get(a, i);
    }
    return NULL;
}

/* How task st uses ds (as its view says), or NULL when it does not. */
static const char *task_data_use(const struct bb_suite_task *st, const struct bb_suite_dataset *ds)
{
    const struct bb_report_task_view *v = bb_rep_view((int)st->type);
    const char *how = NULL, *other = v && v->other_data ? v->other_data(st, ds) : NULL;
    if (st->dataset == ds)
        how = v && v->data_use ? v->data_use : "labelled texts, used as given (first rows "
                                               "when the task sets a limit)";
    return other ? other : how;
}

const char *bb_rep_use_association(const struct bb_suite_task *st,
                                   const struct bb_suite_dataset *ds)
{
    for (size_t d = 0; d < st->u.association.n_datasets; d++)
        if (st->u.association.datasets[d] == ds)
            return "target and attribute sets of one association test, used as given";
    return NULL;
}

const char *bb_rep_use_counterfactual(const struct bb_suite_task *st,
                                      const struct bb_suite_dataset *ds)
{
    const char *how = NULL;
    if (st->u.counterfactual.templates == ds)
        how = "templates, each filled with every combination of fillers";
    for (size_t f = 0; f < st->u.counterfactual.n_fillers; f++)
        if (st->u.counterfactual.fillers[f].dataset == ds)
            how = "filler list: entries with their group attributes, substituted into the "
                  "templates";
    return how;
}

/* How the dataset is used and how its instances are built. */
static void dataset_use(const struct bb_rep *R, const struct bb_suite_dataset *ds, char *buf,
                        size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t t = 0; R->suite && t < R->suite->n_tasks && k + 1 < n; t++) {
        const struct bb_suite_task *st = &R->suite->tasks[t];
        const char *how = task_data_use(st, ds);
        if (how)
            k += (size_t)snprintf(buf + k, n - k, "%stask %s (%s): %s", k ? "; " : "", st->id,
                                  bb_suite_task_type_name(st->type), how);
    }
    if (!buf[0])
        snprintf(buf, n, "not used by any task of the suite");
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* Datasets with one datasheet (source, version and licence alike) share a block. */
static bool same_sheet(const struct bb_suite_dataset *a, const struct bb_suite_dataset *b)
{
    const struct bb_suite_datasheet *x = &a->datasheet, *y = &b->datasheet;
    return x->source && same_str(x->source, y->source) && same_str(x->version, y->version) &&
           same_str(x->license, y->license) && same_str(x->known_issues, y->known_issues);
}

/* 1: read by an accuracy task; 2: by a bias probe; 3: both; 0: none. */
static int dataset_kind(const struct bb_rep *R, const struct bb_suite_dataset *ds)
{
    int kind = 0;
    for (size_t t = 0; R->suite && t < R->suite->n_tasks; t++) {
        const struct bb_suite_task *st = &R->suite->tasks[t];
        if (!task_data_use(st, ds))
            continue;
        const struct bb_report_task_view *v = bb_rep_view((int)st->type);
        kind |= v && v->accuracy_data ? 1 : 2;
    }
    return kind;
}

static void file_facts(struct bb_rep *R, const struct bb_suite_dataset *ds, char *file,
                       size_t fn, char *size, size_t sn, const char **sha)
{
    const json_t *m = manifest_dataset(R, ds->id);
    char rel[1024];
    *sha = NULL;
    if (!m) {
        snprintf(file, fn, "%s — not read in this run", bb_rep_path(ds->path, rel, sizeof rel));
        snprintf(size, sn, "—");
        return;
    }
    const json_t *rows = json_object_get(m, "rows"), *skip = json_object_get(m, "skipped_rows");
    const char *path = bb_rep_jstr(m, "path") ? bb_rep_jstr(m, "path") : ds->path;
    snprintf(file, fn, "%s (%s)", bb_rep_path(path, rel, sizeof rel),
             bb_rep_jstr(m, "format") ? bb_rep_jstr(m, "format") : "?");
    snprintf(size, sn, "%lld bytes", (long long)json_integer_value(json_object_get(m, "bytes")));
    if (json_is_integer(rows))
        snprintf(size + strlen(size), sn - strlen(size), ", %lld rows",
                 (long long)json_integer_value(rows));
    if (json_is_integer(skip) && json_integer_value(skip) > 0)
        snprintf(size + strlen(size), sn - strlen(size),
                 ", %lld malformed rows skipped (on_bad_row: skip)",
                 (long long)json_integer_value(skip));
    *sha = bb_rep_jstr(m, "sha256");
}

/* One datasheet block for the datasets ids[0..n) that share a datasheet;
 * each documented criticism (KNOWN) is written once per report. */
static void one_sheet(struct bb_rep *R, const struct bb_suite_dataset *const *dss, size_t n,
                      bool *known_done)
{
    const struct bb_suite_dataset *ds = dss[0];
    const struct bb_suite_datasheet *sh = &ds->datasheet;
    char buf[2048], langs[256], file[1200], size[200], id[300];
    const char *sha;
    bb_rep_anchor(id, sizeof id, "data", ds->id, NULL);
    if (n == 1) {
        bb_doc_h(&R->doc, 3, id, "Dataset %s", ds->id);
    } else {
        size_t k = 0;
        buf[0] = 0;
        for (size_t i = 0; i < n && k + 1 < sizeof buf; i++)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", i ? ", " : "", dss[i]->id);
        bb_doc_h(&R->doc, 3, id, "Datasets from one source (%zu files)", n);
        bb_doc_p(&R->doc, "%s", buf);
    }
    bb_doc_kv(&R->doc, "Source", "%s", sh->source ? sh->source : FILL "where the data comes from]");
    bb_doc_kv(&R->doc, "Version", "%s", sh->version ? sh->version : "not given");
    if (n == 1) {
        file_facts(R, ds, file, sizeof file, size, sizeof size, &sha);
        bb_doc_kv(&R->doc, "File read (relative to the data root)", "%s", file);
        bb_doc_kv(&R->doc, "Checksum (sha256)", "%s", sha ? sha : "not recorded");
        bb_doc_kv(&R->doc, "Size", "%s", size);
    }
    dataset_use(R, ds, buf, sizeof buf);
    bb_doc_kv(&R->doc, "How instances were built", "%s", buf);
    bb_doc_kv(&R->doc, "Languages", "%s",
              sh->languages.n ? join_list(&sh->languages, langs, sizeof langs)
                              : FILL "languages of the data]");
    if (sh->description)
        bb_doc_kv(&R->doc, "Description", "%s", sh->description);
    size_t k = 0;
    buf[0] = 0;
    if (sh->known_issues)
        k += (size_t)snprintf(buf, sizeof buf, "%s", sh->known_issues);
    for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0] && k + 1 < sizeof buf; i++) {
        bool match = false;
        for (size_t d = 0; d < n; d++)
            match |= dss[d]->path && strstr(dss[d]->path, KNOWN[i].key);
        if (!match)
            continue;
        if (known_done[i])
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s(%s: as above.)", k ? " " : "",
                                  KNOWN[i].key);
        else
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s", k ? " " : "", KNOWN[i].note);
        known_done[i] = true;
    }
    bb_doc_kv(&R->doc, "Known noise and criticism", "%s",
              buf[0] ? buf : FILL "documented noise, biases and criticism of this data]");
    bb_doc_kv(&R->doc, "Licence", "%s", sh->license ? sh->license : FILL "the data's licence]");
    if (sh->citation)
        bb_doc_kv(&R->doc, "Citation", "%s", sh->citation);
    int kind = dataset_kind(R, ds);
    bool ours = ds->path && strstr(ds->path, "counterfactual");
    bb_doc_kv(&R->doc, "Possible contamination", "%s",
              ours ? "low: written for this project, though its sentence patterns are common"
              : kind == 1 ? "not assessed: public benchmark data may be in the model's "
                            "pretraining or fine-tuning corpora, which would inflate accuracy"
              : kind == 2 ? "not assessed: a public bias test set may be in the model's "
                            "training data; a model that has seen its sentences can score "
                            "them differently from new text, in either direction, so the "
                            "measured bias may not carry over to other inputs"
                          : "not assessed: public data may be in the model's training corpora");
    bb_doc_end_list(&R->doc);
    if (n > 1) {
        static const char *const head[] = {"dataset", "test / content", "file (relative to the "
                                           "data root)", "size", "sha256"};
        bb_doc_table(&R->doc, 5, head, NULL);
        for (size_t i = 0; i < n; i++) {
            char name[200], base[200];
            /* the test's name from its file name (sent-weat6.jsonl), else the id */
            const char *slash = dss[i]->path ? strrchr(dss[i]->path, '/') : NULL;
            snprintf(base, sizeof base, "%s",
                     slash ? slash + 1 : dss[i]->path ? dss[i]->path : dss[i]->id);
            char *dot = strchr(base, '.');
            if (dot)
                *dot = 0;
            file_facts(R, dss[i], file, sizeof file, size, sizeof size, &sha);
            const char *cells[5] = {dss[i]->id, bb_rep_test_name(base, name, sizeof name),
                                    file, size, sha ? sha : "not recorded"};
            bb_doc_row(&R->doc, 5, cells);
        }
        bb_doc_table_end(&R->doc);
    }
}

enum bb_status bb_rep_section_data(struct bb_rep *R, struct bb_error *err)
{
    bb_doc_h(&R->doc, 2, "evaluation-data", "5. Evaluation data");
    if (!R->suite || !R->suite->n_datasets) {
        bb_doc_p(&R->doc, "The suite defines no datasets (synthetic inputs only, e.g. latency), "
                 "so there is no datasheet to give.");
        return BB_OK;
    }
    size_t nd = R->suite->n_datasets;
    const struct bb_suite_dataset **grp = calloc(nd, sizeof *grp);
    bool *done = calloc(nd, sizeof *done);
    bool known_done[sizeof KNOWN / sizeof KNOWN[0]] = {false};
    if (!grp || !done) {
        free(grp), free(done);
        return bb_fail(err, BB_E_NOMEM, "out of memory grouping datasheets");
    }
    bb_doc_p(&R->doc, "One datasheet block per source: datasets that share a datasheet (e.g. "
             "the files of one test collection) are one block with a table of their files. "
             "Paths are relative to the data root. Fields the suite's datasheet does not give "
             "are marked for the publisher to fill in.");
    for (size_t i = 0; i < nd; i++) {
        if (done[i])
            continue;
        size_t n = 0;
        for (size_t j = i; j < nd; j++)
            if (!done[j] &&
                (j == i || same_sheet(&R->suite->datasets[i], &R->suite->datasets[j]))) {
                grp[n++] = &R->suite->datasets[j];
                done[j] = true;
            }
        one_sheet(R, grp, n, known_done);
    }
    free(grp), free(done);
    return BB_OK;
}

/* ---- 8. risks and limitations ------------------------------------------------------------ */

enum bb_status bb_rep_section_risks(struct bb_rep *R, struct bb_error *err)
{
    (void)err;
    unsigned notes = 0;
    for (size_t i = 0; i < R->n_tasks; i++) {
        const struct bb_report_task_view *v = bb_rep_task_view(R, R->tasks[i]);
        notes |= v ? v->notes : 0;
    }
    bool cf = notes & BB_REP_NOTE_PROXY_GROUPS, assoc = notes & BB_REP_NOTE_ASSOCIATION;
    bb_doc_h(&R->doc, 2, "risks", "8. Risks, limitations and recommendations");
    bb_doc_li(&R->doc, "These probes measure associations and score differences of an encoder on "
              "constructed or benchmark inputs. They cannot show how a system built on the model "
              "treats real people, nor harms that arise downstream (ranking, allocation, "
              "moderation).");
    if (cf)
        bb_doc_li(&R->doc, "Counterfactual templates use group signals (names, terms) as proxies; "
                  "results depend on the templates and lists chosen and do not cover how the "
                  "groups are written about in the wild. A small gap is not proof of fairness.");
    if (assoc)
        bb_doc_li(&R->doc, "WEAT/SEAT effect sizes are known to vary with templates and word "
                  "choice and to correlate weakly with downstream bias; a non-significant test "
                  "does not show absence of bias.");
    if (cf) {
        bb_doc_li(&R->doc, "Impact ratios here follow the four-fifths convention of employment "
                  "selection as a reading aid; they are not a legal compliance determination "
                  "(LL144 and the Uniform Guidelines apply to hiring tools, not to this model).");
        bb_doc_li(&R->doc, "Intersectional cells are smaller than unitary ones; wide CIs and "
                  "cells flagged small must not be read as evidence either way.");
    }
    if (notes & BB_REP_NOTE_ACCURACY)
        bb_doc_li(&R->doc, "Accuracy on public benchmarks may be inflated if the benchmark was in "
                  "the model's training data (see the datasheets of section 5).");
    bb_doc_li(&R->doc, "Only English (or the languages listed in section 1) and only the "
              "characteristics of section 3 were examined.");
    bb_doc_end_list(&R->doc);
    bb_doc_lead(&R->doc, "NIST SP 1270 bias categories.",
                "Statistical/computational bias: touched%s. Systemic bias: touched only "
                "indirectly%s. Human-cognitive bias (of annotators, developers, users): not "
                "examined by these probes.",
                cf || assoc
                    ? " (score and rate disparities between groups, association strength)"
                    : " only through accuracy on benchmark data (no bias probe ran)",
                assoc ? ", through societal stereotypes the association tests "
                                           "find encoded in the model"
                                         : "");
    bb_doc_lead(&R->doc, "Recommendations.",
                "Evaluate the deployed system on its own data and population; treat flagged gaps "
                "and impact ratios below 0.8 as prompts for investigation; rerun this suite on "
                "every model change and gate on it; add the characteristics of section 3 that "
                "were not examined where they matter to the use.");
    return BB_OK;
}

/* ---- 9. reproducibility ---------------------------------------------------------------- */

static void repro_skipped(struct bb_rep *R)
{
    const json_t *a = mget(R, "skipped");
    if (json_is_array(a) && json_array_size(a)) {
        bb_doc_h(&R->doc, 3, "skipped", "Skipped in this run");
        for (size_t i = 0; i < json_array_size(a); i++) {
            const json_t *s = json_array_get(a, i);
            bb_doc_li(&R->doc, "task %s, model %s, %s: %s",
                      bb_rep_jstr(s, "task") ? bb_rep_jstr(s, "task") : "?",
                      bb_rep_jstr(s, "model") ? bb_rep_jstr(s, "model") : "all",
                      bb_rep_jstr(s, "what") ? bb_rep_jstr(s, "what") : "?",
                      bb_rep_jstr(s, "reason") ? bb_rep_jstr(s, "reason") : "?");
        }
        bb_doc_end_list(&R->doc);
    }
}

/* The command line, absolute paths shortened (bb_rep_path) and quoted for a shell. */
static void command_line(const json_t *argv, char *cmd, size_t n)
{
    size_t k = 0;
    cmd[0] = 0;
    for (size_t i = 0; json_is_array(argv) && i < json_array_size(argv) && k + 1 < n; i++) {
        const char *a = json_string_value(json_array_get(argv, i));
        char rel[1024];
        const char *prev = i ? json_string_value(json_array_get(argv, i - 1)) : NULL;
        if (prev && (!strcmp(prev, "--out") || !strcmp(prev, "-o")) && a && a[0] == '/')
            a = "RUN_DIR";
        else if (a && a[0] == '/')
            a = bb_rep_path(a, rel, sizeof rel);
        bool quote = a && (!*a || strpbrk(a, " \t'\"$*?;&|<>()"));
        k += (size_t)snprintf(cmd + k, n - k, quote ? "%s'%s'" : "%s%s", i ? " " : "",
                              a ? a : "");
    }
}

enum bb_status bb_rep_section_repro(struct bb_rep *R, struct bb_error *err)
{
    (void)err;
    bb_doc_h(&R->doc, 2, "reproducibility", "9. Reproducibility");
    if (!R->manifest) {
        bb_doc_p(&R->doc, "The run manifest could not be read (%s), so the command line, seeds, "
                 "device and checksums cannot be given here.", R->manifest_err);
        bb_doc_p(&R->doc, "Files of this run: results.csv (every number of this report), items/ "
                 "(per-item scores), charts/ (each chart's PNG, SVG, gnuplot script and data).");
        return BB_OK;
    }
    const json_t *suite = mget(R, "suite"), *argv = mget(R, "command_line");
    const json_t *dev = mget(R, "device"), *seed = mget(R, "seed"), *bb = mget(R, "biasbench");
    char cmd[4096], b1[600], b2[600], rel[1024];
    command_line(argv, cmd, sizeof cmd);
    static const char *const head[] = {"what", "value"};
    bb_doc_table(&R->doc, 2, head, NULL);
#define KV(k, v) do { const char *c_[2] = {(k), (v)}; bb_doc_row(&R->doc, 2, c_); } while (0)
    snprintf(b1, sizeof b1, "biasbench %s, commit %s",
             bb_rep_jstr(bb, "version") ? bb_rep_jstr(bb, "version") : "unknown",
             bb_rep_jstr(bb, "commit") ? bb_rep_jstr(bb, "commit") : "unknown");
    KV("tool version and commit", b1);
    snprintf(b1, sizeof b1, "%s, sha256 %s",
             bb_rep_path(bb_rep_jstr(suite, "path") ? bb_rep_jstr(suite, "path") : "?", rel,
                         sizeof rel),
             bb_rep_jstr(suite, "sha256") ? bb_rep_jstr(suite, "sha256") : "?");
    KV("suite file", b1);
    KV("command line", cmd[0] ? cmd : "not recorded");
    if (json_is_integer(seed))
        snprintf(b1, sizeof b1, "%lld (each task x model derives its own); bootstrap "
                 "replicates %lld", (long long)json_integer_value(seed),
                 (long long)json_integer_value(mget(R, "bootstrap")));
    else
        snprintf(b1, sizeof b1, "not recorded");
    KV("seed", b1);
    snprintf(b1, sizeof b1, "%s (%s), backend %s, platform %s",
             bb_rep_jstr(dev, "name") ? bb_rep_jstr(dev, "name") : "?",
             bb_rep_jstr(dev, "vendor") ? bb_rep_jstr(dev, "vendor") : "?",
             bb_rep_jstr(dev, "backend") ? bb_rep_jstr(dev, "backend") : "?",
             bb_rep_jstr(dev, "platform") ? bb_rep_jstr(dev, "platform") : "?");
    KV("device", b1);
    KV("driver", bb_rep_jstr(dev, "driver") ? bb_rep_jstr(dev, "driver") : "?");
    const json_t *a = mget(R, "models");
    for (size_t i = 0; json_is_array(a) && i < json_array_size(a); i++) {
        const json_t *d = json_array_get(a, i);
        const char *w = bb_rep_jstr(d, "weights_file");
        snprintf(b1, sizeof b1, "model %s", bb_rep_jstr(d, "id") ? bb_rep_jstr(d, "id") : "?");
        snprintf(b2, sizeof b2, "%s%s%s, %s", bb_rep_jstr(d, "sha256") ? "sha256 " : "",
                 bb_rep_jstr(d, "sha256") ? bb_rep_jstr(d, "sha256") : "weights not hashed "
                 "(model not loaded)", w ? "" : "",
                 w ? bb_rep_path(w, rel, sizeof rel) : (bb_rep_jstr(d, "source") ?
                                                         bb_rep_jstr(d, "source") : "?"));
        KV(b1, b2);
    }
    a = mget(R, "datasets");
    for (size_t i = 0; json_is_array(a) && i < json_array_size(a); i++) {
        const json_t *d = json_array_get(a, i);
        snprintf(b1, sizeof b1, "data %s", bb_rep_jstr(d, "id") ? bb_rep_jstr(d, "id") : "?");
        snprintf(b2, sizeof b2, "sha256 %s, %s",
                 bb_rep_jstr(d, "sha256") ? bb_rep_jstr(d, "sha256") : "not recorded",
                 bb_rep_path(bb_rep_jstr(d, "path") ? bb_rep_jstr(d, "path") : "?", rel,
                             sizeof rel));
        KV(b1, b2);
    }
    snprintf(b1, sizeof b1, "started %s, ended %s",
             bb_rep_jstr(R->manifest, "start_time") ? bb_rep_jstr(R->manifest, "start_time") : "?",
             bb_rep_jstr(R->manifest, "end_time") ? bb_rep_jstr(R->manifest, "end_time") : "?");
    KV("run", b1);
#undef KV
    bb_doc_table_end(&R->doc);
    bb_doc_end_list(&R->doc);
    fputs("Everything above, machine-readable, with each file's size and row count: "
          "[manifest.json](manifest.json).\n\n", R->doc.md);
    fputs("<p>Everything above, machine-readable, with each file's size and row count: "
          "<a href=\"manifest.json\">manifest.json</a>.</p>\n", R->doc.html);
    bb_doc_p(&R->doc, "Paths are shown relative to the data root (datasets/) or the model cache "
             "(models/); set BIASBENCH_REPORT_LOCAL_PATHS=1 when writing the report to keep "
             "local paths and the user name. Other files of this run: results.csv (every "
             "number of this report), items/ (per-item scores), charts/ (each chart's PNG and "
             "SVG with its gnuplot script NAME.gp and data NAME.dat; redraw with: cd charts && "
             "gnuplot -e \"fmt='svg'\" NAME.gp).");
    repro_skipped(R);
    return BB_OK;
}
