/* template.h: counterfactual template expansion. Templates are strings with
 * {slot} placeholders; filler lists give each slot its values, each value with
 * group attributes (gender=female, race=Black, ...). Expansion produces every
 * sentence in a fixed order, and gives sentences that differ only in the group
 * term (same template, same other fillers) one counterfactual set id, so that
 * paired tests can be formed.
 *
 * Placeholders: {name} is replaced by the filler; {Name} (first letter upper
 * case, when no slot is called "Name") by the filler with its first letter
 * capitalised (ASCII); {{ and }} are literal braces.
 *
 * Slot roles:
 *   group    the term that varies inside a counterfactual set (e.g. person);
 *   context  every value starts new sets (e.g. occupation);
 *   agree    follows the group filler: the entry whose attribute `agree_on`
 *            equals the group filler's (e.g. pronoun agrees on gender). In a
 *            template without a group slot, the first agree slot acts as the
 *            group slot and further agree slots follow it.
 *
 * Order: templates in order; inside a template, context fillers as an
 * odometer over the context slots in order of first appearance (the last
 * varies fastest), one set per combination; inside a set, group entries in
 * list order.
 *
 * Filler files (bb_filler_list_load) are datasets with a header whose first
 * column is `value` and whose other columns are attributes, e.g.
 *     value,gender,race
 *     Emily,female,White
 *     Lakisha,female,Black
 * (CSV by default; .tsv/.jsonl work too). Values must be non-empty and
 * distinct. Template files (bb_templates_load) have columns `id`, `template`
 * and optionally `label`. */
#ifndef BB_TEMPLATE_H
#define BB_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

enum bb_slot_role { BB_SLOT_CONTEXT = 0, BB_SLOT_GROUP, BB_SLOT_AGREE };

struct bb_filler {
    char *value;
    char **attrs; /* parallel to the list's attr_keys; "" when not set */
};

struct bb_filler_list {
    char *slot; /* placeholder name */
    enum bb_slot_role role;
    char *agree_on; /* BB_SLOT_AGREE: the attribute key shared with the group filler */
    char **attr_keys;
    size_t n_attrs;
    struct bb_filler *items;
    size_t n;
};

struct bb_template {
    char *id;
    char *text;
    char *label; /* NULL when none */
};

struct bb_template_set {
    struct bb_template *items;
    size_t n;
};

struct bb_cf_item {
    char *text;
    size_t template_index; /* into the templates given to bb_template_expand */
    size_t set_id;         /* counterfactual set, dense from 0 */
    int group_list;        /* index of the list that filled the group slot; -1 when none */
    size_t *fill;          /* per list: entry used, or BB_CF_UNUSED */
};
#define BB_CF_UNUSED ((size_t)-1)

struct bb_cf_expansion {
    struct bb_cf_item *items;
    size_t n;
    size_t n_sets;
    /* borrowed from the caller, who keeps them alive while the expansion is used */
    const struct bb_template *templates;
    const struct bb_filler_list *lists;
    size_t n_lists;
};

/* Load a filler file for slot `slot` (see the format above). agree_on is
 * required for BB_SLOT_AGREE and must be one of the file's attributes. */
enum bb_status bb_filler_list_load(const char *path, const char *slot, enum bb_slot_role role,
                                   const char *agree_on, struct bb_filler_list *out,
                                   struct bb_error *err);
void bb_filler_list_free(struct bb_filler_list *l);
/* Attribute value of entry i, NULL when the list has no such attribute. */
const char *bb_filler_attr(const struct bb_filler_list *l, size_t i, const char *key);

enum bb_status bb_templates_load(const char *path, struct bb_template_set *out,
                                 struct bb_error *err);

/* The same two loaders on a table already loaded (the counterfactual task
 * loads its suite datasets through the task helpers, with their column
 * mapping, limit and manifest record). Templates: the first n rows; with
 * id_optional, a table without an `id` column takes each row's own id
 * ("L<line>", else "R<row>"). Fillers: keys[0..nk) name the attribute
 * columns (each required), or keys NULL takes every column but `value`. */
struct bb_table;
enum bb_status bb_templates_from_table(const struct bb_table *t, size_t n, bool id_optional,
                                       struct bb_template_set *out, struct bb_error *err);
enum bb_status bb_filler_list_from_table(const struct bb_table *t, const char *slot,
                                         enum bb_slot_role role, const char *agree_on,
                                         const char *const *keys, size_t nk,
                                         struct bb_filler_list *out, struct bb_error *err);
void bb_templates_free(struct bb_template_set *s);

/* Expand every template. Errors (BB_E_INPUT, naming the template id): an
 * unknown slot, an unclosed '{', two group slots in one template, an agree
 * slot without a matching entry (or with several). */
enum bb_status bb_template_expand(const struct bb_template *templates, size_t n_templates,
                                  const struct bb_filler_list *lists, size_t n_lists,
                                  struct bb_cf_expansion *out, struct bb_error *err);
void bb_cf_expansion_free(struct bb_cf_expansion *x);

/* The item's template, its group filler value and a group attribute (NULL
 * when the template has no group slot or the list lacks the key). */
const struct bb_template *bb_cf_item_template(const struct bb_cf_expansion *x, size_t i);
const char *bb_cf_item_group_value(const struct bb_cf_expansion *x, size_t i);
const char *bb_cf_item_attr(const struct bb_cf_expansion *x, size_t i, const char *key);

#endif
