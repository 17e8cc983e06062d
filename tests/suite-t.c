/* suite-t.c: tests of the YAML suite loader: every value of a full valid
 * suite (with an include), then every malformed suite in tests/suites/bad,
 * whose "# expect: LINE:COL: TEXT" comment lines list the diagnostics the
 * loader must give, in order ("@FILE:LINE:COL: TEXT" for another file). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite/perturb.h"
#include "suite/suite.h"
#include "suite/task_schema.h"
#include "tap.h"

static void check_top(const struct bb_suite *s)
{
    is_string("full-test", s->name, "suite name");
    is_int(1, s->version, "version");
    is_int(1234, (long long)s->seed, "seed");
    is_string("suite-tests", s->metadata.owner, "metadata.owner overrides the include's");
    is_string("MIT", s->metadata.license, "metadata.license comes from the include");
    is_string("production", s->metadata.out_of_scope_use, "metadata.out_of_scope_use");
    is_int(2, (long long)s->metadata.languages.n, "two languages");
    is_string("de", s->metadata.languages.v[1], "second language");
    is_int(16, s->defaults.batch_size, "defaults.batch_size from the include");
    is_int(100, s->defaults.limit, "defaults.limit");
    is_int(BB_SUITE_BACKEND_REF, s->defaults.backend, "defaults.backend");
    is_string("0", s->defaults.device, "defaults.device (quoted number is a string)");
    is_int(200, s->defaults.bootstrap, "defaults.bootstrap from the include");
    is_int(5000, s->defaults.permutations, "defaults.permutations");
    is_double(0.01, s->defaults.alpha, 0, "defaults.alpha");
    is_int(BB_SUITE_CORRECTION_BH, s->defaults.correction, "defaults.correction");
    is_int(2, (long long)s->n_files, "two files read");
}

static void check_models(const struct bb_suite *s)
{
    is_int(2, (long long)s->n_models, "two models (one replaced by id)");
    const struct bb_suite_model *m = bb_suite_find_model(s, "minilm");
    ok(m == &s->models[0], "minilm replaces the include's item in place");
    is_string("all-MiniLM-L6-v2", m ? m->source : NULL, "minilm source from full.yaml");
    is_int(BB_SUITE_F16, m ? (int)m->precision : -1, "minilm precision");
    is_int(128, m ? m->max_seq_len : -1, "minilm max_seq_len");
    is_int(21, m ? m->pos.line : -1, "minilm item line");
    is_int(5, m ? m->pos.col : -1, "minilm item column");
    ok(m && strstr(m->pos.file, "good/full.yaml"), "minilm position names full.yaml");
    m = bb_suite_find_model(s, "base-model");
    ok(m && strstr(m->pos.file, "good/base.yaml") && m->pos.line == 11, "base-model from base.yaml:11");
    is_int(BB_SUITE_F32, m ? (int)m->precision : -1, "default precision f32");
    is_int(0, m ? m->max_seq_len : -1, "default max_seq_len 0");
    ok(!bb_suite_find_model(s, "nope"), "unknown model lookup is NULL");
}

static void check_datasets(const struct bb_suite *s)
{
    is_int(7, (long long)s->n_datasets, "seven datasets (include's first)");
    const struct bb_suite_dataset *d = bb_suite_find_dataset(s, "stsb-test");
    ok(d != NULL, "stsb-test found");
    if (!d)
        return;
    is_int(BB_SUITE_CSV, d->format, "csv from the extension");
    ok(!d->header && d->delimiter == ',', "csv defaults: no header, comma");
    is_int(BB_SUITE_BAD_ROW_SKIP, d->on_bad_row, "on_bad_row skip");
    const struct bb_suite_column *col = bb_suite_dataset_column(d, "score");
    ok(col && col->index == 2 && !col->name, "score is column 2");
    is_int(28, col ? col->pos.line : -1, "column position line");
    is_string("2017", d->datasheet.version, "datasheet.version");
    is_string("Cer et al. 2017", d->datasheet.citation, "datasheet.citation");
    d = bb_suite_find_dataset(s, "sst2");
    ok(d && d->format == BB_SUITE_TSV && d->delimiter == '\t' && d->header, "sst2 tsv with header");
    col = bb_suite_dataset_column(d, "text");
    ok(col && col->index == -1 && col->name && !strcmp(col->name, "sentence"), "text column by name");
    d = bb_suite_find_dataset(s, "reviews");
    ok(d && d->format == BB_SUITE_JSONL && d->delimiter == 0 && d->n_columns == 3, "jsonl dataset");
    d = bb_suite_find_dataset(s, "templates");
    ok(d && d->delimiter == ';', "delimiter ';'");
    d = bb_suite_find_dataset(s, "seat-6");
    ok(d && d->format == BB_SUITE_JSON && d == &s->datasets[0], "seat-6 json, first");
    ok(!bb_suite_dataset_column(d, "s1"), "no such role");
}

static void check_tasks(const struct bb_suite *s)
{
    is_int(7, (long long)s->n_tasks, "seven tasks");
    const struct bb_suite_task *t = bb_suite_find_task(s, "sts");
    ok(t && t->type == BB_TASK_SIMILARITY && t->dataset == bb_suite_find_dataset(s, "stsb-test"),
       "sts: similarity on stsb-test");
    ok(t && t->n_models == 1 && t->models[0] == bb_suite_find_model(s, "minilm"), "sts: minilm only");
    ok(t && t->u.similarity.has_score_range && t->u.similarity.score_min == 0 &&
       t->u.similarity.score_max == 5, "sts: score_range [0, 5]");
    ok(t && t->limit == 100 && t->batch_size == 16, "sts: limit and batch_size from defaults");
    t = bb_suite_find_task(s, "sentiment");
    ok(t && t->type == BB_TASK_ZERO_SHOT && t->limit == 50 && t->batch_size == 8, "sentiment overrides");
    ok(t && t->n_models == 2, "sentiment: every model by default");
    const struct bb_suite_labels *l = t ? &t->u.zero_shot.labels : NULL;
    ok(l && l->n == 2 && !strcmp(l->v[0].name, "positive") && !strcmp(l->v[0].value, "1"),
       "label positive = '1'");
    ok(l && l->v[0].prompts.n == 2 && !strcmp(l->v[0].prompts.v[1], "A great movie."), "prompts");
    ok(l && !strcmp(l->v[1].value, "0"), "plain 0 label value is the string '0'");
    ok(t && t->u.zero_shot.has_positive_label && t->u.zero_shot.positive_label == 1,
       "positive_label is the second label");
    t = bb_suite_find_task(s, "seat");
    ok(t && t->u.association.n_datasets == 2 && t->u.association.permutations == 1000 &&
       t->u.association.datasets[1] == bb_suite_find_dataset(s, "seat-7"), "seat association");
    t = bb_suite_find_task(s, "cf");
    const struct bb_suite_counterfactual *cf = t ? &t->u.counterfactual : NULL;
    ok(cf && cf->templates == bb_suite_find_dataset(s, "templates") && cf->n_fillers == 1 &&
       !strcmp(cf->fillers[0].placeholder, "NAME"), "cf templates and fillers");
    ok(cf && cf->factors.n == 2 && cf->score_type == BB_SCORE_ZERO_SHOT && cf->positive_label == 1 &&
       !strcmp(cf->labels.v[0].value, "pos"), "cf zero-shot score, label value defaults to name");
    t = bb_suite_find_task(s, "cf-sim");
    cf = t ? &t->u.counterfactual : NULL;
    ok(cf && cf->score_type == BB_SCORE_SIMILARITY && cf->prompts.n == 2 && cf->n_fillers == 2,
       "cf-sim similarity score");
    t = bb_suite_find_task(s, "speed");
    const struct bb_suite_latency *lt = t ? &t->u.latency : NULL;
    ok(lt && lt->n_batch_sizes == 2 && lt->batch_sizes[1] == 4 && lt->n_seq_lens == 1 &&
       lt->seq_lens[0] == 32 && lt->warmup == 0 && lt->repetitions == 3, "latency values");
    ok(t && t->models[0] == bb_suite_find_model(s, "base-model"), "latency model order as listed");
    t = bb_suite_find_task(s, "speed-default");
    lt = t ? &t->u.latency : NULL;
    ok(lt && lt->n_batch_sizes == 3 && lt->batch_sizes[2] == 32 && lt->seq_lens[2] == 128 &&
       lt->warmup == 2 && lt->repetitions == 10, "latency defaults");
}

static void check_gates(const struct bb_suite *s)
{
    is_int(2, (long long)s->n_gates, "two gates");
    const struct bb_suite_gate *g = &s->gates[0];
    ok(!strcmp(g->metric, "spearman") && g->task == bb_suite_find_task(s, "sts") &&
       g->model == bb_suite_find_model(s, "minilm"), "gate 0 references");
    ok(g->has_min && g->min == 0.8 && !g->has_max && g->has_max_regression &&
       g->max_regression == 0.02 && g->relative && g->significant, "gate 0 values");
    g = &s->gates[1];
    ok(!g->task && !g->model && g->has_max && g->max == 250 && !g->relative, "gate 1 values");
}

static void test_valid(void)
{
    struct bb_suite *s = NULL;
    struct bb_diagnostics d = {0};
    struct bb_error err = {0};
    enum bb_status st = bb_suite_load(test_src_path("tests/suites/good/full.yaml"), &s, &d, &err);
    if (!is_int(BB_OK, st, "full.yaml loads")) {
        for (size_t i = 0; i < d.n; i++)
            diag("%s", d.v[i].msg);
        bail("cannot test a suite that does not load");
    }
    is_int(0, (long long)d.n, "no diagnostics");
    check_top(s);
    check_models(s);
    check_datasets(s);
    check_tasks(s);
    check_gates(s);
    bb_suite_free(s);
    bb_diagnostics_free(&d);
}

/* ---- malformed suites ---------------------------------------------------------- */

