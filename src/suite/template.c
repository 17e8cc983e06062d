/* template.c: counterfactual template expansion (see template.h for the
 * placeholder syntax, slot roles and the order of the expanded items), and
 * the loaders of filler and template files on top of the dataset loader. */
#include "template.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"

static enum bb_status nomem(struct bb_error *err, const char *what)
{
    return bb_fail(err, BB_E_NOMEM, "%s: out of memory", what);
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

/* ---- filler lists ---------------------------------------------------------------- */

void bb_filler_list_free(struct bb_filler_list *l)
{
    for (size_t i = 0; l->items && i < l->n; i++) {
        for (size_t k = 0; l->items[i].attrs && k < l->n_attrs; k++)
            free(l->items[i].attrs[k]);
        free(l->items[i].attrs);
        free(l->items[i].value);
    }
    for (size_t k = 0; l->attr_keys && k < l->n_attrs; k++)
        free(l->attr_keys[k]);
    free(l->attr_keys);
    free(l->items);
    free(l->slot);
    free(l->agree_on);
    memset(l, 0, sizeof *l);
}

static int attr_index(const struct bb_filler_list *l, const char *key)
{
    for (size_t k = 0; k < l->n_attrs; k++)
        if (!strcmp(l->attr_keys[k], key))
            return (int)k;
    return -1;
}

const char *bb_filler_attr(const struct bb_filler_list *l, size_t i, const char *key)
{
    int k = attr_index(l, key);
    return k >= 0 && i < l->n ? l->items[i].attrs[k] : NULL;
}

/* Attribute keys: keys[0..nk) (each a required column), or with keys NULL
 * every column but the value column; their columns into acol. */
static enum bb_status filler_keys(struct bb_filler_list *l, const struct bb_table *t, int vcol,
                                  const char *const *keys, size_t nk, int *acol,
                                  struct bb_error *err)
{
    size_t nc = bb_table_cols(t);
    l->attr_keys = calloc((keys ? nk : nc) + 1, sizeof *l->attr_keys);
    if (!l->attr_keys)
        return nomem(err, bb_table_path(t));
    for (size_t c = 0; c < (keys ? nk : nc); c++) {
        int col = (int)c;
        enum bb_status st;
        if (keys && (st = bb_table_require_col(t, keys[c], &col, err)))
            return st;
        if (!keys && col == vcol)
            continue;
        acol[l->n_attrs] = col;
        if (!(l->attr_keys[l->n_attrs++] = strdup(keys ? keys[c] : bb_table_col_name(t, c))))
            return nomem(err, bb_table_path(t));
    }
    return BB_OK;
}

static enum bb_status filler_rows(struct bb_filler_list *l, const struct bb_table *t, int vcol,
                                  const int *acol, struct bb_error *err)
{
    const char *path = bb_table_path(t);
    size_t nr = bb_table_rows(t);
    l->items = calloc(nr ? nr : 1, sizeof *l->items);
    if (!l->items)
        return nomem(err, path);
    for (size_t r = 0; r < nr; r++) {
        const char *v = bb_table_get(t, r, vcol);
        if (!v || !*v)
            return bb_fail(err, BB_E_INPUT, "%s:%ld: field 'value': expected a filler, found "
                           "an empty value", path, bb_table_line(t, r));
        for (size_t q = 0; q < r; q++)
            if (!strcmp(l->items[q].value, v))
                return bb_fail(err, BB_E_INPUT, "%s:%ld: duplicate filler value '%s' (first on "
                               "line %ld)", path, bb_table_line(t, r), v, bb_table_line(t, q));
        struct bb_filler *f = &l->items[l->n++];
        f->attrs = calloc(l->n_attrs + 1, sizeof *f->attrs);
        if (!(f->value = strdup(v)) || !f->attrs)
            return nomem(err, path);
        for (size_t k = 0; k < l->n_attrs; k++)
            if (!(f->attrs[k] = dup_or_empty(bb_table_get(t, r, acol[k]))))
                return nomem(err, path);
    }
    return BB_OK;
}

enum bb_status bb_filler_list_from_table(const struct bb_table *t, const char *slot,
                                         enum bb_slot_role role, const char *agree_on,
                                         const char *const *keys, size_t nk,
                                         struct bb_filler_list *out, struct bb_error *err)
{
    const char *path = bb_table_path(t);
    memset(out, 0, sizeof *out);
    int vcol = -1;
    int *acol = malloc(((keys ? nk : bb_table_cols(t)) + 1) * sizeof *acol);
    enum bb_status st = acol ? bb_table_require_col(t, "value", &vcol, err) : nomem(err, path);
    out->role = role;
    if (!st && (!(out->slot = strdup(slot)) || (agree_on && !(out->agree_on = strdup(agree_on)))))
        st = nomem(err, path);
    if (!st)
        st = filler_keys(out, t, vcol, keys, nk, acol, err);
    if (!st)
        st = filler_rows(out, t, vcol, acol, err);
    if (!st && role == BB_SLOT_AGREE && (!agree_on || attr_index(out, agree_on) < 0))
        st = bb_fail(err, BB_E_INPUT, "%s: slot {%s} agrees on attribute '%s', but the file has "
                     "no such column", path, slot, agree_on ? agree_on : "(none given)");
    free(acol);
    if (st)
        bb_filler_list_free(out);
    return st;
}

enum bb_status bb_filler_list_load(const char *path, const char *slot, enum bb_slot_role role,
                                   const char *agree_on, struct bb_filler_list *out,
                                   struct bb_error *err)
{
    memset(out, 0, sizeof *out);
    struct bb_dataset_spec spec = { .path = path };
    struct bb_table *t = NULL;
    enum bb_status st = bb_dataset_load(&spec, &t, err);
    if (!st)
        st = bb_filler_list_from_table(t, slot, role, agree_on, NULL, 0, out, err);
    bb_table_free(t);
    return st;
}

/* ---- template files --------------------------------------------------------------- */

void bb_templates_free(struct bb_template_set *s)
{
    for (size_t i = 0; s->items && i < s->n; i++) {
        free(s->items[i].id);
        free(s->items[i].text);
        free(s->items[i].label);
    }
    free(s->items);
    memset(s, 0, sizeof *s);
}

static enum bb_status template_row(struct bb_template_set *s, const struct bb_table *t, size_t r,
                                   int icol, int tcol, int lcol, struct bb_error *err)
{
    const char *path = bb_table_path(t);
    long line = bb_table_line(t, r);
    char rid[32];
    const char *id = icol >= 0 ? bb_table_get(t, r, icol) : NULL, *text = bb_table_get(t, r, tcol);
    const char *label = lcol >= 0 ? bb_table_get(t, r, lcol) : NULL;
    if (icol < 0 && (!id || !*id)) { /* no id column: the row's own id */
        if (line > 0)
            snprintf(rid, sizeof rid, "L%ld", line);
        else
            snprintf(rid, sizeof rid, "R%zu", r);
        id = rid;
    }
    if (!id || !*id || !text || !*text)
        return bb_fail(err, BB_E_INPUT, "%s:%ld: field '%s': expected a value, found an empty "
                       "one", path, line, !id || !*id ? "id" : "template");
    for (size_t q = 0; q < s->n; q++)
        if (!strcmp(s->items[q].id, id))
            return bb_fail(err, BB_E_INPUT, "%s:%ld: duplicate template id '%s'", path, line, id);
    struct bb_template *tp = &s->items[s->n++];
    tp->id = strdup(id);
    tp->text = strdup(text);
    tp->label = label && *label ? strdup(label) : NULL;
    if (!tp->id || !tp->text || (label && *label && !tp->label))
        return nomem(err, path);
    return BB_OK;
}

enum bb_status bb_templates_from_table(const struct bb_table *t, size_t n, bool id_optional,
                                       struct bb_template_set *out, struct bb_error *err)
{
    memset(out, 0, sizeof *out);
    int icol = bb_table_col(t, "id"), tcol = -1;
    enum bb_status st = BB_OK;
    if (icol < 0 && !id_optional)
        st = bb_table_require_col(t, "id", &icol, err);
    if (!st)
        st = bb_table_require_col(t, "template", &tcol, err);
    if (n > bb_table_rows(t))
        n = bb_table_rows(t);
    if (!st && !(out->items = calloc(n ? n : 1, sizeof *out->items)))
        st = nomem(err, bb_table_path(t));
    int lcol = st ? -1 : bb_table_col(t, "label");
    for (size_t r = 0; !st && r < n; r++)
        st = template_row(out, t, r, icol, tcol, lcol, err);
    if (st)
        bb_templates_free(out);
    return st;
}

enum bb_status bb_templates_load(const char *path, struct bb_template_set *out,
                                 struct bb_error *err)
{
    memset(out, 0, sizeof *out);
    struct bb_dataset_spec spec = { .path = path };
    struct bb_table *t = NULL;
    enum bb_status st = bb_dataset_load(&spec, &t, err);
    if (!st)
        st = bb_templates_from_table(t, bb_table_rows(t), false, out, err);
    bb_table_free(t);
    return st;
}

/* ---- parsing placeholders ------------------------------------------------------------ */

struct part {
    const char *lit; /* literal text (list < 0) */
    size_t len;
    int list; /* filler list index, or -1 */
    bool cap;
};

static int find_list(const struct bb_filler_list *lists, size_t n, const char *name, size_t len,
                     bool *cap)
{
    *cap = false;
    for (size_t i = 0; i < n; i++)
        if (strlen(lists[i].slot) == len && !memcmp(lists[i].slot, name, len))
            return (int)i;
    if (len == 0 || name[0] < 'A' || name[0] > 'Z')
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strlen(lists[i].slot) == len && lists[i].slot[0] == name[0] - 'A' + 'a' &&
            !memcmp(lists[i].slot + 1, name + 1, len - 1)) {
            *cap = true;
            return (int)i;
        }
    return -1;
}

