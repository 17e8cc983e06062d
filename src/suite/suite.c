/* suite.c: load a YAML suite (docs/suite-format.md) into struct bb_suite:
 * the typed schema. suite_yaml.c reads the files into one merged node tree
 * with positions; here the tree is checked and converted into the typed
 * structs (references by id, models, datasets, tasks per type through their
 * rows in task_schema.c, gates; scalars and fields through suite_field.c),
 * collecting every problem as a diagnostic; and the lookups. */
#include "suite.h"
#include "suite/perturb.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "suite/suite_field.h"
#include "suite/suite_yaml.h"
#include "suite/task_schema.h"
#include "core/rescache.h"

static const char *const normalization_names[] = {"token", "sum", NULL};
static const char *const average_names[] = {"contexts", "target", NULL};
static const char *const format_names[] = {"csv", "tsv", "jsonl", "json", NULL};
static const char *const backend_names[] = {"opencl", "ref", NULL};
static const char *const correction_names[] = {"holm", "bh", "none", NULL};
static const char *const precision_names[] = {"f32", "f16", NULL};
static const char *const bad_row_names[] = {"error", "skip", NULL};
static const char *const extra_fields_names[] = {"error", "drop", NULL};
static const char *const score_type_names[] = {"zero-shot", "similarity", NULL};

const char *bb_suite_task_type_name(enum bb_suite_task_type t)
{
    const struct bb_suite_task_schema *ts = bb_suite_task_schema(t);
    return ts ? ts->name : "?";
}
const char *bb_suite_format_name(enum bb_suite_format f)
{
    return (unsigned)f < 4 ? format_names[f] : "?";
}
const char *bb_suite_backend_name(enum bb_suite_backend b)
{
    return (unsigned)b < 2 ? backend_names[b] : "?";
}
const char *bb_suite_correction_name(enum bb_suite_correction k)
{
    return (unsigned)k < 3 ? correction_names[k] : "?";
}
const char *bb_suite_precision_name(enum bb_suite_precision p)
{
    return (unsigned)p < 2 ? precision_names[p] : "?";
}

/* ---- references by id --------------------------------------------------------- */

/* Index of the item whose id (a const char * at offset off) is v's text, or -1
 * after reporting "unknown WHAT 'x' (did you mean 'y'?)". */
static long resolve(struct ctx *c, const struct node *v, const char *path, const char *what,
                    const void *base, size_t n, size_t stride, size_t off)
{
    const char *name;
    if (!sf_conv_str(c, v, path, &name))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *id = *(const char *const *)((const char *)base + i * stride + off);
        if (id && !strcmp(id, name))
            return (long)i;
    }
    char hint[256] = "";
    if (n)
        sy_suggest(name, (const char *)base + off, n, stride, hint, sizeof hint);
    if (!hint[0]) {
        size_t used = (size_t)snprintf(hint, sizeof hint, " (defined: ");
        size_t shown = 0;
        for (size_t i = 0; i < n && used < sizeof hint - 8; i++) {
            const char *id = *(const char *const *)((const char *)base + i * stride + off);
            if (id)
                used += (size_t)snprintf(hint + used, sizeof hint - used, "%s%s",
                                         shown++ ? ", " : "", id);
        }
        if (shown && used < sizeof hint - 1)
            snprintf(hint + used, sizeof hint - used, ")");
        else if (!shown)
            snprintf(hint, sizeof hint, " (the suite defines no %ss)", what);
    }
    sy_report(c, v->pos, path, "unknown %s '%s'%s", what, name, hint);
    return -1;
}

static const struct bb_suite_dataset *resolve_dataset(struct ctx *c, const struct node *v,
                                                      const char *path)
{
    long i = resolve(c, v, path, "dataset", c->s->datasets, c->s->n_datasets,
                     sizeof *c->s->datasets, offsetof(struct bb_suite_dataset, id));
    return i < 0 ? NULL : &c->s->datasets[i];
}

static const struct bb_suite_model *resolve_model(struct ctx *c, const struct node *v,
                                                  const char *path)
{
    long i = resolve(c, v, path, "model", c->s->models, c->s->n_models, sizeof *c->s->models,
                     offsetof(struct bb_suite_model, id));
    return i < 0 ? NULL : &c->s->models[i];
}

/* Report an id in items [0, i) equal to items[i]'s (same struct layout). */
static void check_dup_id(struct ctx *c, const void *base, size_t i, size_t stride, size_t id_off,
                         size_t pos_off, const char *path, const char *what)
{
    const char *id = *(const char *const *)((const char *)base + i * stride + id_off);
    const struct bb_suite_pos *pos = (const void *)((const char *)base + i * stride + pos_off);
    for (size_t j = 0; id && j < i; j++) {
        const char *other = *(const char *const *)((const char *)base + j * stride + id_off);
        const struct bb_suite_pos *opos = (const void *)((const char *)base + j * stride + pos_off);
        if (!other || strcmp(other, id))
            continue;
        char p[512];
        sy_join_path(p, sizeof p, path, "id");
        if (opos->file == pos->file)
            sy_report(c, *pos, p, "duplicate %s id '%s' (first defined at line %d)", what, id,
                      opos->line);
        else
            sy_report(c, *pos, p, "duplicate %s id '%s' (first defined at %s:%d)", what, id,
                      opos->file, opos->line);
        return;
    }
}

/* ---- metadata, defaults -------------------------------------------------------- */

static const char *const top_keys[] = {"suite", "version", "seed", "include", "metadata",
                                       "defaults", "models", "datasets", "tasks", "gates",
                                       "perturb", NULL};
static const char *const metadata_keys[] = {"description", "intended_use", "out_of_scope_use",
                                            "owner", "languages", "license", "contact", NULL};
static const char *const defaults_keys[] = {"batch_size", "limit", "backend", "device", "bootstrap",
                                            "permutations", "alpha", "correction", "cache_size",
                                            NULL};
static const char *const model_keys[] = {"id", "source", "precision", "max_seq_len", NULL};
static const char *const dataset_keys[] = {"id", "path", "format", "header", "delimiter",
                                           "columns", "on_bad_row", "extra_fields", "datasheet",
                                           NULL};
static const char *const datasheet_keys[] = {"source", "version", "license", "languages",
                                             "description", "known_issues", "citation", NULL};
static const char *const label_keys[] = {"value", "prompts", "verbalizer", NULL};
static const char *const score_keys[] = {"type", "labels", "positive_label", "prompts", "template",
                                         NULL};
static const char *const gate_keys[] = {"metric", "task", "model", "min", "max",
                                        "max_regression", "relative", "significant", NULL};

static void conv_metadata(struct ctx *c, const struct node *root)
{
    char p[512];
    const struct node *m = sf_fmap(&(struct field){c, root, ""}, "metadata", false, p, sizeof p);
    if (!m)
        return;
    struct bb_suite_metadata *md = &c->s->metadata;
    struct field f = {c, m, "metadata"};
    sy_check_keys(c, m, "metadata", metadata_keys, NULL, NULL);
    sf_fstr(&f, "description", false, &md->description, NULL);
    sf_fstr(&f, "intended_use", false, &md->intended_use, NULL);
    sf_fstr(&f, "out_of_scope_use", false, &md->out_of_scope_use, NULL);
    sf_fstr(&f, "owner", false, &md->owner, NULL);
    sf_fstr(&f, "license", false, &md->license, NULL);
    sf_fstr(&f, "contact", false, &md->contact, NULL);
    sf_fstrlist(&f, "languages", false, true, &md->languages);
}