struct expect {
    char file[256];  /* "" = the fixture itself */
    int line, col;
    char text[1024];
};

static size_t read_expects(const char *path, struct expect *ex, size_t max)
{
    FILE *f = fopen(path, "r");
    char buf[2048];
    size_t n = 0;
    while (f && n < max && fgets(buf, sizeof buf, f)) {
        if (strncmp(buf, "# expect: ", 10))
            continue;
        buf[strcspn(buf, "\n")] = '\0';
        char *p = buf + 10;
        struct expect *e = &ex[n];
        e->file[0] = '\0';
        if (*p == '@') {
            size_t len = strcspn(p + 1, ":");
            snprintf(e->file, sizeof e->file, "%.*s", (int)len, p + 1);
            p += 1 + len + 1;
        }
        int used = 0;
        if (sscanf(p, "%d:%d: %n", &e->line, &e->col, &used) != 2 || !used)
            continue;
        snprintf(e->text, sizeof e->text, "%s", p + used);
        n++;
    }
    if (f)
        fclose(f);
    return n;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t ls = strlen(s), lt = strlen(tail);
    return ls >= lt && !strcmp(s + ls - lt, tail);
}

static void test_bad_one(const char *dir, const char *name)
{
    char path[4096];
    struct expect ex[16];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t n = read_expects(path, ex, 16);
    struct bb_suite *s = NULL;
    struct bb_diagnostics d = {0};
    struct bb_error err = {0};
    enum bb_status st = bb_suite_load(path, &s, &d, &err);
    ok(st == BB_E_INPUT && !s && n > 0, "%s: rejected as input error (%zu expected)", name, n);
    is_int((long long)n, (long long)d.n, "%s: number of diagnostics", name);
    for (size_t i = 0; i < n; i++) {
        const struct bb_diag *g = i < d.n ? &d.v[i] : NULL;
        const char *want_file = ex[i].file[0] ? ex[i].file : name;
        bool good = g && ends_with(g->file, want_file) && g->line == ex[i].line &&
                    g->col == ex[i].col && strstr(g->msg, ex[i].text);
        ok(good, "%s: %s:%d:%d: %s", name, want_file, ex[i].line, ex[i].col, ex[i].text);
        if (!good)
            diag("got: %s", g ? g->msg : "(no such diagnostic)");
    }
    for (size_t i = n; i < d.n; i++)
        diag("unexpected: %s", d.v[i].msg);
    if (d.n)
        ok(!strncmp(err.msg, d.v[0].msg, strlen(d.v[0].msg)) &&
           (d.n == 1 ? !err.msg[strlen(d.v[0].msg)] : !!strstr(err.msg, "more error")),
           "%s: err holds the first", name);
    bb_diagnostics_free(&d);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_bad(void)
{
    const char *dir = test_src_path("tests/suites/bad");
    DIR *dp = opendir(dir);
    if (!dp)
        bail("cannot open %s", dir);
    char *names[256];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(dp)) && n < 256;)
        if (ends_with(e->d_name, ".yaml"))
            names[n++] = strdup(e->d_name);
    closedir(dp);
    qsort(names, n, sizeof *names, cmp_names);
    ok(n >= 20, "at least 20 malformed suites (%zu)", n);
    for (size_t i = 0; i < n; i++) {
        test_bad_one(dir, names[i]);
        free(names[i]);
    }
}

