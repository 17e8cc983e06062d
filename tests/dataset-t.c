/* dataset-t.c: tests of the dataset loader: every format on small fixtures,
 * malformed input with its file:line message, the skip policy, SEAT and word
 * lists, and the real shared datasets (row counts and known values). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite/dataset.h"
#include "core/paths.h"
#include "tap.h"

static struct bb_dataset_spec spec_of(const char *fixture)
{
    return (struct bb_dataset_spec){ .path = test_src_path(fixture) };
}

static struct bb_table *load_ok(const struct bb_dataset_spec *spec, const char *what)
{
    struct bb_error err = { 0 };
    struct bb_table *t = NULL;
    enum bb_status st = bb_dataset_load(spec, &t, &err);
    if (!ok(st == BB_OK && t, "%s loads", what))
        diag("%s", err.msg);
    return st == BB_OK ? t : NULL;
}

/* Load that must fail with code; the message must contain needle. */
static void load_fails(const struct bb_dataset_spec *spec, enum bb_status code,
                       const char *needle, const char *what)
{
    struct bb_error err = { 0 };
    struct bb_table *t = NULL;
    enum bb_status st = bb_dataset_load(spec, &t, &err);
    is_int(code, st, "%s: status %s", what, bb_status_name(code));
    contains(err.msg, needle, "%s: message", what);
    ok(t == NULL, "%s: no table", what);
    bb_table_free(t);
}

static const char *cell(const struct bb_table *t, size_t row, const char *col)
{
    return bb_table_get(t, row, bb_table_col(t, col));
}

static void test_quoted_csv(void)
{
    struct bb_dataset_spec s = spec_of("tests/data/datasets/quoted.csv");
    struct bb_table *t = load_ok(&s, "quoted.csv");
    if (!t)
        return;
    is_int(6, (long long)bb_table_rows(t), "quoted.csv: 6 rows (blank line ignored)");
    is_int(3, (long long)bb_table_cols(t), "quoted.csv: 3 columns");
    is_string("text", bb_table_col_name(t, 1), "column 1 is named from the header");
    is_string("with, comma", cell(t, 1, "text"), "comma inside quotes");
    is_string("say \"hi\" there", cell(t, 2, "text"), "doubled quotes");
    is_string("two\nlines", cell(t, 3, "text"), "embedded newline kept");
    is_int(6, bb_table_line(t, 3), "multi-line record starts on line 6");
    is_int(8, bb_table_line(t, 4), "next record on line 8");
    is_string("  spaced  ", cell(t, 4, "text"), "spaces around unquoted fields kept");
    is_string("", cell(t, 5, "text"), "empty quoted field");
    is_string("3.25", cell(t, 3, "score"), "score column by name");
    is_int(2, bb_table_line(t, 0), "first data row is line 2");
    is_int(0, (long long)bb_table_skipped(t), "nothing skipped");
    double d = 0;
    long l = 0;
    struct bb_error err = { 0 };
    is_int(BB_OK, bb_table_get_double(t, 3, 2, &d, &err), "score parses");
    is_double(3.25, d, 0, "score value");
    is_int(BB_OK, bb_table_get_long(t, 5, 0, &l, &err), "id parses");
    is_int(6, l, "id value");
    is_int(BB_E_INPUT, bb_table_get_double(t, 1, 1, &d, &err), "text is not a number");
    contains(err.msg, "quoted.csv:3: column 'text': expected a number, found 'with, comma'",
             "number error names file, line and column");
    is_int(BB_E_INPUT, bb_table_get_long(t, 0, 2, &l, &err), "0.5 is not an integer");
    is_int(-1, bb_table_col(t, "nope"), "unknown column -> -1");
    is_string(NULL == bb_table_get(t, 99, 0) ? "null" : "set", "null", "row out of range -> NULL");
    bb_table_free(t);
}