static void conv_defaults(struct ctx *c, const struct node *root)
{
    struct bb_suite_defaults *d = &c->s->defaults;
    *d = (struct bb_suite_defaults){.batch_size = 32, .limit = 0,
                                    .backend = BB_SUITE_BACKEND_OPENCL, .device = "auto",
                                    .bootstrap = 1000, .permutations = 100000, .alpha = 0.05,
                                    .correction = BB_SUITE_CORRECTION_HOLM};
    char p[512];
    const struct node *m = sf_fmap(&(struct field){c, root, ""}, "defaults", false, p, sizeof p);
    if (!m)
        return;
    struct field f = {c, m, "defaults"};
    int e;
    sy_check_keys(c, m, "defaults", defaults_keys, NULL, NULL);
    sf_flong(&f, "batch_size", 1, BB_BATCH_SIZE_MAX, &d->batch_size);
    sf_flong(&f, "limit", 0, LONG_MAX, &d->limit);
    if (sf_fenum(&f, "backend", backend_names, false, &e))
        d->backend = (enum bb_suite_backend)e;
    if (sf_fstr(&f, "device", false, &d->device, NULL) && !*d->device)
        sy_report(c, sy_map_get(m, "device")->pos, "defaults.device",
               "expected 'auto', a device number or a name, found ''");
    sf_flong(&f, "bootstrap", 0, 10000000, &d->bootstrap);
    sf_flong(&f, "permutations", 1, 1000000000, &d->permutations);
    double alpha;
    if (sf_fdouble(&f, "alpha", &alpha)) {
        if (alpha > 0 && alpha < 1)
            d->alpha = alpha;
        else
            sy_report(c, sy_map_get(m, "alpha")->pos, "defaults.alpha",
                   "expected a number between 0 and 1 (exclusive), found %g", alpha);
    }
    if (sf_fenum(&f, "correction", correction_names, false, &e))
        d->correction = (enum bb_suite_correction)e;
    const char *size;
    struct bb_error se = {0};
    if (sf_fstr(&f, "cache_size", false, &size, NULL) &&
        bb_rescache_parse_size("defaults.cache_size", size, &d->cache_size, &se))
        sy_report(c, sy_map_get(m, "cache_size")->pos, "defaults.cache_size", "%s",
                  strchr(se.msg, ':') ? strchr(se.msg, ':') + 2 : se.msg);
}

/* ---- models ------------------------------------------------------------------ */

static void conv_model(struct ctx *c, const struct node *m, const char *path,
                       struct bb_suite_model *md)
{
    struct field f = {c, m, path};
    int e;
    md->pos = m->pos;
    sy_check_keys(c, m, path, model_keys, NULL, NULL);
    sf_fid(&f, "id", &md->id);
    sf_fstr(&f, "source", true, &md->source, &md->source_pos);
    if (sf_fenum(&f, "precision", precision_names, false, &e))
        md->precision = (enum bb_suite_precision)e;
    sf_flong(&f, "max_seq_len", 0, 1 << 20, &md->max_seq_len);
}

/* The list under key (NULL when absent or not a list); items that are not
 * maps are reported here and skipped by the callers. */
static const struct node *item_list(struct ctx *c, const struct node *root, const char *key,
                                    bool required)
{
    char p[512];
    const struct node *v = sf_fget(&(struct field){c, root, ""}, key, required, p, sizeof p);
    if (!v || !sy_expect_kind(c, v, key, N_SEQ, "a list of maps"))
        return NULL;
    if (!v->n && required) {
        sy_report(c, v->pos, key, "expected a non-empty list, found an empty one");
        return NULL;
    }
    for (size_t i = 0; i < v->n; i++) {
        snprintf(p, sizeof p, "%s[%zu]", key, i);
        sy_expect_kind(c, v->items[i], p, N_MAP, "a map");
    }
    return v;
}

static void conv_models(struct ctx *c, const struct node *root)
{
    const struct node *l = item_list(c, root, "models", true);
    if (!l || !(c->s->models = sy_c_array(c, l->n, sizeof *c->s->models)))
        return;
    c->s->n_models = l->n;
    for (size_t i = 0; i < l->n; i++) {
        char p[64];
        snprintf(p, sizeof p, "models[%zu]", i);
        if (l->items[i]->kind == N_MAP)
            conv_model(c, l->items[i], p, &c->s->models[i]);
        check_dup_id(c, c->s->models, i, sizeof *c->s->models, offsetof(struct bb_suite_model, id),
                     offsetof(struct bb_suite_model, pos), p, "model");
    }
}

/* ---- datasets ------------------------------------------------------------------ */

static bool is_tabular(enum bb_suite_format f)
{
    return f == BB_SUITE_CSV || f == BB_SUITE_TSV;
}

static bool format_from_path(const char *path, enum bb_suite_format *out)
{
    static const struct { const char *ext; enum bb_suite_format f; } map[] = {
        {".csv", BB_SUITE_CSV}, {".tsv", BB_SUITE_TSV}, {".jsonl", BB_SUITE_JSONL},
        {".json", BB_SUITE_JSON}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof map / sizeof *map; i++) {
        if (!strcasecmp(dot, map[i].ext)) {
            *out = map[i].f;
            return true;
        }
    }
    return false;
}

static bool is_role_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!sf_is_id_char(*s) || *s == '.')
            return false;
    return true;
}

static void conv_column(struct ctx *c, const struct bb_suite_dataset *ds, const struct node *key,
                        const struct node *v, const char *path, struct bb_suite_column *col)
{
    char buf[96];
    col->role = key->str;
    col->pos = v->pos;
    col->index = -1;
    if (!is_role_name(key->str))
        sy_report(
            c, key->pos, path,
            "expected a role name (a letter or '_', then letters, digits, '_', '-'), found '%s'",
            key->str);
    if (v->kind != N_SCALAR || !*v->str) {
        sy_report(c, v->pos, path, "expected a column name or a 0-based column number, found %s",
               sy_describe(v, buf, sizeof buf));
        return;
    }
    long idx;
    if (v->plain && sf_parse_long(v->str, &idx)) {
        if (!is_tabular(ds->format))
            sy_report(c, v->pos, path, "%s datasets name their fields; found column number %s",
                   bb_suite_format_name(ds->format), v->str);
        else if (idx < 0 || idx > 100000)
            sy_report(c, v->pos, path, "expected a column number from 0 to 100000, found %ld", idx);
        else
            col->index = idx;
        return;
    }
    col->name = v->str;
    if (is_tabular(ds->format) && !ds->header)
        sy_report(c, v->pos, path,
                  "column name '%s' needs header: true (or give a 0-based column number)", v->str);
}

static void conv_columns(struct ctx *c, const struct node *dm, const char *path,
                         struct bb_suite_dataset *ds)
{
    char p[512];
    const struct node *m = sf_fmap(&(struct field){c, dm, path}, "columns", false, p, sizeof p);
    if (!m || !(ds->columns = sy_c_array(c, m->n, sizeof *ds->columns)))
        return;
    sy_check_dup_keys(c, m, p);
    ds->n_columns = m->n;
    for (size_t i = 0; i < m->n; i++) {
        char cp[600];
        sy_join_path(cp, sizeof cp, p, m->keys[i]->str);
        conv_column(c, ds, m->keys[i], m->items[i], cp, &ds->columns[i]);
    }
}