/* ---- hostile input: every truncation and seeded byte mutations of full.yaml ---- */

static bool spit(const char *path, const char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    bool good = f && fwrite(buf, 1, len, f) == len;
    if (f)
        good &= fclose(f) == 0;
    return good;
}

/* Load buf as a suite; true when the answer is consistent (ok with no
 * diagnostics, or an input error with at least one). */
static bool load_consistent(const char *path, const char *buf, size_t len)
{
    struct bb_suite *s = NULL;
    struct bb_diagnostics d = {0};
    if (!spit(path, buf, len))
        return false;
    enum bb_status st = bb_suite_load(path, &s, &d, NULL);
    bool good = st == BB_OK ? (s && !d.n) : (st == BB_E_INPUT && !s && d.n > 0);
    for (size_t i = 0; i < d.n; i++)
        good &= d.v[i].line >= 0 && d.v[i].col >= 0 && d.v[i].msg[0];
    bb_suite_free(s);
    bb_diagnostics_free(&d);
    return good;
}

static void test_hostile(void)
{
    size_t len, blen;
    char *full = test_slurp(test_src_path("tests/suites/good/full.yaml"), &len);
    char *base = test_slurp(test_src_path("tests/suites/good/base.yaml"), &blen);
    char path[4200], bpath[4200];
    snprintf(path, sizeof path, "%s/full.yaml", test_tmp_dir());
    snprintf(bpath, sizeof bpath, "%s/base.yaml", test_tmp_dir());
    if (!full || !base || !spit(bpath, base, blen))
        bail("cannot read or copy the full suite");
    size_t bad = 0, n = 0;
    for (size_t cut = 0; cut <= len; cut++, n++)
        bad += !load_consistent(path, full, cut);
    is_int(0, (long long)bad, "%zu truncations of full.yaml answered consistently", n);
    unsigned long long x = 0x9e3779b97f4a7c15ull;
    static const char junk[] = ":-[]{}#&*!|>'\"%@`,? \t\n\x01\xff";
    bad = 0;
    for (n = 0; n < 1000; n++) {
        char *m = malloc(len);
        memcpy(m, full, len);
        for (int k = 0; k < 3; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            m[x % len] = junk[(x >> 32) % (sizeof junk - 1)];
        }
        bad += !load_consistent(path, m, len);
        free(m);
    }
    is_int(0, (long long)bad, "%zu seeded mutations of full.yaml answered consistently", n);
    free(full);
    free(base);
}