static void slot_names(const struct bb_filler_list *lists, size_t n, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", lists[i].slot);
        if (w < 0)
            return;
        used += (size_t)w;
    }
}

static enum bb_status add_part(struct part **parts, size_t *n, size_t *cap, struct part p,
                               const char *id, struct bb_error *err)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        struct part *q = realloc(*parts, *cap * sizeof *q);
        if (!q)
            return nomem(err, id);
        *parts = q;
    }
    (*parts)[(*n)++] = p;
    return BB_OK;
}

/* Split a template into literal and slot parts. */
static enum bb_status parse_parts(const struct bb_template *tp, const struct bb_filler_list *lists,
                                  size_t n_lists, struct part **parts, size_t *n,
                                  struct bb_error *err)
{
    const char *s = tp->text, *lit = s;
    size_t cap = 0;
    enum bb_status st = BB_OK;
    *parts = NULL;
    *n = 0;
    while (!st && *s) {
        bool dbl = (s[0] == '{' || s[0] == '}') && s[1] == s[0];
        if (!dbl && s[0] != '{' && s[0] != '}') {
            s++;
            continue;
        }
        if (s > lit)
            st = add_part(parts, n, &cap, (struct part){ lit, (size_t)(s - lit), -1, false },
                          tp->id, err);
        if (st)
            break;
        if (dbl) { /* literal brace */
            st = add_part(parts, n, &cap, (struct part){ s, 1, -1, false }, tp->id, err);
            lit = s += 2;
            continue;
        }
        const char *close = s[0] == '{' ? strpbrk(s + 1, "{}") : NULL;
        if (!close || *close != '}')
            return bb_fail(err, BB_E_INPUT, "template '%s': %s at offset %ld (write {{ or }} "
                           "for a literal brace)", tp->id,
                           s[0] == '}' ? "'}' without '{'" : "'{' is not closed",
                           (long)(s - tp->text));
        bool capf;
        int li = find_list(lists, n_lists, s + 1, (size_t)(close - s - 1), &capf);
        if (li < 0) {
            char names[512];
            slot_names(lists, n_lists, names, sizeof names);
            return bb_fail(err, BB_E_INPUT, "template '%s': unknown slot {%.*s}; slots are: %s",
                           tp->id, (int)(close - s - 1), s + 1, names);
        }
        st = add_part(parts, n, &cap, (struct part){ NULL, 0, li, capf }, tp->id, err);
        lit = s = close + 1;
    }
    if (!st && s > lit)
        st = add_part(parts, n, &cap, (struct part){ lit, (size_t)(s - lit), -1, false }, tp->id,
                      err);
    return st;
}