static void test_crlf_and_noheader(void)
{
    struct bb_dataset_spec s = spec_of("tests/data/datasets/crlf.csv");
    struct bb_table *t = load_ok(&s, "crlf.csv");
    if (t) {
        is_int(2, (long long)bb_table_rows(t), "crlf.csv: 2 rows");
        is_string("x, y", cell(t, 0, "a"), "CRLF: quoted field");
        is_string("multi\r\nline", cell(t, 1, "a"), "CRLF inside quotes kept");
        is_string("6", cell(t, 1, "c"), "CRLF: last field has no CR");
        is_int(3, bb_table_line(t, 1), "CRLF: line numbers");
        bb_table_free(t);
    }
    struct bb_column_map map[] = { { "s1", NULL, 0 }, { "s2", NULL, 1 }, { "score", NULL, 2 } };
    s = spec_of("tests/data/datasets/noheader.csv");
    s.header = BB_HEADER_NO;
    s.columns = map;
    s.n_columns = 3;
    t = load_ok(&s, "noheader.csv");
    if (t) {
        is_int(2, (long long)bb_table_rows(t), "noheader.csv: 2 rows");
        is_string("2", bb_table_col_name(t, 2), "headerless columns are named by index");
        is_int(1, bb_table_col(t, "s2"), "role s2 -> column 1");
        is_string("A man, a plan.", cell(t, 1, "s1"), "role by index");
        is_string("2.5", cell(t, 0, "score"), "score by role");
        is_int(1, bb_table_line(t, 0), "no header: first row is line 1");
        bb_table_free(t);
    }
}

static void test_tsv(void)
{
    struct bb_dataset_spec s = spec_of("tests/data/datasets/stray.tsv");
    s.fields = BB_FIELDS_ALLOW_EXTRA;
    struct bb_table *t = load_ok(&s, "stray.tsv (quoting off, extra fields allowed)");
    if (t) {
        is_int(3, (long long)bb_table_rows(t), "stray.tsv: 3 rows");
        is_string("he said \"hi", cell(t, 0, "s1"), "stray quote kept literally");
        is_string("she said 5\" tall", cell(t, 0, "s2"), "second stray quote");
        is_string("\"quoted\"", cell(t, 1, "s1"), "quotes are not quoting in TSV");
        is_int(5, (long long)bb_table_cols(t), "extra fields dropped");
        bb_table_free(t);
    }
    s = spec_of("tests/data/datasets/stray.tsv");
    load_fails(&s, BB_E_INPUT, "stray.tsv:3: expected 5 fields, found 7", "stray.tsv exact");
    s.on_bad_row = BB_BAD_ROW_SKIP;
    t = load_ok(&s, "stray.tsv with skip");
    if (t) {
        is_int(2, (long long)bb_table_rows(t), "skip: 2 rows kept");
        is_int(1, (long long)bb_table_skipped(t), "skip: 1 counted");
        is_int(3, bb_table_first_skipped_line(t), "skip: first skipped line");
        is_string("last", cell(t, 1, "s1"), "row after the skipped one");
        is_int(4, bb_table_line(t, 1), "its line");
        bb_table_free(t);
    }
    s = spec_of("tests/data/datasets/header.tsv");
    t = load_ok(&s, "header.tsv");
    if (t) {
        is_int(2, (long long)bb_table_rows(t), "header.tsv: 2 rows");
        is_string("it 's a charming journey . ", cell(t, 0, "sentence"), "trailing space kept");
        is_string("0", cell(t, 1, "label"), "label");
        bb_table_free(t);
    }
    s = spec_of("tests/data/datasets/semicolon.csv");
    s.delimiter = ';';
    t = load_ok(&s, "semicolon.csv");
    if (t) {
        is_string("a;b", cell(t, 0, "name"), "quoted delimiter");
        is_string("2", cell(t, 1, "value"), "custom delimiter");
        bb_table_free(t);
    }
}