static void conv_datasheet(struct ctx *c, const struct node *dm, const char *path,
                           struct bb_suite_datasheet *sh)
{
    char p[512];
    const struct node *m = sf_fmap(&(struct field){c, dm, path}, "datasheet", false, p, sizeof p);
    if (!m)
        return;
    struct field f = {c, m, p};
    sy_check_keys(c, m, p, datasheet_keys, NULL, NULL);
    sf_fstr(&f, "source", false, &sh->source, NULL);
    sf_fstr(&f, "version", false, &sh->version, NULL);
    sf_fstr(&f, "license", false, &sh->license, NULL);
    sf_fstr(&f, "description", false, &sh->description, NULL);
    sf_fstr(&f, "known_issues", false, &sh->known_issues, NULL);
    sf_fstr(&f, "citation", false, &sh->citation, NULL);
    sf_fstrlist(&f, "languages", false, true, &sh->languages);
}

/* header and delimiter, which only csv and tsv have. */
static void conv_csv_options(struct ctx *c, const struct node *m, const char *path,
                             struct bb_suite_dataset *ds)
{
    struct field f = {c, m, path};
    char p[512];
    const char *delim;
    ds->delimiter = ds->format == BB_SUITE_CSV ? ',' : ds->format == BB_SUITE_TSV ? '\t' : 0;
    static const char *const tabular_keys[] = {"header", "delimiter", "extra_fields"};
    for (int i = 0; i < 3; i++) {
        const char *key = tabular_keys[i];
        const struct node *v = sf_fget(&f, key, false, p, sizeof p);
        if (v && !is_tabular(ds->format))
            sy_report(c, v->pos, p, "%s applies only to csv and tsv datasets (this one is %s)", key,
                   bb_suite_format_name(ds->format));
    }
    if (!is_tabular(ds->format))
        return;
    sf_fbool(&f, "header", &ds->header);
    int e;
    if (sf_fenum(&f, "extra_fields", extra_fields_names, false, &e))
        ds->drop_extra_fields = e == 1;
    if (sf_fstr(&f, "delimiter", false, &delim, NULL)) {
        sy_join_path(p, sizeof p, path, "delimiter");
        if (strlen(delim) != 1 || strchr("\"\r\n", delim[0]))
            sy_report(c, sy_map_get(m, "delimiter")->pos, p,
                   "expected one character (not a quote or newline), found '%s'", delim);
        else
            ds->delimiter = delim[0];
    }
}

static void conv_dataset(struct ctx *c, const struct node *m, const char *path,
                         struct bb_suite_dataset *ds)
{
    struct field f = {c, m, path};
    int e;
    char p[512];
    ds->pos = m->pos;
    sy_check_keys(c, m, path, dataset_keys, NULL, NULL);
    sf_fid(&f, "id", &ds->id);
    bool have_path = sf_fstr(&f, "path", true, &ds->path, &ds->path_pos);
    if (sf_fenum(&f, "format", format_names, false, &e)) {
        ds->format = (enum bb_suite_format)e;
    } else if (!sy_map_get(m, "format") && have_path && !format_from_path(ds->path, &ds->format)) {
        sy_join_path(p, sizeof p, path, "path");
        sy_report(c, ds->path_pos, p,
                  "cannot tell the format from the name '%s'; set format to one of csv, tsv, "
                  "jsonl, json", ds->path);
    }
    conv_csv_options(c, m, path, ds);
    conv_columns(c, m, path, ds);
    if (sf_fenum(&f, "on_bad_row", bad_row_names, false, &e))
        ds->on_bad_row = (enum bb_suite_on_bad_row)e;
    conv_datasheet(c, m, path, &ds->datasheet);
}

static void conv_datasets(struct ctx *c, const struct node *root)
{
    const struct node *l = item_list(c, root, "datasets", false);
    if (!l || !(c->s->datasets = sy_c_array(c, l->n, sizeof *c->s->datasets)))
        return;
    c->s->n_datasets = l->n;
    for (size_t i = 0; i < l->n; i++) {
        char p[64];
        snprintf(p, sizeof p, "datasets[%zu]", i);
        if (l->items[i]->kind == N_MAP)
            conv_dataset(c, l->items[i], p, &c->s->datasets[i]);
        check_dup_id(c, c->s->datasets, i, sizeof *c->s->datasets,
                     offsetof(struct bb_suite_dataset, id),
                     offsetof(struct bb_suite_dataset, pos), p, "dataset");
    }
}

/* ---- tasks: shared parts ---------------------------------------------------------- */

static const char *const task_common_keys[] = {"id", "type", "models", NULL};

struct type_arg {
    int type;
    char buf[256];
};

static const char *task_key_elsewhere(const char *key, const void *arg)
{
    struct type_arg *ta = (struct type_arg *)arg;
    size_t used = 0;
    ta->buf[0] = '\0';
    for (int t = 0; t < BB_SUITE_N_TASK_TYPES; t++) {
        const struct bb_suite_task_schema *ts = bb_suite_task_schema(t);
        if (sy_in_list(ts->keys, key))
            used += (size_t)snprintf(ta->buf + used, sizeof ta->buf - used, "%s%s",
                                     used ? ", " : "it belongs to tasks of type ", ts->name);
    }
    if (!used)
        return NULL;
    snprintf(ta->buf + used, sizeof ta->buf - used, "; this task is %s",
             bb_suite_task_type_name(ta->type));
    return ta->buf;
}

static void check_task_keys(struct ctx *c, const struct node *m, const char *path, int type)
{
    const char *valid[64];
    size_t n = 0;
    for (size_t i = 0; task_common_keys[i]; i++)
        valid[n++] = task_common_keys[i];
    valid[n] = NULL;
    for (int t = 0; t < BB_SUITE_N_TASK_TYPES; t++) {
        if (type >= 0 && t != type)
            continue;
        const char *const *keys = bb_suite_task_schema(t)->keys;
        for (size_t i = 0; keys[i] && n < 63; i++) {
            if (!sy_in_list(valid, keys[i])) {
                valid[n++] = keys[i];
                valid[n] = NULL;
            }
        }
    }
    struct type_arg ta = {.type = type};
    sy_check_keys(c, m, path, valid, type >= 0 ? task_key_elsewhere : NULL, &ta);
}

static void conv_task_models(struct ctx *c, const struct node *m, const char *path,
                             struct bb_suite_task *t)
{
    char p[512];
    const struct node *v = sf_fget(&(struct field){c, m, path}, "models", false, p, sizeof p);
    if (!v) {
        t->n_models = c->s->n_models;
        t->models = sy_c_array(c, t->n_models, sizeof *t->models);
        for (size_t i = 0; t->models && i < t->n_models; i++)
            t->models[i] = &c->s->models[i];
        return;
    }
    t->models_given = true;
    if (!sy_expect_kind(c, v, p, N_SEQ, "a list of model ids"))
        return;
    if (!v->n) {
        sy_report(c, v->pos, p,
                  "expected a non-empty list of model ids (leave the key out for every model)");
        return;
    }
    if (!(t->models = sy_c_array(c, v->n, sizeof *t->models)))
        return;
    for (size_t i = 0; i < v->n; i++) {
        char ip[600];
        snprintf(ip, sizeof ip, "%s[%zu]", p, i);
        const struct bb_suite_model *md = resolve_model(c, v->items[i], ip);
        for (size_t j = 0; md && j < t->n_models; j++) {
            if (t->models[j] == md) {
                sy_report(c, v->items[i]->pos, ip, "model '%s' is listed twice", md->id);
                md = NULL;
            }
        }
        if (md)
            t->models[t->n_models++] = md;
    }
}

