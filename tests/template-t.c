/* template-t.c: tests of counterfactual template expansion: item counts and
 * order, group attributes, counterfactual set ids, agreement (pronouns follow
 * gender), capitalisation, literal braces, and the errors of bad templates
 * and filler files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "suite/template.h"

#define FIX(name) test_src_path("tests/data/datasets/" name)

enum { L_PERSON, L_PRONOUN, L_OCC, N_LISTS };

static bool load_lists(struct bb_filler_list *lists)
{
    struct bb_error err = { 0 };
    enum bb_status st = bb_filler_list_load(FIX("names.csv"), "person", BB_SLOT_GROUP, NULL,
                                            &lists[L_PERSON], &err);
    if (!st)
        st = bb_filler_list_load(FIX("pronouns.csv"), "pronoun", BB_SLOT_AGREE, "gender",
                                 &lists[L_PRONOUN], &err);
    if (!st)
        st = bb_filler_list_load(FIX("occupations.csv"), "occupation", BB_SLOT_CONTEXT, NULL,
                                 &lists[L_OCC], &err);
    if (!ok(st == BB_OK, "filler lists load"))
        diag("%s", err.msg);
    return st == BB_OK;
}

static void test_filler_lists(const struct bb_filler_list *lists)
{
    const struct bb_filler_list *p = &lists[L_PERSON];
    is_int(4, (long long)p->n, "names: 4 entries");
    is_int(2, (long long)p->n_attrs, "names: 2 attributes");
    is_string("race", p->attr_keys[1], "second attribute is race");
    is_string("Black", bb_filler_attr(p, 1, "race"), "Lakisha race=Black");
    is_string("female", bb_filler_attr(p, 1, "gender"), "Lakisha gender=female");
    ok(bb_filler_attr(p, 1, "age") == NULL, "unknown attribute -> NULL");
}

static void test_expansion(const struct bb_filler_list *lists)
{
    struct bb_template_set ts;
    struct bb_error err = { 0 };
    enum bb_status st = bb_templates_load(FIX("templates.csv"), &ts, &err);
    if (!ok(st == BB_OK, "templates load")) {
        diag("%s", err.msg);
        return;
    }
    is_int(4, (long long)ts.n, "4 templates");
    is_string("neg", ts.items[1].label, "t2 label");
    ok(ts.items[0].label == NULL, "empty label -> NULL");

    struct bb_cf_expansion x;
    st = bb_template_expand(ts.items, ts.n, lists, N_LISTS, &x, &err);
    if (!ok(st == BB_OK, "expansion succeeds")) {
        diag("%s", err.msg);
        bb_templates_free(&ts);
        return;
    }
    /* t1: 3 occupations x 4 persons; t2: 4 persons; t3: 2 pronouns; t4: 1 */
    is_int(19, (long long)x.n, "19 items");
    is_int(6, (long long)x.n_sets, "6 counterfactual sets");
    is_string("Emily is a nurse.", x.items[0].text, "item 0");
    is_string("Jamal is a nurse.", x.items[3].text, "item 3: last person, same occupation");
    is_string("Emily is a engineer.", x.items[4].text, "item 4: next occupation");
    is_int(0, (long long)x.items[3].set_id, "items 0-3 share set 0");
    is_int(1, (long long)x.items[4].set_id, "item 4 starts set 1");
    is_int(2, (long long)x.items[11].set_id, "item 11 in set 2");
    is_string("Black", bb_cf_item_attr(&x, 3, "race"), "item 3 race attribute");
    is_string("male", bb_cf_item_attr(&x, 3, "gender"), "item 3 gender attribute");
    is_string("Jamal", bb_cf_item_group_value(&x, 3), "item 3 group value");
    is_int(1, (long long)x.items[4].fill[L_OCC], "item 4 occupation entry (engineer)");
    ok(x.items[0].fill[L_PRONOUN] == BB_CF_UNUSED, "pronoun unused in t1");
    is_string("t1", bb_cf_item_template(&x, 0)->id, "item 0 template id");

    is_string("She said that Emily was late.", x.items[12].text, "t2: pronoun agrees, capitalised");
    is_string("He said that Greg was late.", x.items[14].text, "t2: male");
    is_int(3, (long long)x.items[15].set_id, "t2 is set 3");
    is_string("neg", bb_cf_item_template(&x, 15)->label, "t2 label on item");
    is_int(L_PERSON, x.items[12].group_list, "t2 group is person");

    is_string("she works hard {really}.", x.items[16].text, "t3: literal braces");
    is_string("he works hard {really}.", x.items[17].text, "t3: pronoun varies");
    is_int(4, (long long)x.items[17].set_id, "t3 pronouns form set 4");
    is_int(L_PRONOUN, x.items[16].group_list, "t3: pronoun stands in for the group");
    is_string("male", bb_cf_item_attr(&x, 17, "gender"), "t3 attribute from the pronoun list");

    is_string("The weather is nice.", x.items[18].text, "t4: no slots");
    is_int(5, (long long)x.items[18].set_id, "t4 is set 5");
    is_int(-1, x.items[18].group_list, "t4: no group");
    ok(bb_cf_item_attr(&x, 18, "gender") == NULL, "t4: no attributes");

    /* every set holds items of one template */
    bool same = true;
    for (size_t i = 1; i < x.n; i++)
        if (x.items[i].set_id == x.items[i - 1].set_id &&
            x.items[i].template_index != x.items[i - 1].template_index)
            same = false;
    ok(same, "sets never span templates");

    /* determinism: a second expansion is identical */
    struct bb_cf_expansion y;
    st = bb_template_expand(ts.items, ts.n, lists, N_LISTS, &y, &err);
    bool eq = st == BB_OK && y.n == x.n;
    for (size_t i = 0; eq && i < x.n; i++)
        eq = !strcmp(x.items[i].text, y.items[i].text) && x.items[i].set_id == y.items[i].set_id;
    ok(eq, "expansion is deterministic");
    if (st == BB_OK)
        bb_cf_expansion_free(&y);
    bb_cf_expansion_free(&x);
    bb_templates_free(&ts);
}