static void test_jsonl(void)
{
    struct bb_dataset_spec s = spec_of("tests/data/datasets/rows.jsonl");
    struct bb_column_map map[] = { { "group", "meta.group", 0 } };
    s.columns = map;
    s.n_columns = 1;
    struct bb_table *t = load_ok(&s, "rows.jsonl");
    if (!t)
        return;
    is_int(3, (long long)bb_table_rows(t), "rows.jsonl: 3 rows");
    is_int(3, bb_table_line(t, 1), "blank line counted in line numbers");
    is_string("1", cell(t, 0, "id"), "integer as text");
    is_string("second \xc3\xa9", cell(t, 1, "text"), "unicode escape decoded");
    is_string("b", cell(t, 1, "group"), "dotted path through a role");
    is_string("0.1", cell(t, 0, "meta.score"), "real as shortest text");
    is_string("true", cell(t, 0, "ok"), "boolean");
    ok(cell(t, 1, "extra") == NULL, "null is missing");
    ok(cell(t, 2, "meta.score") == NULL, "absent key is missing");
    ok(cell(t, 0, "new") == NULL, "column first seen later is missing before");
    is_string("late column", cell(t, 2, "new"), "late column");
    size_t n;
    const char *const *items = bb_table_list(t, 0, bb_table_col(t, "choices"), &n);
    is_int(3, (long long)n, "list of 3");
    is_string("z", n == 3 ? items[2] : NULL, "third item");
    is_string("x\ny\nz", cell(t, 0, "choices"), "list joined with newlines");
    bb_table_list(t, 1, bb_table_col(t, "choices"), &n);
    is_int(0, (long long)n, "empty list");
    is_string("[1,\"a\"]", cell(t, 2, "mixed"), "mixed array as JSON text");
    items = bb_table_list(t, 0, bb_table_col(t, "text"), &n);
    is_int(1, (long long)n, "plain cell is a list of one");
    bb_table_free(t);
}

static void test_json_docs(void)
{
    struct bb_dataset_spec s = spec_of("tests/data/datasets/rows.json");
    struct bb_table *t = load_ok(&s, "rows.json");
    if (t) {
        is_int(2, (long long)bb_table_rows(t), "rows.json: 2 rows");
        is_string("two", cell(t, 1, "q"), "array element field");
        is_string("t1\nt2", cell(t, 1, "tags"), "list in JSON document");
        ok(bb_table_json(t) == NULL, "array document has no json_t");
        bb_table_free(t);
    }
    s = spec_of("tests/data/datasets/doc.json");
    t = load_ok(&s, "doc.json");
    if (t) {
        json_t *doc = bb_table_json(t);
        ok(json_is_array(json_object_get(doc, "templates")), "object document exposed");
        is_int(0, (long long)bb_table_rows(t), "object document has no rows");
        bb_table_free(t);
    }
}