/* ---- expansion ------------------------------------------------------------------- */

/* What one template needs: its parts and the roles of the slots it uses. */
struct plan {
    const struct bb_template *tp;
    struct part *parts;
    size_t n_parts;
    int group;      /* list index or -1 */
    int *ctx;       /* context lists, in order of appearance */
    size_t n_ctx;
    int *agree;     /* agree lists other than the group */
    size_t n_agree;
};

static void plan_free(struct plan *p)
{
    free(p->parts);
    free(p->ctx);
    free(p->agree);
}

static enum bb_status plan_roles(struct plan *p, const struct bb_filler_list *lists,
                                 size_t n_lists, struct bb_error *err)
{
    bool *seen = calloc(n_lists + 1, sizeof *seen);
    p->ctx = calloc(n_lists + 1, sizeof *p->ctx);
    p->agree = calloc(n_lists + 1, sizeof *p->agree);
    p->group = -1;
    if (!seen || !p->ctx || !p->agree) {
        free(seen);
        return nomem(err, p->tp->id);
    }
    enum bb_status st = BB_OK;
    int first_agree = -1;
    for (size_t i = 0; i < p->n_parts && !st; i++) {
        int li = p->parts[i].list;
        if (li < 0 || seen[li])
            continue;
        seen[li] = true;
        if (lists[li].role == BB_SLOT_CONTEXT)
            p->ctx[p->n_ctx++] = li;
        else if (lists[li].role == BB_SLOT_AGREE && first_agree < 0)
            first_agree = li;
        else if (lists[li].role == BB_SLOT_AGREE)
            p->agree[p->n_agree++] = li;
        else if (p->group >= 0)
            st = bb_fail(err, BB_E_INPUT, "template '%s': two group slots, {%s} and {%s}; a "
                         "counterfactual set varies one", p->tp->id, lists[p->group].slot,
                         lists[li].slot);
        else
            p->group = li;
    }
    free(seen);
    if (first_agree >= 0 && p->group < 0)
        p->group = first_agree; /* the first agree slot stands in for the group */
    else if (first_agree >= 0) {
        memmove(p->agree + 1, p->agree, p->n_agree * sizeof *p->agree);
        p->agree[0] = first_agree;
        p->n_agree++;
    }
    return st;
}

