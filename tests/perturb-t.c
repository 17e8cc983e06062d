/* perturb-t.c: unit tests of the text perturbations (suite/perturb.h) on
 * hand-written strings: the exact output of each kind at rate 1 where it is
 * forced, exact outputs for a fixed seed where it is random, UTF-8 texts
 * (multi-byte characters moved or kept whole, never split), rate 0 = the
 * identity, determinism and seed sensitivity, the errors (bad rate,
 * invalid UTF-8), and results.csv's perturbation column. The suite key and
 * an end-to-end run are checked by tests/perturb-run-t.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "metrics/results.h"
#include "suite/perturb.h"
#include "tap.h"

static char *pt(enum bb_perturb_kind k, double rate, const struct bb_perturb_lexicon *lex,
                const char *text, uint64_t seed)
{
    char *out = NULL;
    struct bb_error err = {0};
    if (bb_perturb_text(k, rate, lex, text, seed, &out, &err)) {
        diag("%s", err.msg);
        return NULL;
    }
    return out;
}

/* is(want, perturb(...)) and free. */
static void is_pt(const char *want, enum bb_perturb_kind k, double rate,
                  const struct bb_perturb_lexicon *lex, const char *text, uint64_t seed,
                  const char *what)
{
    char *got = pt(k, rate, lex, text, seed);
    is_string(want, got ? got : "(error)", "%s", what);
    free(got);
}

static bool valid_utf8(const char *s)
{
    utf8proc_int32_t cp;
    for (size_t i = 0, n = strlen(s); i < n;) {
        utf8proc_ssize_t r =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (r <= 0)
            return false;
        i += (size_t)r;
    }
    return true;
}

static void test_forced(void)
{
    is_pt("hELLO WÖRLD 42", BB_PERTURB_CASE, 1, NULL, "Hello wörld 42", 1, "case, rate 1");
    is_pt("badc éü", BB_PERTURB_SWAP, 1, NULL, "abcd üé", 1,
          "swap, rate 1: adjacent pairs exchanged, two-byte characters whole");
    is_pt("a d 7 ñ", BB_PERTURB_DROP, 1, NULL, "abc def 789 ñño", 1,
          "drop, rate 1: each word keeps its first character only");
    is_pt("Hi you", BB_PERTURB_PUNCTUATION, 1, NULL, "Hi, you.", 1,
          "punctuation, rate 1: marks dropped (no word end before a space or the end)");
    is_pt("a-b", BB_PERTURB_CASE, 1, NULL, "A-B", 9, "case leaves non-letters");
    is_pt("日本語", BB_PERTURB_CASE, 1, NULL, "日本語", 9, "case: uncased scripts unchanged");
    is_pt("", BB_PERTURB_TYPO, 1, NULL, "", 3, "empty text stays empty");
}

/* Exact outputs for a seed: the splitmix64 stream of bb_perturb_text. */
static void test_seeded(void)
{
    const char *s = "The quick brown fox jumps over the lazy dog.";
    uint64_t seed = bb_perturb_seed(7, "typos", "L12", "s1");
    char *a = pt(BB_PERTURB_TYPO, 0.15, NULL, s, seed);
    char *b = pt(BB_PERTURB_TYPO, 0.15, NULL, s, seed);
    ok(a && b && !strcmp(a, b), "same seed, same text: '%s'", a ? a : "");
    ok(a && strcmp(a, s), "rate 0.15 changes the sentence");
    is_string("Ghe qauick brown fox jumps over ter lazy dogy.", a ? a : "", "typo: exact output");
    free(a), free(b);
    is_pt("Thequick brown fox  jumps overthe lazy  dog.", BB_PERTURB_WHITESPACE, 0.3, NULL, s, seed,
          "whitespace: exact output");
    is_pt("The; quick brown fox. jumps over; the lazy. dog.", BB_PERTURB_PUNCTUATION, 0.3, NULL, s,
          seed, "punctuation: exact output");
    is_pt("Ghe quick brown fox jumps over the kazy dog.", BB_PERTURB_KEYBOARD, 0.1, NULL, s, seed,
          "keyboard: exact output");
    is_pt("The quick brown fox jumps over the lazay dog.", BB_PERTURB_INSERT, 0.05, NULL, s, seed,
          "insert: exact output");
    uint64_t s1 = bb_perturb_seed(7, "typos", "L12", "s1"),
             s2 = bb_perturb_seed(7, "typos", "L12", "s2"),
             s3 = bb_perturb_seed(8, "typos", "L12", "s1"),
             s4 = bb_perturb_seed(7, "typos", "L13", "s1"),
             s5 = bb_perturb_seed(7, "typo", "sL12", "s1");
    ok(s1 != s2 && s1 != s3 && s1 != s4 && s1 != s5,
       "the seed depends on field, suite seed, item id and the id boundaries");
    is_int((long long)s1, (long long)bb_perturb_seed(7, "typos", "L12", "s1"), "seed is stable");
}