/* A dataset reference that must be csv/tsv/jsonl and map every role in roles. */
static const struct bb_suite_dataset *task_dataset(struct ctx *c, const struct node *v,
                                                   const char *path, const char *task_type,
                                                   const char *const *roles)
{
    const struct bb_suite_dataset *ds = resolve_dataset(c, v, path);
    if (!ds)
        return NULL;
    if (ds->format == BB_SUITE_JSON) {
        sy_report(c, v->pos, path, "dataset '%s' has format json, but %s reads csv, tsv or jsonl",
                  ds->id, task_type);
        return NULL;
    }
    bool good = true;
    for (size_t i = 0; roles[i]; i++) {
        if (bb_suite_dataset_column(ds, roles[i]))
            continue;
        char need[256];
        sy_join_names(roles, sy_list_len(roles), need, sizeof need);
        sy_report(c, v->pos, path,
                  "dataset '%s' has no column for role '%s' (%s needs the roles %s)", ds->id,
                  roles[i], task_type, need);
        good = false;
    }
    return good ? ds : NULL;
}

/* A language-model prompt template: must contain every {name} of need. */
static void conv_template(struct ctx *c, const struct field *f, const char *key, bool required,
                          const char *const *need, const char **out)
{
    char p[512];
    const struct node *v = sf_fget(f, key, required, p, sizeof p);
    if (!v || !sf_conv_str(c, v, p, out))
        return;
    for (size_t i = 0; need && need[i]; i++) {
        char ph[96];
        snprintf(ph, sizeof ph, "{%s}", need[i]);
        if (!strstr(*out, ph))
            sy_report(c, v->pos, p, "template has no %s placeholder (where the %s goes)", ph,
                      need[i]);
    }
}

/* With a template, every label needs a verbalizer. */
static void check_verbalizers(struct ctx *c, const char *path, const struct bb_suite_labels *L,
                              const char *template)
{
    for (size_t i = 0; template && i < L->n; i++) {
        if (L->v[i].verbalizer || !L->v[i].prompts.n)
            continue;
        char p[600];
        sy_join_path(p, sizeof p, path, L->v[i].name);
        sy_report(c, L->v[i].pos, p, "label '%s' has no verbalizer (the task has a template for "
               "language models)", L->v[i].name);
    }
}

/* labels: {name: {value: "1", prompts: [...]}, ...}, at least two. */
static void conv_labels(struct ctx *c, const struct node *v, const char *path,
                        struct bb_suite_labels *out)
{
    if (!sy_expect_kind(c, v, path, N_MAP, "a map of labels (name: {value, prompts})"))
        return;
    sy_check_dup_keys(c, v, path);
    if (v->n < 2)
        sy_report(c, v->pos, path, "expected at least 2 labels, found %zu", v->n);
    if (!(out->v = sy_c_array(c, v->n, sizeof *out->v)))
        return;
    for (size_t i = 0; i < v->n; i++) {
        struct bb_suite_label *l = &out->v[out->n++];
        char p[600];
        sy_join_path(p, sizeof p, path, v->keys[i]->str);
        l->name = v->keys[i]->str;
        l->value = l->name;
        l->pos = v->keys[i]->pos;
        if (!sy_expect_kind(c, v->items[i], p, N_MAP, "a map with keys value, prompts"))
            continue;
        struct field f = {c, v->items[i], p};
        sy_check_keys(c, v->items[i], p, label_keys, NULL, NULL);
        sf_fstr(&f, "value", false, &l->value, NULL);
        sf_fstr(&f, "verbalizer", false, &l->verbalizer, NULL);
        if (l->verbalizer && !l->verbalizer[0])
            sy_report(c, l->pos, p, "verbalizer must not be empty (it is the continuation scored)");
        sf_fstrlist(&f, "prompts", false, false, &l->prompts);
        if (!l->verbalizer && !l->prompts.n && !sy_map_get(v->items[i], "prompts"))
            sy_report(c, v->items[i]->pos, p, "label '%s' needs prompts (sentence encoders) or a "
                   "verbalizer (language models)", l->name);
        for (size_t j = 0; j + 1 < out->n; j++) {
            if (!strcmp(out->v[j].value, l->value)) {
                sy_report(c, l->pos, p, "labels '%s' and '%s' have the same value '%s'",
                       out->v[j].name, l->name, l->value);
                break;
            }
        }
    }
}

/* ---- tasks: per type (each ts_conv_TYPE is the conv of TYPE's row, task_schema.c) ---- */

static const char *const similarity_roles[] = {"s1", "s2", "score", NULL};
static const char *const zero_shot_roles[] = {"text", "label", NULL};
static const char *const template_roles[] = {"template", NULL};
static const char *const filler_roles[] = {"value", NULL};

void ts_conv_similarity(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    char p[512];
    const struct node *v = sf_fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a similarity task", similarity_roles);
    v = sf_fget(f, "score_range", false, p, sizeof p);
    if (!v)
        return;
    struct bb_suite_similarity *s = &t->u.similarity;
    if (v->kind != N_SEQ || v->n != 2) {
        char buf[96];
        sy_report(c, v->pos, p, "expected a list of two numbers [min, max], found %s",
               v->kind == N_SEQ ? "a list of another length" : sy_describe(v, buf, sizeof buf));
        return;
    }
    char ip[600];
    snprintf(ip, sizeof ip, "%s[0]", p);
    bool good = sf_conv_double(c, v->items[0], ip, &s->score_min);
    snprintf(ip, sizeof ip, "%s[1]", p);
    good &= sf_conv_double(c, v->items[1], ip, &s->score_max);
    if (good && !(s->score_min < s->score_max))
        sy_report(c, v->pos, p, "expected min < max, found [%g, %g]", s->score_min, s->score_max);
    s->has_score_range = good && s->score_min < s->score_max;
}

void ts_conv_zero_shot(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    char p[512];
    const struct node *v = sf_fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a zero-shot-classification task", zero_shot_roles);
    struct bb_suite_zero_shot *z = &t->u.zero_shot;
    const struct node *lv = sf_fget(f, "labels", true, p, sizeof p);
    if (lv)
        conv_labels(c, lv, p, &z->labels);
    static const char *const need_text[] = {"text", NULL};
    conv_template(c, f, "template", false, need_text, &z->template);
    if (lv)
        check_verbalizers(c, p, &z->labels, z->template);
    v = sf_fget(f, "positive_label", false, p, sizeof p);
    if (!v || !lv || lv->kind != N_MAP)
        return;
    long i = resolve(c, v, p, "label", z->labels.v, z->labels.n, sizeof *z->labels.v,
                     offsetof(struct bb_suite_label, name));
    z->has_positive_label = i >= 0;
    z->positive_label = i >= 0 ? (size_t)i : 0;
}