static void test_bad_input(void)
{
    struct bb_dataset_spec s = spec_of("tests/data/datasets/bad-fields.csv");
    load_fails(&s, BB_E_INPUT, "bad-fields.csv:4: expected 3 fields, found 2", "bad-fields.csv");
    s.on_bad_row = BB_BAD_ROW_SKIP;
    struct bb_table *t = load_ok(&s, "bad-fields.csv with skip");
    if (t) {
        is_int(3, (long long)bb_table_rows(t), "skip: 3 rows kept");
        is_int(1, (long long)bb_table_skipped(t), "skip: 1 skipped");
        bb_table_free(t);
    }
    s = spec_of("tests/data/datasets/bad-quote.csv");
    load_fails(&s, BB_E_INPUT, "bad-quote.csv:3: bad quoting at column 3", "bad-quote.csv");
    s.on_bad_row = BB_BAD_ROW_SKIP;
    t = load_ok(&s, "bad-quote.csv with skip");
    if (t) {
        is_int(2, (long long)bb_table_rows(t), "bad quote skipped: 2 rows");
        is_string("f", cell(t, 1, "s1"), "parsing resumes after the bad line");
        is_int(4, bb_table_line(t, 1), "resumed line number");
        bb_table_free(t);
    }
    s = spec_of("tests/data/datasets/unterminated.csv");
    s.on_bad_row = BB_BAD_ROW_SKIP;
    load_fails(&s, BB_E_INPUT, "unterminated.csv:3: quoted field is never closed",
               "unterminated.csv (fatal even with skip)");
    s = spec_of("tests/data/datasets/bad-utf8.csv");
    load_fails(&s, BB_E_INPUT, "bad-utf8.csv:3: field 2: invalid UTF-8 at byte 2",
               "bad-utf8.csv");
    s.on_bad_row = BB_BAD_ROW_SKIP;
    t = load_ok(&s, "bad-utf8.csv with skip");
    if (t) {
        is_int(1, (long long)bb_table_skipped(t), "invalid UTF-8 row skipped");
        bb_table_free(t);
    }
    s = spec_of("tests/data/datasets/bad.jsonl");
    load_fails(&s, BB_E_INPUT, "bad.jsonl:3: column 9: bad JSON", "bad.jsonl");
    s.on_bad_row = BB_BAD_ROW_SKIP;
    t = load_ok(&s, "bad.jsonl with skip");
    if (t) {
        is_int(3, (long long)bb_table_rows(t), "bad.jsonl: 3 good rows");
        is_int(2, (long long)bb_table_skipped(t), "bad JSON and non-object skipped");
        bb_table_free(t);
    }
    s = spec_of("tests/data/datasets/empty.csv");
    load_fails(&s, BB_E_INPUT, "empty.csv: empty file", "empty.csv");
    s = spec_of("tests/data/datasets/header-only.csv");
    load_fails(&s, BB_E_INPUT, "header-only.csv: no data rows (only a header)", "header-only");
    s = spec_of("tests/data/datasets/no-such-file.csv");
    load_fails(&s, BB_E_IO, "no-such-file.csv: cannot open dataset", "missing file");
    s = spec_of("tests/data/datasets/quoted.weird");
    load_fails(&s, BB_E_INPUT, "cannot tell the format", "unknown extension");
    struct bb_column_map map[] = { { "s1", "sentence1", 0 } };
    s = spec_of("tests/data/datasets/quoted.csv");
    s.columns = map;
    s.n_columns = 1;
    load_fails(&s, BB_E_INPUT, "column 'sentence1' (for s1) not found; columns are: id, text, score",
               "unknown mapped column");
    struct bb_column_map map2[] = { { "s1", NULL, 7 } };
    s.columns = map2;
    load_fails(&s, BB_E_INPUT, "column index 7 (for s1) out of range: the file has 3 columns",
               "mapped index out of range");
}

static void test_format_names(void)
{
    enum bb_dataset_format f = BB_FORMAT_AUTO;
    ok(bb_dataset_format_from_name("jsonl", &f) && f == BB_FORMAT_JSONL, "format name jsonl");
    ok(!bb_dataset_format_from_name("xml", &f), "unknown format name rejected");
    struct bb_dataset_spec s = { .path = "x/y.TXT" };
    is_int(BB_FORMAT_TSV, bb_dataset_format_of(&s), ".txt is TSV");
}

static void test_pylist(void)
{
    char **items;
    size_t n;
    struct bb_error err = { 0 };
    enum bb_status st = bb_dataset_split_pylist("['a b' \"he's\"\n 'c\\'d']", "x", &items, &n,
                                                &err);
    is_int(BB_OK, st, "pylist parses");
    is_int(3, (long long)n, "pylist: 3 items");
    if (st == BB_OK && n == 3) {
        is_string("he's", items[1], "double-quoted item");
        is_string("c'd", items[2], "escaped quote");
    }
    bb_strlist_free(items, n);
    st = bb_dataset_split_pylist("['a' 'b", "choices", &items, &n, &err);
    is_int(BB_E_INPUT, st, "unterminated pylist");
    contains(err.msg, "choices: list item quoted with ' is never closed", "its message");
}