static void expand_fails(const char *text, const struct bb_filler_list *lists, size_t n_lists,
                         const char *needle, const char *what)
{
    struct bb_template tp = { .id = "bad", .text = (char *)text };
    struct bb_cf_expansion x;
    struct bb_error err = { 0 };
    enum bb_status st = bb_template_expand(&tp, 1, lists, n_lists, &x, &err);
    is_int(BB_E_INPUT, st, "%s: input error", what);
    contains(err.msg, needle, "%s: message", what);
    is_int(0, (long long)x.n, "%s: no items", what);
}

static void test_errors(struct bb_filler_list *lists)
{
    expand_fails("{person} is {job}.", lists, N_LISTS,
                 "template 'bad': unknown slot {job}; slots are: person, pronoun, occupation",
                 "unknown slot");
    expand_fails("{person is late.", lists, N_LISTS, "'{' is not closed at offset 0",
                 "unclosed brace");
    expand_fails("a } b", lists, N_LISTS, "'}' without '{' at offset 2", "stray close brace");

    /* a group filler whose gender no pronoun carries */
    char *attrs[] = { "nonbinary", "White" };
    struct bb_filler extra = { .value = "Alex", .attrs = attrs };
    struct bb_filler_list people = lists[L_PERSON];
    struct bb_filler items[5];
    memcpy(items, people.items, 4 * sizeof *items);
    items[4] = extra;
    people.items = items;
    people.n = 5;
    struct bb_filler_list two[2] = { people, lists[L_PRONOUN] };
    expand_fails("{person} said {pronoun} would come.", two, 2,
                 "slot {pronoun}: no entry with gender=nonbinary (for {person} = 'Alex')",
                 "agreement without a match");

    struct bb_filler_list dup[2] = { lists[L_PERSON], lists[L_PERSON] };
    dup[1].slot = "other";
    expand_fails("{person} met {other}.", dup, 2, "two group slots, {person} and {other}",
                 "two group slots");

    struct bb_template_set ts;
    struct bb_error err = { 0 };
    struct bb_filler_list fl;
    enum bb_status st = bb_filler_list_load(FIX("names-dup.csv"), "person", BB_SLOT_GROUP, NULL,
                                            &fl, &err);
    is_int(BB_E_INPUT, st, "duplicate filler value");
    contains(err.msg, "names-dup.csv:4: duplicate filler value 'Emily' (first on line 2)",
             "duplicate value message");
    st = bb_filler_list_load(FIX("names-novalue.csv"), "person", BB_SLOT_GROUP, NULL, &fl, &err);
    is_int(BB_E_INPUT, st, "filler file without a value column");
    contains(err.msg, "no column or role 'value'; columns are: name, gender",
             "missing value column message");
    st = bb_filler_list_load(FIX("pronouns.csv"), "pronoun", BB_SLOT_AGREE, "race", &fl, &err);
    is_int(BB_E_INPUT, st, "agree key not in the file");
    contains(err.msg, "slot {pronoun} agrees on attribute 'race', but the file has no such column",
             "agree key message");
    st = bb_templates_load(FIX("templates-bad.csv"), &ts, &err);
    is_int(BB_OK, st, "templates-bad.csv loads (errors show at expansion)");
    if (st == BB_OK) {
        struct bb_cf_expansion x;
        st = bb_template_expand(ts.items, ts.n, lists, N_LISTS, &x, &err);
        is_int(BB_E_INPUT, st, "unclosed brace in a template file");
        contains(err.msg, "template 't1': '{' is not closed at offset 12", "its message");
        bb_templates_free(&ts);
    }
}

int main(void)
{
    plan_lazy();
    struct bb_filler_list lists[N_LISTS];
    memset(lists, 0, sizeof lists);
    if (load_lists(lists)) {
        test_filler_lists(lists);
        test_expansion(lists);
        test_errors(lists);
    }
    for (int i = 0; i < N_LISTS; i++)
        bb_filler_list_free(&lists[i]);
    return tap_failures() ? 1 : 0;
}