/* Entry of agree list `a` that matches group entry g; unique or an error. */
static enum bb_status agree_pick(const struct plan *p, const struct bb_filler_list *lists,
                                 int a, size_t g, size_t *out, struct bb_error *err)
{
    const struct bb_filler_list *al = &lists[a], *gl = &lists[p->group];
    const char *key = al->agree_on ? al->agree_on : "";
    int ak = attr_index(al, key), gk = attr_index(gl, key);
    if (ak < 0 || gk < 0)
        return bb_fail(err, BB_E_INPUT, "template '%s': slot {%s} agrees on '%s', but {%s}'s "
                       "list has no '%s' attribute", p->tp->id, al->slot, key,
                       ak < 0 ? al->slot : gl->slot, key);
    const char *want = gl->items[g].attrs[gk];
    size_t hits = 0;
    for (size_t i = 0; i < al->n; i++)
        if (!strcmp(al->items[i].attrs[ak], want) && hits++ == 0)
            *out = i;
    if (hits == 1)
        return BB_OK;
    return bb_fail(err, BB_E_INPUT, "template '%s': slot {%s}: %s entry with %s=%s (for {%s} = "
                   "'%s')", p->tp->id, al->slot, hits ? "more than one" : "no", key, want,
                   gl->slot, gl->items[g].value);
}

static char *render(const struct plan *p, const struct bb_filler_list *lists,
                    const size_t *fill)
{
    size_t len = 1;
    for (size_t i = 0; i < p->n_parts; i++) {
        const struct part *q = &p->parts[i];
        len += q->list < 0 ? q->len : strlen(lists[q->list].items[fill[q->list]].value);
    }
    char *s = malloc(len), *w = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < p->n_parts; i++) {
        const struct part *q = &p->parts[i];
        const char *src = q->list < 0 ? q->lit : lists[q->list].items[fill[q->list]].value;
        size_t n = q->list < 0 ? q->len : strlen(src);
        memcpy(w, src, n);
        if (q->cap && n && *w >= 'a' && *w <= 'z')
            *w = (char)(*w - 'a' + 'A');
        w += n;
    }
    *w = 0;
    return s;
}

static enum bb_status push_item(struct bb_cf_expansion *x, size_t *cap, struct bb_cf_item it,
                                struct bb_error *err)
{
    if (x->n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        struct bb_cf_item *q = realloc(x->items, *cap * sizeof *q);
        if (!q)
            return nomem(err, "template expansion");
        x->items = q;
    }
    x->items[x->n++] = it;
    return BB_OK;
}