void ts_conv_association(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    struct bb_suite_association *a = &t->u.association;
    char p[512];
    a->permutations = c->s->defaults.permutations;
    sf_flong(f, "permutations", 1, 1000000000, &a->permutations);
    const struct node *v = sf_fget(f, "datasets", true, p, sizeof p);
    if (!v || !sy_expect_kind(c, v, p, N_SEQ, "a list of dataset ids"))
        return;
    if (!v->n)
        sy_report(c, v->pos, p, "expected a non-empty list of dataset ids, found an empty one");
    if (!(a->datasets = sy_c_array(c, v->n, sizeof *a->datasets)))
        return;
    for (size_t i = 0; i < v->n; i++) {
        char ip[600];
        snprintf(ip, sizeof ip, "%s[%zu]", p, i);
        const struct bb_suite_dataset *ds = resolve_dataset(c, v->items[i], ip);
        if (ds && ds->format != BB_SUITE_JSON)
            sy_report(c, v->items[i]->pos, ip,
                      "dataset '%s' has format %s; association tests read WEAT/SEAT json files "
                      "(format: json)", ds->id, bb_suite_format_name(ds->format));
        else if (ds)
            a->datasets[a->n_datasets++] = ds;
    }
}

static void conv_fillers(struct ctx *c, const struct node *v, const char *p,
                         struct bb_suite_counterfactual *cf)
{
    if (!sy_expect_kind(c, v, p, N_MAP, "a map of placeholder: dataset id"))
        return;
    sy_check_dup_keys(c, v, p);
    if (!v->n)
        sy_report(c, v->pos, p,
                  "expected at least one placeholder: dataset id, found an empty map");
    if (!(cf->fillers = sy_c_array(c, v->n, sizeof *cf->fillers)))
        return;
    for (size_t i = 0; i < v->n; i++) {
        char ip[600];
        sy_join_path(ip, sizeof ip, p, v->keys[i]->str);
        if (!is_role_name(v->keys[i]->str) || strchr(v->keys[i]->str, '-')) {
            sy_report(c, v->keys[i]->pos, ip,
                      "expected a placeholder name (a letter or '_', then letters, digits, '_'), "
                      "found '%s'", v->keys[i]->str);
            continue;
        }
        const struct bb_suite_dataset *ds =
            task_dataset(c, v->items[i], ip, "a counterfactual filler dataset", filler_roles);
        if (ds)
            cf->fillers[cf->n_fillers++] =
                (struct bb_suite_filler){v->keys[i]->pos, v->keys[i]->str, ds};
    }
}

/* Every factor must be a column role of at least one filler dataset. */
static void check_factors(struct ctx *c, const char *path, struct bb_suite_counterfactual *cf)
{
    for (size_t i = 0; i < cf->factors.n; i++) {
        bool found = false;
        for (size_t j = 0; j < cf->n_fillers && !found; j++)
            found = bb_suite_dataset_column(cf->fillers[j].dataset, cf->factors.v[i]) != NULL;
        if (found || !cf->n_fillers)
            continue;
        char p[600];
        snprintf(p, sizeof p, "%s.factors[%zu]", path, i);
        sy_report(c, cf->factors.pos[i], p,
               "factor '%s' is not a column role of any filler dataset (give it in their columns)",
               cf->factors.v[i]);
    }
}

static void conv_score(struct ctx *c, const struct node *v, const char *p,
                       struct bb_suite_counterfactual *cf)
{
    if (!sy_expect_kind(c, v, p, N_MAP, "a map with keys type, labels, positive_label or prompts"))
        return;
    struct field f = {c, v, p};
    int e = -1;
    sy_check_keys(c, v, p, score_keys, NULL, NULL);
    if (!sf_fenum(&f, "type", score_type_names, true, &e))
        return;
    cf->score_type = (enum bb_suite_score_type)e;
    char kp[600];
    const char *const wrong[2][2] = {{"prompts", NULL}, {"labels", "positive_label"}};
    for (int i = 0; i < 2; i++) {
        const struct node *w = wrong[e][i] ? sf_fget(&f, wrong[e][i], false, kp, sizeof kp) : NULL;
        if (w)
            sy_report(c, w->pos, kp, "applies only when score type is %s", score_type_names[!e]);
    }
    if (cf->score_type == BB_SCORE_SIMILARITY) {
        sf_fstrlist(&f, "prompts", true, false, &cf->prompts);
        return;
    }
    const struct node *lv = sf_fget(&f, "labels", true, kp, sizeof kp);
    if (lv)
        conv_labels(c, lv, kp, &cf->labels);
    static const char *const need_text[] = {"text", NULL};
    conv_template(c, &f, "template", false, need_text, &cf->template);
    if (lv)
        check_verbalizers(c, kp, &cf->labels, cf->template);
    const struct node *pv = sf_fget(&f, "positive_label", true, kp, sizeof kp);
    const char *pos_name;
    if (!pv || !sf_conv_str(c, pv, kp, &pos_name) || !lv || lv->kind != N_MAP)
        return;
    long i = resolve(c, pv, kp, "label", cf->labels.v, cf->labels.n, sizeof *cf->labels.v,
                     offsetof(struct bb_suite_label, name));
    if (i >= 0)
        cf->positive_label = (size_t)i;
}

void ts_conv_counterfactual(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    struct bb_suite_counterfactual *cf = &t->u.counterfactual;
    char p[512];
    const struct node *v = sf_fget(f, "templates", true, p, sizeof p);
    if (v)
        cf->templates = task_dataset(c, v, p, "a counterfactual templates dataset", template_roles);
    v = sf_fget(f, "fillers", true, p, sizeof p);
    if (v)
        conv_fillers(c, v, p, cf);
    if (sf_fstrlist(f, "factors", true, false, &cf->factors))
        check_factors(c, f->path, cf);
    v = sf_fget(f, "score", true, p, sizeof p);
    if (v)
        conv_score(c, v, p, cf);
}

void ts_conv_latency(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    static long default_batches[] = {1, 8, 32}, default_lens[] = {16, 64, 128};
    struct bb_suite_latency *l = &t->u.latency;
    char p[512];
    l->warmup = 2;
    l->repetitions = 10;
    l->n_batch_sizes = 3;
    l->batch_sizes = default_batches;
    l->n_seq_lens = 3;
    l->seq_lens = default_lens;
    const struct node *v = sf_fget(f, "batch_sizes", false, p, sizeof p);
    if (v && !sf_conv_longlist(c, v, p, 1, BB_BATCH_SIZE_MAX, &l->n_batch_sizes, &l->batch_sizes))
        l->n_batch_sizes = 0;
    v = sf_fget(f, "seq_lens", false, p, sizeof p);
    if (v && !sf_conv_longlist(c, v, p, 1, 1 << 20, &l->n_seq_lens, &l->seq_lens))
        l->n_seq_lens = 0;
    sf_flong(f, "warmup", 0, 1000000, &l->warmup);
    sf_flong(f, "repetitions", 1, 1000000, &l->repetitions);
}

/* ---- tasks: likelihood tasks for language models ------------------------------------- */