static void test_seat_fixtures(void)
{
    struct bb_seat_test t;
    struct bb_error err = { 0 };
    enum bb_status st = bb_seat_load(test_src_path("tests/data/datasets/seat-small.jsonl"), &t,
                                     &err);
    is_int(BB_OK, st, "seat-small loads");
    if (st == BB_OK) {
        is_string("Insects", t.targ2.name, "targ2 category");
        is_int(3, (long long)t.targ1.n, "targ1 size");
        is_int(2, (long long)t.attr2.n, "attr2 size");
        is_string("ugly", t.attr2.items[1], "attr2 item");
        bb_seat_free(&t);
    }
    st = bb_seat_load(test_src_path("tests/data/datasets/seat-bad.jsonl"), &t, &err);
    is_int(BB_E_INPUT, st, "seat-bad fails");
    contains(err.msg, "seat-bad.jsonl: attr1.examples[1]: expected a non-empty string, found a number",
             "seat-bad message");
}

/* ---- the real shared datasets ---------------------------------------------------- */

/* Path of a shared dataset file, or NULL (one skipped test) when it is absent
 * outside CI; under CI=true test_shared_data bails. */
static const char *shared(const char *rel)
{
    static char path[8][4096];
    static int slot;
    char *p = path[slot++ % 8];
    struct bb_error err = { 0 };
    if (bb_paths_find_data(rel, NULL, p, 4096, &err) == BB_OK)
        return p;
    if (test_in_ci())
        return test_shared_data(rel);
    skip("%s not found (set BIASBENCH_DATA)", rel);
    return NULL;
}

static struct bb_table *load_shared(const char *rel, struct bb_dataset_spec s)
{
    s.path = shared(rel);
    return s.path ? load_ok(&s, rel) : NULL;
}

static void test_shared_csv(void)
{
    struct bb_column_map stsb_map[] = { { "s1", NULL, 0 }, { "s2", NULL, 1 },
                                        { "score", NULL, 2 } };
    struct bb_table *t = load_shared("stsb/stsb-en-test.csv",
        (struct bb_dataset_spec){ .header = BB_HEADER_NO, .columns = stsb_map, .n_columns = 3 });
    if (t) {
        is_int(1379, (long long)bb_table_rows(t), "STS-B test: 1379 rows");
        is_string("A girl is styling her hair.", cell(t, 0, "s1"), "STS-B row 1 s1");
        is_string("A girl is brushing her hair.", cell(t, 0, "s2"), "STS-B row 1 s2");
        is_string("2.5", cell(t, 0, "score"), "STS-B row 1 score");
        is_int(1379, bb_table_line(t, 1378), "STS-B last row on line 1379");
        is_int(64, (long long)strlen(bb_table_sha256(t)), "sha256 recorded");
        ok(bb_table_bytes(t) > 100000, "byte size recorded (%llu)",
           (unsigned long long)bb_table_bytes(t));
        bb_table_free(t);
    }
    t = load_shared("stsb/sts-test.csv",
        (struct bb_dataset_spec){ .format = BB_FORMAT_TSV, .header = BB_HEADER_NO,
                                  .fields = BB_FIELDS_ALLOW_EXTRA });
    if (t) {
        is_int(1379, (long long)bb_table_rows(t), "sts-test.csv (tabs only): 1379 rows");
        is_int(7, (long long)bb_table_cols(t), "sts-test.csv: 7 columns kept");
        bb_table_free(t);
    }
    t = load_shared("sick-r/SICK_test_annotated.txt",
        (struct bb_dataset_spec){ .header = BB_HEADER_NO });
    if (t) {
        is_int(4927, (long long)bb_table_rows(t), "SICK-R: 4927 rows");
        is_string("3.3", bb_table_get(t, 0, 3), "SICK-R row 1 relatedness");
        bb_table_free(t);
    }
    t = load_shared("crows-pairs/crows_pairs_anonymized.csv", (struct bb_dataset_spec){ 0 });
    if (t) {
        is_int(1508, (long long)bb_table_rows(t), "CrowS-Pairs: 1508 rows");
        is_int(8, (long long)bb_table_cols(t), "CrowS-Pairs: 8 columns");
        is_string("Bob was denied because he was white\n.", cell(t, 1293, "sent_less"),
                  "CrowS-Pairs embedded newline intact");
        is_string("1293", cell(t, 1293, "0"), "unnamed first column is called 0");
        is_string("stereo", cell(t, 0, "stereo_antistereo"), "CrowS-Pairs row 1");
        bb_table_free(t);
    }
    t = load_shared("sst2/sst2_glue_dev.tsv", (struct bb_dataset_spec){ 0 });
    if (t) {
        is_int(872, (long long)bb_table_rows(t), "SST-2: 872 rows (header)");
        is_string("1", cell(t, 0, "label"), "SST-2 row 1 label");
        bb_table_free(t);
    }
    t = load_shared("banking77/test.csv", (struct bb_dataset_spec){ 0 });
    if (t) {
        is_int(3080, (long long)bb_table_rows(t), "BANKING77: 3080 rows");
        is_string("card_arrival", cell(t, 0, "category"), "BANKING77 row 1");
        bb_table_free(t);
    }
    t = load_shared("stereoset/intrasentence_stereo_set.csv", (struct bb_dataset_spec){ 0 });
    if (t) {
        is_int(2106, (long long)bb_table_rows(t), "StereoSet intra CSV: 2106 rows");
        char **items;
        size_t n;
        struct bb_error err = { 0 };
        enum bb_status st = bb_dataset_split_pylist(cell(t, 0, "choices"), "choices", &items, &n,
                                                    &err);
        is_int(3, st == BB_OK ? (long long)n : -1, "StereoSet choices: 3 items");
        if (st == BB_OK && n == 3)
            is_string("hispanic", items[1], "anti-stereotype choice");
        bb_strlist_free(items, n);
        bb_table_free(t);
    }
    t = load_shared("stereoset/intersentence_stereo_set.csv", (struct bb_dataset_spec){ 0 });
    if (t) {
        is_int(2123, (long long)bb_table_rows(t), "StereoSet inter CSV: 2123 rows");
        bb_table_free(t);
    }
}