/* One counterfactual set: every group entry with the current context fill. */
static enum bb_status expand_set(const struct plan *p, size_t ti,
                                 const struct bb_filler_list *lists, size_t *fill,
                                 struct bb_cf_expansion *x, size_t *cap, struct bb_error *err)
{
    size_t n_group = p->group >= 0 ? lists[p->group].n : 1;
    size_t set = x->n_sets++;
    for (size_t g = 0; g < n_group; g++) {
        enum bb_status st = BB_OK;
        if (p->group >= 0)
            fill[p->group] = g;
        for (size_t k = 0; k < p->n_agree && !st; k++)
            st = agree_pick(p, lists, p->agree[k], g, &fill[p->agree[k]], err);
        if (st)
            return st;
        struct bb_cf_item it = { .template_index = ti, .set_id = set, .group_list = p->group };
        it.text = render(p, lists, fill);
        it.fill = malloc(x->n_lists * sizeof *it.fill + 1);
        if (it.fill)
            memcpy(it.fill, fill, x->n_lists * sizeof *it.fill);
        if (!it.text || !it.fill) {
            free(it.text);
            free(it.fill);
            return nomem(err, p->tp->id);
        }
        if ((st = push_item(x, cap, it, err))) {
            free(it.text);
            free(it.fill);
            return st;
        }
    }
    return BB_OK;
}

/* Odometer over the context slots; one set per combination. */
static enum bb_status expand_template(const struct plan *p, size_t ti,
                                      const struct bb_filler_list *lists, size_t *fill,
                                      struct bb_cf_expansion *x, size_t *cap,
                                      struct bb_error *err)
{
    for (size_t k = 0; k < p->n_ctx; k++) {
        if (lists[p->ctx[k]].n == 0)
            return BB_OK;
        fill[p->ctx[k]] = 0;
    }
    for (;;) {
        enum bb_status st = expand_set(p, ti, lists, fill, x, cap, err);
        if (st)
            return st;
        size_t k = p->n_ctx;
        while (k > 0) {
            int li = p->ctx[k - 1];
            if (++fill[li] < lists[li].n)
                break;
            fill[li] = 0;
            k--;
        }
        if (k == 0)
            return BB_OK;
    }
}

enum bb_status bb_template_expand(const struct bb_template *templates, size_t n_templates,
                                  const struct bb_filler_list *lists, size_t n_lists,
                                  struct bb_cf_expansion *out, struct bb_error *err)
{
    memset(out, 0, sizeof *out);
    out->templates = templates;
    out->lists = lists;
    out->n_lists = n_lists;
    size_t cap = 0;
    size_t *fill = malloc((n_lists + 1) * sizeof *fill);
    enum bb_status st = fill ? BB_OK : nomem(err, "template expansion");
    for (size_t ti = 0; ti < n_templates && !st; ti++) {
        struct plan p = { .tp = &templates[ti] };
        for (size_t k = 0; k < n_lists; k++)
            fill[k] = BB_CF_UNUSED;
        st = parse_parts(p.tp, lists, n_lists, &p.parts, &p.n_parts, err);
        if (!st)
            st = plan_roles(&p, lists, n_lists, err);
        if (!st && p.group >= 0 && lists[p.group].n == 0)
            st = bb_fail(err, BB_E_INPUT, "template '%s': slot {%s} has no entries", p.tp->id,
                         lists[p.group].slot);
        if (!st)
            st = expand_template(&p, ti, lists, fill, out, &cap, err);
        plan_free(&p);
    }
    free(fill);
    if (st)
        bb_cf_expansion_free(out);
    return st;
}

void bb_cf_expansion_free(struct bb_cf_expansion *x)
{
    for (size_t i = 0; x->items && i < x->n; i++) {
        free(x->items[i].text);
        free(x->items[i].fill);
    }
    free(x->items);
    memset(x, 0, sizeof *x);
}

const struct bb_template *bb_cf_item_template(const struct bb_cf_expansion *x, size_t i)
{
    return i < x->n ? &x->templates[x->items[i].template_index] : NULL;
}

const char *bb_cf_item_group_value(const struct bb_cf_expansion *x, size_t i)
{
    if (i >= x->n || x->items[i].group_list < 0)
        return NULL;
    const struct bb_cf_item *it = &x->items[i];
    return x->lists[it->group_list].items[it->fill[it->group_list]].value;
}

const char *bb_cf_item_attr(const struct bb_cf_expansion *x, size_t i, const char *key)
{
    if (i >= x->n || x->items[i].group_list < 0)
        return NULL;
    const struct bb_cf_item *it = &x->items[i];
    return bb_filler_attr(&x->lists[it->group_list], it->fill[it->group_list], key);
}