static void test_keyboard_neighbours(void)
{
    int bad = 0;
    for (uint64_t seed = 0; seed < 200; seed++) {
        char *o = pt(BB_PERTURB_KEYBOARD, 1, NULL, "aQ", seed);
        if (!o || strlen(o) != 2 || !strchr("qwsz", o[0]) || !strchr("WA", o[1]))
            bad++;
        free(o);
    }
    is_int(0, bad, "keyboard, rate 1: 'a' -> one of qwsz, 'Q' -> W or A (case kept), 200 seeds");
    char *o = pt(BB_PERTURB_INSERT, 1, NULL, "ab", 5);
    ok(o && strlen(o) == 4 && o[0] == 'a' && strchr("qwsz", o[1]) && o[2] == 'b' &&
           strchr("vghn", o[3]),
       "insert, rate 1: a neighbour typed after each letter ('%s')", o ? o : "");
    free(o);
}

static void test_utf8(void)
{
    const char *s = "Zoë naïve café — Ωμέγα 日本語 façade ñandú";
    int invalid = 0, changed = 0;
    for (int k = 0; k < BB_PERTURB_N_KINDS; k++)
        for (uint64_t seed = 0; seed < 50; seed++) {
            char *o = pt((enum bb_perturb_kind)k, 0.5, NULL, s, seed);
            invalid += !o || !valid_utf8(o);
            changed += o && strcmp(o, s);
            free(o);
        }
    is_int(0, invalid, "every kind at rate 0.5 on multi-byte text gives valid UTF-8 (450 texts)");
    ok(changed > 300, "and changes most of them (%d of 450; names has no lexicon)", changed);
    is_pt("ÉÉ", BB_PERTURB_CASE, 1, NULL, "éé", 0, "case: two-byte letters upper-cased");
    /* exact outputs at rate 0.3 for one seed: Greek, CJK and accented letters
       moved, dropped and re-cased whole */
    const char *u = "Zoë's naïve café — Ωμέγα, 日本語!";
    uint64_t seed = bb_perturb_seed(3, "u", "L1", "text");
    static const char *const want[] = {
        "oZë's naïve caf — μΩγέα, 日!",       "oZë's naïve café — Ωμέαγ, 本日語!",
        "Zë's naïve café — Ωμέ, 日語!",       "ZAoë's naïve café — Ωμέγα, 日本語!",
        "Aoë's naïve café — Ωμέγα, 日本語!",  "zOë's naïve cafÉ — ΩΜέΓα, 日本語!",
        "Zoë's  naïve café — Ωμέγα, 日本語!", "Zoës, naïve café — Ωμέγα, 日本語!"};
    for (int k = 0; k < 8; k++)
        is_pt(want[k], (enum bb_perturb_kind)k, 0.3, NULL, u, seed, bb_perturb_kind_names[k]);
    struct bb_perturb_lexicon lex = {0};
    struct bb_error err = {0};
    const char *v[] = {"Zoë", "José", "Renée"}, *g[] = {"f", "m", "f"};
    is_int(BB_OK, bb_perturb_lexicon_add(&lex, v, g, 3, &err), "lexicon of accented names");
    is_pt("Renée met José and José.", BB_PERTURB_NAMES, 1, &lex, "José met Zoë and Renée.", seed,
          "names: accented names swapped across groups");
    bb_perturb_lexicon_free(&lex);
}

static void test_identity(void)
{
    const char *s = "Mary said: he's   here, isn't he?  Ünïcödé 日本";
    int diff = 0;
    for (int k = 0; k < BB_PERTURB_N_KINDS; k++)
        for (uint64_t seed = 0; seed < 20; seed++) {
            char *o = pt((enum bb_perturb_kind)k, 0, NULL, s, seed);
            diff += !o || strcmp(o, s);
            free(o);
        }
    is_int(0, diff, "rate 0 is the identity for every kind and seed");
}

static void test_names(void)
{
    struct bb_perturb_lexicon lex = {0};
    struct bb_error err = {0};
    const char *names[] = {"John", "Emily"}, *ng[] = {"male", "female"};
    const char *pron[] = {"he", "she"}, *pg[] = {"male", "female"};
    const char *poss[] = {"his", "her"}, *sg[] = {"male", "female"};
    enum bb_status st = bb_perturb_lexicon_add(&lex, names, ng, 2, &err);
    if (!st)
        st = bb_perturb_lexicon_add(&lex, pron, pg, 2, &err);
    if (!st)
        st = bb_perturb_lexicon_add(&lex, poss, sg, 2, &err);
    is_int(BB_OK, st, "lexicon from three filler lists");
    is_int(6, (long long)lex.n, "six words");
    is_pt("She said Emily met his friend; she smiled.", BB_PERTURB_NAMES, 1, &lex,
          "He said John met her friend; he smiled.", 3,
          "names, rate 1: every listed word swapped, capital kept");
    is_pt("Johnny hes Heather", BB_PERTURB_NAMES, 1, &lex, "Johnny hes Heather", 3,
          "names: only whole words are swapped");
    is_pt("He said John met her.", BB_PERTURB_NAMES, 0, &lex, "He said John met her.", 3,
          "names, rate 0: unchanged");
    is_pt("He said John", BB_PERTURB_NAMES, 1, NULL, "He said John", 3,
          "names without a lexicon: unchanged");
    const char *grp[] = {"Ann", "Bea", "Cid"}, *gg[] = {"f", "f", "m"};
    struct bb_perturb_lexicon l2 = {0};
    st = bb_perturb_lexicon_add(&l2, grp, gg, 3, &err);
    is_pt("Cid Cid Cid", BB_PERTURB_NAMES, 1, &l2, "Ann Bea Ann", 1,
          "names: a value becomes one of another group's values");
    int ann = 0, bea = 0;
    for (uint64_t seed = 0; seed < 100; seed++) {
        char *o = pt(BB_PERTURB_NAMES, 1, &l2, "Cid", seed);
        ann += o && !strcmp(o, "Ann");
        bea += o && !strcmp(o, "Bea");
        free(o);
    }
    ok(ann + bea == 100 && ann > 20 && bea > 20, "Cid -> Ann (%d) or Bea (%d), never itself", ann,
       bea);
    bb_perturb_lexicon_free(&l2);
    bb_perturb_lexicon_free(&lex);
}