static const char *const pairs_roles[] = {"more", "less", NULL};
static const char *const pairs_more_roles[] = {"more", NULL};
static const char *const pairs_less_roles[] = {"less", NULL};
static const char *const stereoset_roles[] = {"stereotype", "anti_stereotype", "unrelated",
                                              "domain", NULL};
static const char *const text_roles[] = {"text", NULL};
static const char *const label_roles[] = {"label", NULL};

void ts_conv_pairs(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    struct bb_suite_pairs *pr = &t->u.pairs;
    char p[512];
    const struct node *lv = sf_fget(f, "paired_dataset", false, p, sizeof p);
    if (lv)
        pr->less_dataset = task_dataset(c, lv, p, "a pairs task's paired_dataset",
                                        pairs_less_roles);
    const struct node *v = sf_fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a pairs task",
                                  lv ? pairs_more_roles : pairs_roles);
    sf_fbool(f, "strip_markup", &pr->strip_markup);
    sf_fstr(f, "bias_type", false, &pr->bias_type, NULL);
}

void ts_conv_stereoset(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    struct bb_suite_stereoset *ss = &t->u.stereoset;
    char p[512];
    const struct node *v = sf_fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a stereoset task", stereoset_roles);
    int e = 0;
    if (sf_fenum(f, "normalization", normalization_names, false, &e))
        ss->sum = e == 1;
    e = 0;
    if (sf_fenum(f, "average", average_names, false, &e))
        ss->macro = e == 1;
    if (ss->macro && t->dataset && !bb_suite_dataset_column(t->dataset, "target"))
        sy_report(c, f->m->pos, f->path,
                  "average: target needs a 'target' column role in dataset '%s'", t->dataset->id);
}

void ts_conv_bbq(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    struct bb_suite_bbq *b = &t->u.bbq;
    char p[512];
    static const char *const need[] = {"context", "question", NULL};
    conv_template(c, f, "prompt", false, need, &b->prompt);
    const struct node *v = sf_fget(f, "datasets", true, p, sizeof p);
    if (!v || !sy_expect_kind(c, v, p, N_SEQ, "a list of dataset ids"))
        return;
    if (!v->n)
        sy_report(c, v->pos, p, "expected a non-empty list of dataset ids, found an empty one");
    if (!(b->datasets = sy_c_array(c, v->n, sizeof *b->datasets)))
        return;
    for (size_t i = 0; i < v->n; i++) {
        char ip[600];
        snprintf(ip, sizeof ip, "%s[%zu]", p, i);
        const struct bb_suite_dataset *ds = resolve_dataset(c, v->items[i], ip);
        if (ds && ds->format != BB_SUITE_JSONL)
            sy_report(c, v->items[i]->pos, ip,
                   "dataset '%s' has format %s; bbq reads the BBQ JSON Lines files (format: jsonl)",
                   ds->id, bb_suite_format_name(ds->format));
        else if (ds)
            b->datasets[b->n_datasets++] = ds;
    }
}

/* The {name} placeholders of a template must be roles of ds (or "choice"). */
static void check_placeholders(struct ctx *c, const struct field *f, const char *key,
                               const char *tpl, const struct bb_suite_dataset *ds,
                               bool allow_choice)
{
    char p[512];
    const struct node *v = sf_fget(f, key, false, p, sizeof p);
    for (const char *q = tpl; v && q && (q = strchr(q, '{'));) {
        const char *e = strchr(q, '}');
        if (!e)
            break;
        char name[128];
        size_t len = (size_t)(e - q - 1);
        if (len < sizeof name) {
            memcpy(name, q + 1, len);
            name[len] = '\0';
            if (allow_choice && !strcmp(name, "choice")) {
            } else if (ds && !bb_suite_dataset_column(ds, name)) {
                sy_report(c, v->pos, p, "placeholder {%s} is not a column role of dataset '%s'",
                          name, ds->id);
            }
        }
        q = e + 1;
    }
}

void ts_conv_choice(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    struct bb_suite_choice *mc = &t->u.choice;
    char p[512];
    const struct node *v = sf_fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a multiple-choice task", label_roles);
    conv_template(c, f, "prompt", true, NULL, &mc->prompt);
    mc->continuation = " {choice}";
    static const char *const need_choice[] = {"choice", NULL};
    conv_template(c, f, "continuation", false, need_choice, &mc->continuation);
    sf_fstrlist(f, "choices", false, false, &mc->choices);
    if (!t->dataset)
        return;
    check_placeholders(c, f, "prompt", mc->prompt, t->dataset, false);
    check_placeholders(c, f, "continuation", mc->continuation, t->dataset, true);
    if (!mc->choices.n && !bb_suite_dataset_column(t->dataset, "choices"))
        sy_report(c, f->m->pos, f->path,
                  "dataset '%s' has no column role 'choices' (a list) and the "
                  "task names no choices columns",
                  t->dataset->id);
    for (size_t i = 0; i < mc->choices.n; i++)
        if (!bb_suite_dataset_column(t->dataset, mc->choices.v[i])) {
            char ip[600];
            snprintf(ip, sizeof ip, "%s.choices[%zu]", f->path, i);
            sy_report(c, mc->choices.pos[i], ip, "'%s' is not a column role of dataset '%s'",
                   mc->choices.v[i], t->dataset->id);
        }
}

void ts_conv_perplexity(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    char p[512];
    const struct node *v = sf_fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a perplexity task", text_roles);
    sf_flong(f, "max_length", 2, 1 << 20, &t->u.perplexity.max_length);
    sf_flong(f, "stride", 1, 1 << 20, &t->u.perplexity.stride);
}

void ts_conv_retrieval(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    static const char *const roles[] = {"query", "document", NULL};
    struct bb_suite_retrieval *r = &t->u.retrieval;
    char p[512];
    const struct node *v = sf_fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a retrieval task", roles);
    r->has_min_score = sf_fdouble(f, "min_score", &r->min_score);
    if (r->has_min_score && t->dataset && !bb_suite_dataset_column(t->dataset, "score"))
        sy_report(c, f->m->pos, f->path, "min_score needs a 'score' column role in dataset '%s'",
               t->dataset->id);
}

void ts_conv_clustering(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    static const char *const roles[] = {"text", "label", NULL};
    struct bb_suite_clustering *cl = &t->u.clustering;
    char p[512];
    const struct node *v = sf_fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a clustering task", roles);
    cl->restarts = 10;
    cl->max_iter = 300;
    sf_flong(f, "k", 2, 1 << 20, &cl->k);
    sf_flong(f, "restarts", 1, 1000, &cl->restarts);
    sf_flong(f, "max_iter", 1, 100000, &cl->max_iter);
}

void ts_conv_linear_probe(struct ctx *c, const struct field *f, struct bb_suite_task *t)
{
    static const char *const roles[] = {"text", "label", NULL};
    struct bb_suite_linear_probe *lp = &t->u.linear_probe;
    char p[512];
    const struct node *v = sf_fget(f, "dataset", true, p, sizeof p);
    if (v)
        t->dataset = task_dataset(c, v, p, "a linear-probe task", roles);
    v = sf_fget(f, "train_dataset", true, p, sizeof p);
    if (v)
        lp->train = task_dataset(c, v, p, "a linear-probe task", roles);
    lp->experiments = 10;
    lp->samples_per_label = 8;
    lp->c = 1.0;
    lp->max_iter = 100;
    sf_flong(f, "experiments", 1, 1000, &lp->experiments);
    sf_flong(f, "samples_per_label", 0, 1 << 30, &lp->samples_per_label);
    sf_flong(f, "max_iter", 1, 100000, &lp->max_iter);
    if (sf_fdouble(f, "c", &lp->c) && !(lp->c > 0)) {
        sf_fget(f, "c", false, p, sizeof p);
        sy_report(c, sy_map_get(f->m, "c")->pos, p, "expected a number > 0, found %g", lp->c);
    }
}