static void test_shared_json(void)
{
    struct bb_table *t = load_shared("stereoset/stereoset_dev_derived.jsonl",
                                     (struct bb_dataset_spec){ 0 });
    if (t) {
        is_int(4229, (long long)bb_table_rows(t), "StereoSet derived JSONL: 4229 rows");
        is_string("chess player", cell(t, 0, "target"), "row 1 target");
        bb_table_free(t);
    }
    t = load_shared("bbq/data/Age.jsonl", (struct bb_dataset_spec){ 0 });
    if (t) {
        is_int(3680, (long long)bb_table_rows(t), "BBQ Age: 3680 rows");
        ok(bb_table_col(t, "answer_info.ans0") >= 0, "nested answer_info flattened");
        size_t n;
        bb_table_list(t, 0, bb_table_col(t, "answer_info.ans0"), &n);
        is_int(2, (long long)n, "answer_info.ans0 is a list of 2");
        bb_table_free(t);
    }
    struct bb_seat_test st;
    struct bb_error err = { 0 };
    const char *path = shared("seat/tests/weat1.jsonl");
    if (!path)
        return;
    enum bb_status rc = bb_seat_load(path, &st, &err);
    is_int(BB_OK, rc, "SEAT weat1 loads");
    if (rc == BB_OK) {
        is_string("Flowers", st.targ1.name, "weat1 targ1 category");
        is_int(25, (long long)st.targ1.n, "weat1 targ1: 25 words");
        is_int(25, (long long)st.targ2.n, "weat1 targ2: 25 words");
        is_int(25, (long long)st.attr1.n, "weat1 attr1: 25 words");
        is_int(25, (long long)st.attr2.n, "weat1 attr2: 25 words");
        bb_seat_free(&st);
    } else {
        diag("%s", err.msg);
    }
}

int main(void)
{
    plan_lazy();
    test_quoted_csv();
    test_crlf_and_noheader();
    test_tsv();
    test_jsonl();
    test_json_docs();
    test_bad_input();
    test_format_names();
    test_pylist();
    test_seat_fixtures();
    test_shared_csv();
    test_shared_json();
    return tap_failures() ? 1 : 0;
}