/* ---- API details ------------------------------------------------------------------- */

static void test_api(void)
{
    struct bb_suite *s = (struct bb_suite *)1;
    struct bb_diagnostics d = {0};
    struct bb_error err = {0};
    enum bb_status st = bb_suite_load(test_src_path("tests/suites/none.yaml"), &s, &d, &err);
    is_int(BB_E_IO, st, "a missing suite is an i/o error");
    ok(!s, "no suite on failure");
    contains(err.msg, "none.yaml: cannot open suite: No such file", "missing-file message");
    is_int(1, (long long)d.n, "one diagnostic");

    st = bb_suite_load(test_src_path("tests/suites/bad/multiple-errors.yaml"), &s, &d, &err);
    is_int(BB_E_INPUT, st, "multiple-errors.yaml fails");
    ok(d.n >= 5, "diagnostics append to the list (%zu)", d.n);
    contains(err.msg, "more errors)", "err counts the others");
    ok(!strncmp(err.msg, d.v[1].msg, strlen(d.v[1].msg)), "err starts with this load's first");

    FILE *f = tmpfile();
    bb_suite_print_errors(&d, f);
    char buf[8192] = "";
    rewind(f);
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    buf[got] = '\0';
    fclose(f);
    char want[64];
    snprintf(want, sizeof want, "\n%zu errors\n", d.n);
    contains(buf, want, "print_errors ends with the count");
    contains(buf, d.v[2].msg, "print_errors prints each message");
    bb_diagnostics_free(&d);
    ok(d.n == 0 && !d.v, "diagnostics freed");

    st = bb_suite_load(test_src_path("tests/suites/good/doc-examples.yaml"), &s, &d, NULL);
    for (size_t i = 0; i < d.n; i++)
        diag("%s", d.v[i].msg);
    ok(st == BB_OK && s->n_tasks == 7 && s->n_gates == 3, "the documentation's examples load");
    bb_suite_free(s);
    bb_diagnostics_free(&d);

    st = bb_suite_load(test_src_path("tests/suites/good/full.yaml"), &s, NULL, NULL);
    is_int(BB_OK, st, "loads with no diag and no err");
    bb_suite_free(s);
    bb_suite_free(NULL);
    is_string("zero-shot-classification", bb_suite_task_type_name(BB_TASK_ZERO_SHOT), "type name");
    is_string("jsonl", bb_suite_format_name(BB_SUITE_JSONL), "format name");
    char pbuf[64];
    bb_suite_pos_str((struct bb_suite_pos){"a.yaml", 3, 7}, pbuf, sizeof pbuf);
    is_string("a.yaml:3:7", pbuf, "pos_str with a line");
    bb_suite_pos_str((struct bb_suite_pos){"a.yaml", 0, 0}, pbuf, sizeof pbuf);
    is_string("a.yaml", pbuf, "pos_str without one");
}