/* The type names in enum order, NULL-terminated (for sf_fenum). */
static void task_type_names(const char *names[BB_SUITE_N_TASK_TYPES + 1])
{
    for (int t = 0; t < BB_SUITE_N_TASK_TYPES; t++)
        names[t] = bb_suite_task_schema(t)->name;
    names[BB_SUITE_N_TASK_TYPES] = NULL;
}

/* The task's keys through its type's row (task_schema.c). */
static void conv_task(struct ctx *c, const struct node *m, const char *path,
                      struct bb_suite_task *t)
{
    struct field f = {c, m, path};
    const char *names[BB_SUITE_N_TASK_TYPES + 1];
    int type = -1;
    t->pos = m->pos;
    t->limit = c->s->defaults.limit;
    t->batch_size = c->s->defaults.batch_size;
    sf_fid(&f, "id", &t->id);
    task_type_names(names);
    sf_fenum(&f, "type", names, true, &type);
    check_task_keys(c, m, path, type);
    conv_task_models(c, m, path, t);
    const struct bb_suite_task_schema *ts = type >= 0 ? bb_suite_task_schema(type) : NULL;
    if (!ts)
        return;
    if (sy_in_list(ts->keys, "limit"))
        sf_flong(&f, "limit", 0, LONG_MAX, &t->limit);
    if (sy_in_list(ts->keys, "batch_size"))
        sf_flong(&f, "batch_size", 1, BB_BATCH_SIZE_MAX, &t->batch_size);
    t->type = ts->type;
    ts->conv(c, &f, t);
}

static void conv_tasks(struct ctx *c, const struct node *root)
{
    const struct node *l = item_list(c, root, "tasks", true);
    if (!l || !(c->s->tasks = sy_c_array(c, l->n, sizeof *c->s->tasks)))
        return;
    c->s->n_tasks = l->n;
    for (size_t i = 0; i < l->n; i++) {
        char p[64];
        snprintf(p, sizeof p, "tasks[%zu]", i);
        if (l->items[i]->kind == N_MAP)
            conv_task(c, l->items[i], p, &c->s->tasks[i]);
        check_dup_id(c, c->s->tasks, i, sizeof *c->s->tasks, offsetof(struct bb_suite_task, id),
                     offsetof(struct bb_suite_task, pos), p, "task");
    }
}

/* ---- gates ------------------------------------------------------------------------ */

static void conv_gate(struct ctx *c, const struct node *m, const char *path,
                      struct bb_suite_gate *g)
{
    struct field f = {c, m, path};
    char p[512];
    g->pos = m->pos;
    sy_check_keys(c, m, path, gate_keys, NULL, NULL);
    sf_fstr(&f, "metric", true, &g->metric, NULL);
    const struct node *v = sf_fget(&f, "task", false, p, sizeof p);
    if (v) {
        long i = resolve(c, v, p, "task", c->s->tasks, c->s->n_tasks, sizeof *c->s->tasks,
                         offsetof(struct bb_suite_task, id));
        g->task = i < 0 ? NULL : &c->s->tasks[i];
    }
    if ((v = sf_fget(&f, "model", false, p, sizeof p)))
        g->model = resolve_model(c, v, p);
    g->has_min = sf_fdouble(&f, "min", &g->min);
    g->has_max = sf_fdouble(&f, "max", &g->max);
    g->has_max_regression = sf_fdouble(&f, "max_regression", &g->max_regression);
    sy_join_path(p, sizeof p, path, "max_regression");
    sf_fbool(&f, "relative", &g->relative);
    sf_fbool(&f, "significant", &g->significant);
    if (g->has_max_regression && g->max_regression < 0)
        sy_report(c, sy_map_get(m, "max_regression")->pos, p, "expected a number >= 0, found %g",
               g->max_regression);
    if (g->has_min && g->has_max && g->min > g->max)
        sy_report(c, m->pos, path, "min (%g) is greater than max (%g)", g->min, g->max);
    if (!sy_map_get(m, "min") && !sy_map_get(m, "max") && !sy_map_get(m, "max_regression"))
        sy_report(c, m->pos, path, "a gate needs at least one of min, max, max_regression");
    if ((sy_map_get(m, "relative") || sy_map_get(m, "significant")) &&
        !sy_map_get(m, "max_regression"))
        sy_report(c, m->pos, path, "relative and significant apply only with max_regression");
}

static void conv_gates(struct ctx *c, const struct node *root)
{
    const struct node *l = item_list(c, root, "gates", false);
    if (!l || !(c->s->gates = sy_c_array(c, l->n, sizeof *c->s->gates)))
        return;
    c->s->n_gates = l->n;
    for (size_t i = 0; i < l->n; i++) {
        char p[64];
        snprintf(p, sizeof p, "gates[%zu]", i);
        if (l->items[i]->kind == N_MAP)
            conv_gate(c, l->items[i], p, &c->s->gates[i]);
    }
}

/* ---- perturb (robustness; kinds and task types: suite/perturb.h) ----------------- */

static const char *const perturb_keys[] = {"seed", "tasks", "perturbations", NULL};
static const char *const perturbation_keys[] = {"id", "kind", "rate", "lists", "swap_on", NULL};

static void conv_perturbation(struct ctx *c, const struct node *m, const char *path,
                              struct bb_suite_perturbation *pt)
{
    struct field f = {c, m, path};
    char p[512];
    pt->pos = m->pos, pt->rate = 0.1, pt->swap_on = "gender";
    sy_check_keys(c, m, path, perturbation_keys, NULL, NULL);
    if (!sf_fenum(&f, "kind", bb_perturb_kind_names, true, &pt->kind))
        pt->kind = -1;
    pt->id = pt->kind >= 0 ? bb_perturb_kind_names[pt->kind] : "";
    const struct node *v = sf_fget(&f, "id", false, p, sizeof p);
    if (v)
        sf_conv_id(c, v, p, &pt->id);
    v = sf_fget(&f, "rate", false, p, sizeof p);
    if (v && sf_conv_double(c, v, p, &pt->rate) && !(pt->rate >= 0 && pt->rate <= 1))
        sy_report(c, v->pos, p, "expected a rate from 0 to 1, found %g", pt->rate);
    sf_fstr(&f, "swap_on", false, &pt->swap_on, NULL);
    v = sf_fget(&f, "lists", pt->kind == BB_PERTURB_NAMES, p, sizeof p);
    if (v && pt->kind >= 0 && pt->kind != BB_PERTURB_NAMES)
        sy_report(c, v->pos, p, "key 'lists' applies to kind names only");
    else if (v && sy_expect_kind(c, v, p, N_SEQ, "a list of dataset ids") && !v->n)
        sy_report(c, v->pos, p, "expected at least one filler list, found an empty list");
    else if (v && v->kind == N_SEQ && (pt->lists = sy_c_array(c, v->n, sizeof *pt->lists))) {
        pt->n_lists = v->n;
        for (size_t i = 0; i < v->n; i++) {
            char ip[600];
            snprintf(ip, sizeof ip, "%s[%zu]", p, i);
            pt->lists[i] = resolve_dataset(c, v->items[i], ip);
        }
    }
}