static void test_errors(void)
{
    char *out = (char *)1;
    struct bb_error err = {0};
    is_int(BB_E_INPUT, bb_perturb_text(BB_PERTURB_TYPO, 1.5, NULL, "x", 0, &out, &err),
           "rate 1.5 is an input error");
    contains(err.msg, "outside [0, 1]", "and says why");
    ok(out == NULL, "no output on error");
    is_int(BB_E_INPUT, bb_perturb_text(BB_PERTURB_CASE, 0.5, NULL, "ab\xc3(", 0, &out, &err),
           "invalid UTF-8 is an input error");
    contains(err.msg, "invalid UTF-8 at byte 2", "naming the byte");
    is_int(BB_E_INPUT, bb_perturb_text(BB_PERTURB_CASE, -0.0001, NULL, "x", 0, &out, &err),
           "a negative rate too");
    is_string("names", bb_perturb_kind_names[BB_PERTURB_NAMES], "kind names table");
    ok(bb_perturb_kind_names[BB_PERTURB_N_KINDS] == NULL, "names table ends with NULL");
}

/* results.csv's perturbation column: written before higher_is_better,kind, read back,
 * absent in old files. */
static void test_results_column(void)
{
    struct bb_results r = {0}, back = {0}, old = {0};
    struct bb_error err = {0};
    const char *perts[] = {NULL, "typo", "delta:typo"};
    for (int i = 0; i < 3; i++) {
        struct bb_result_row row = {.suite = "s",
                                    .task = "t",
                                    .dataset = "d",
                                    .model = "m",
                                    .variant = "f32",
                                    .metric = "accuracy",
                                    .value = 0.5 - i * 0.1,
                                    .ci_low = NAN,
                                    .ci_high = NAN,
                                    .n = 10,
                                    .p_value = NAN,
                                    .higher_is_better = BB_DIR_HIGHER,
                                    .perturbation = (char *)perts[i]};
        bb_results_add(&r, &row, &err);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/perturb-results.csv", test_tmp_dir());
    is_int(BB_OK, bb_results_write_csv(&r, path, &err), "results with perturbation rows written");
    char *text = test_slurp(path, NULL);
    contains(text ? text : "",
             ",adjust_method,small_group,perturbation,higher_is_better,kind,unit\n",
             "header: perturbation before the last three columns");
    contains(text ? text : "", ",10,,,\"\",,,true,quality,\"0-1\"\n", "a clean row: an empty cell");
    contains(text ? text : "", ",10,,,\"\",,\"delta:typo\",true,quality,\"0-1\"\n",
             "a delta row: its id");
    free(text);
    is_int(BB_OK, bb_results_read_csv(path, &back, &err), "read back");
    ok(back.n == 3 && !strcmp(back.rows[0].perturbation, "") &&
           !strcmp(back.rows[1].perturbation, "typo") &&
           !strcmp(back.rows[2].perturbation, "delta:typo"),
       "perturbation read back: '', typo, delta:typo");
    FILE *f = fopen(path, "w");
    fputs("suite,task,dataset,model,variant,group,metric,value,ci_low,ci_high,n,p_value,"
          "higher_is_better,kind\ns,t,d,m,f32,all,accuracy,0.5,,,3,,true,quality\n",
          f);
    fclose(f);
    is_int(BB_OK, bb_results_read_csv(path, &old, &err), "an old results.csv still loads");
    ok(old.n == 1 && old.rows[0].perturbation && !strcmp(old.rows[0].perturbation, ""),
       "its rows read as clean (perturbation '')");
    bb_results_free(&r), bb_results_free(&back), bb_results_free(&old);
}

int main(void)
{
    plan_lazy();
    test_forced();
    test_seeded();
    test_keyboard_neighbours();
    test_utf8();
    test_identity();
    test_names();
    test_errors();
    test_results_column();
    return tap_failures() ? 1 : 0;
}