/* Every task type has a complete row in the suite layer's table (task_schema.c). */
static void test_schema(void)
{
    char types[512] = "";
    size_t used = 0;
    for (int t = 0; t < BB_SUITE_N_TASK_TYPES; t++) {
        const struct bb_suite_task_schema *r = bb_suite_task_schema(t);
        bool unique = true;
        for (int u = 0; r && r->name && u < t; u++)
            unique &= strcmp(r->name, bb_suite_task_type_name(u)) != 0;
        ok(r && (int)r->type == t && r->name && r->name[0] && unique && r->keys[0] &&
               !r->keys[BB_SUITE_TASK_MAX_KEYS - 1] && r->conv && r->check &&
               (!r->extra_dataset || r->check == ts_check_files),
           "task type %d (%s) has a complete row, its name its own", t,
           r && r->name ? r->name : "no row");
        if (r && r->perturb_roles)
            used += (size_t)snprintf(types + used, sizeof types - used, "%s%s", used ? "," : "",
                                     r->name);
    }
    ok(!bb_suite_task_schema(BB_SUITE_N_TASK_TYPES) && !bb_suite_task_schema(-1),
       "no row past the table");
    is_string("?", bb_suite_task_type_name(BB_SUITE_N_TASK_TYPES), "no name past the table");
    /* bb_perturb_task_types keeps its own order: the same set as the rows' */
    char listed[512];
    snprintf(listed, sizeof listed, "%s", bb_perturb_task_types());
    size_t n = 0;
    for (char *w = strtok(listed, ", "); w; w = strtok(NULL, ", ")) {
        const char *hit = strstr(types, w);
        size_t k = strlen(w);
        n++;
        ok(hit && (hit == types || hit[-1] == ',') && (!hit[k] || hit[k] == ','),
           "perturb applies to %s: its row has perturb_roles", w);
    }
    size_t rows = 0;
    for (const char *c = types; *types && c; c = strchr(c + 1, ','))
        rows++;
    is_int((long long)rows, (long long)n, "perturb's type list names every row with roles (%s)",
           types);
}

int main(void)
{
    plan_lazy();
    test_schema();
    test_valid();
    test_bad();
    test_hostile();
    test_api();
    return tap_failures() ? 1 : 0;
}