static void conv_perturb_tasks(struct ctx *c, const struct node *v, const char *p)
{
    struct bb_suite_perturb *pb = &c->s->perturb;
    pb->tasks_given = true;
    if (!sy_expect_kind(c, v, p, N_SEQ, "a list of task ids") ||
        !(pb->tasks = sy_c_array(c, v->n ? v->n : 1, sizeof *pb->tasks)))
        return;
    for (size_t i = 0; i < v->n; i++) {
        char ip[600];
        snprintf(ip, sizeof ip, "%s[%zu]", p, i);
        long k = resolve(c, v->items[i], ip, "task", c->s->tasks, c->s->n_tasks,
                         sizeof *c->s->tasks, offsetof(struct bb_suite_task, id));
        if (k < 0)
            continue;
        const struct bb_suite_task *t = &c->s->tasks[k];
        if (!bb_perturb_text_roles((int)t->type))
            sy_report(c, v->items[i]->pos, ip, "task '%s' is a %s task; perturb applies to %s",
                   t->id, bb_suite_task_type_name(t->type), bb_perturb_task_types());
        else
            pb->tasks[pb->n_tasks++] = t;
    }
}

static void conv_perturb(struct ctx *c, const struct node *root)
{
    struct bb_suite_perturb *pb = &c->s->perturb;
    char p[512];
    const struct node *m = sf_fmap(&(struct field){c, root, ""}, "perturb", false, p, sizeof p);
    if (!m)
        return;
    struct field f = {c, m, "perturb"};
    sy_check_keys(c, m, "perturb", perturb_keys, NULL, NULL);
    const struct node *v = sf_fget(&f, "seed", false, p, sizeof p);
    if (v)
        pb->has_seed = sf_conv_u64(c, v, p, &pb->seed);
    if ((v = sf_fget(&f, "tasks", false, p, sizeof p)))
        conv_perturb_tasks(c, v, p);
    const struct node *l = sf_fget(&f, "perturbations", true, p, sizeof p);
    if (!l || !sy_expect_kind(c, l, p, N_SEQ, "a list of maps"))
        return;
    if (!l->n)
        sy_report(c, l->pos, p, "expected a non-empty list, found an empty one");
    if (!(pb->v = sy_c_array(c, l->n ? l->n : 1, sizeof *pb->v)))
        return;
    pb->n = l->n;
    for (size_t i = 0; i < l->n; i++) {
        snprintf(p, sizeof p, "perturb.perturbations[%zu]", i);
        if (sy_expect_kind(c, l->items[i], p, N_MAP, "a map"))
            conv_perturbation(c, l->items[i], p, &pb->v[i]);
        for (size_t j = 0; j < i; j++)
            if (pb->v[i].id && pb->v[j].id && *pb->v[i].id && !strcmp(pb->v[i].id, pb->v[j].id))
                sy_report(c, l->items[i]->pos, p, "perturbation id '%s' is used twice (give 'id:')",
                       pb->v[i].id);
    }
}

/* ---- the top level -------------------------------------------------------------- */

static void conv_suite(struct ctx *c, const struct node *root)
{
    struct bb_suite *s = c->s;
    struct field f = {c, root, ""};
    sy_check_keys(c, root, "", top_keys, NULL, NULL);
    sf_fid(&f, "suite", &s->name);
    const struct node *v = sy_map_get(root, "version");
    long version;
    if (!v)
        sy_report_missing(c, root, "", "version");
    else if (sf_conv_long(c, v, "version", 0, LONG_MAX, &version) &&
             version != BB_SUITE_FORMAT_VERSION)
        sy_report(c, v->pos, "version",
                  "unsupported format version %ld (this biasbench reads version %d)", version,
                  BB_SUITE_FORMAT_VERSION);
    s->version = BB_SUITE_FORMAT_VERSION;
    if ((v = sy_map_get(root, "seed")))
        sf_conv_u64(c, v, "seed", &s->seed);
    conv_metadata(c, root);
    conv_defaults(c, root);
    conv_models(c, root);
    conv_datasets(c, root);
    conv_tasks(c, root);
    conv_gates(c, root);
    conv_perturb(c, root);
}

enum bb_status bb_suite_load(const char *path, struct bb_suite **out,
                             struct bb_diagnostics *diag, struct bb_error *err)
{
    struct bb_diagnostics local = {0};
    struct ctx c = {.diag = diag ? diag : &local};
    enum bb_status st;
    c.n_before = c.diag->n;
    *out = NULL;
    c.a = sy_arena_new();
    c.s = c.a ? sy_c_alloc(&c, sizeof *c.s) : NULL;
    if (!c.s || !(c.s->path = sy_c_strdup(&c, path))) {
        st = bb_fail(err, BB_E_NOMEM, "%s: out of memory", path);
        goto done;
    }
    c.s->arena = c.a;
    struct node *root = sy_load_file(&c, c.s->path, NULL, "");
    if (root && c.diag->n == c.n_before && !c.oom)
        conv_suite(&c, root);
    sy_record_files(&c);
    st = sy_finish(&c, path, c.n_files == 0, err);
done:
    for (size_t i = 0; i < c.n_files; i++)
        free(c.files[i].real);
    bb_diagnostics_free(&local);
    if (st == BB_OK)
        *out = c.s;
    else
        sy_arena_free(c.a);
    return st;
}

void bb_suite_free(struct bb_suite *s)
{
    if (s)
        sy_arena_free(s->arena);
}

/* ---- lookups ---------------------------------------------------------------------- */

int bb_suite_pos_str(struct bb_suite_pos pos, char *buf, size_t size)
{
    if (pos.line > 0)
        return snprintf(buf, size, "%s:%d:%d", pos.file ? pos.file : "(suite)", pos.line, pos.col);
    return snprintf(buf, size, "%s", pos.file ? pos.file : "(suite)");
}

const struct bb_suite_model *bb_suite_find_model(const struct bb_suite *s, const char *id)
{
    for (size_t i = 0; s && id && i < s->n_models; i++)
        if (!strcmp(s->models[i].id, id))
            return &s->models[i];
    return NULL;
}

const struct bb_suite_dataset *bb_suite_find_dataset(const struct bb_suite *s, const char *id)
{
    for (size_t i = 0; s && id && i < s->n_datasets; i++)
        if (!strcmp(s->datasets[i].id, id))
            return &s->datasets[i];
    return NULL;
}

const struct bb_suite_task *bb_suite_find_task(const struct bb_suite *s, const char *id)
{
    for (size_t i = 0; s && id && i < s->n_tasks; i++)
        if (!strcmp(s->tasks[i].id, id))
            return &s->tasks[i];
    return NULL;
}

const struct bb_suite_column *bb_suite_dataset_column(const struct bb_suite_dataset *ds,
                                                      const char *role)
{
    for (size_t i = 0; ds && role && i < ds->n_columns; i++)
        if (ds->columns[i].role && !strcmp(ds->columns[i].role, role))
            return &ds->columns[i];
    return NULL;
}
