/* dataset.h: load evaluation datasets (CSV/TSV through libcsv, JSON Lines,
 * whole JSON documents) into a table of UTF-8 strings with named columns,
 * per-row source line numbers, a role -> column mapping, a bad-row policy and
 * the file's sha256; plus SEAT/WEAT word-set files.
 *
 * A table cell is either missing (bb_table_get returns NULL: a JSON key absent
 * or null in that row) or a string. JSON cells: strings as they are, numbers
 * and booleans as their JSON text, nested objects flattened into dotted column
 * names ("answer_info.ans0"), arrays of strings as list cells (bb_table_list;
 * bb_table_get gives the items joined with "\n"), other arrays and objects in
 * arrays as compact JSON text. CSV/TSV cells are plain strings (a list of one
 * item to bb_table_list). */
#ifndef BB_DATASET_H
#define BB_DATASET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

enum bb_dataset_format {
    BB_FORMAT_AUTO = 0, /* by extension: .csv; .tsv/.txt; .jsonl; .json */
    BB_FORMAT_CSV,
    BB_FORMAT_TSV,
    BB_FORMAT_JSONL,
    BB_FORMAT_JSON
};

enum bb_header { BB_HEADER_DEFAULT = 0, BB_HEADER_YES, BB_HEADER_NO }; /* default: yes */
enum bb_quoting { BB_QUOTING_DEFAULT = 0, BB_QUOTING_ON, BB_QUOTING_OFF }; /* CSV on, TSV off */

/* How rows whose field count differs from the expected one are treated. The
 * expected count is spec.n_fields when set, else the header's, else the first
 * row's. */
enum bb_field_policy {
    BB_FIELDS_EXACT = 0,  /* any difference is a bad row */
    BB_FIELDS_ALLOW_EXTRA /* more fields are fine and dropped; fewer is a bad row */
};

enum bb_bad_row { BB_BAD_ROW_ERROR = 0, BB_BAD_ROW_SKIP };

/* One role (what a task calls a column, e.g. "s1") mapped to a column of the
 * file by name, or by 0-based index when name is NULL. */
struct bb_column_map {
    const char *role;
    const char *name;
    int index;
};

struct bb_dataset_spec {
    const char *path; /* already resolved */
    enum bb_dataset_format format;
    enum bb_header header;     /* CSV/TSV only */
    char delimiter;            /* 0: ',' for CSV, '\t' for TSV */
    enum bb_quoting quoting;   /* off: split on the delimiter only, lines end at '\n' */
    int n_fields;              /* 0: header's / first row's count */
    enum bb_field_policy fields;
    enum bb_bad_row on_bad_row;
    const struct bb_column_map *columns; /* may be NULL */
    size_t n_columns;
};

struct bb_table; /* opaque */

/* Load a dataset. Errors: missing file -> BB_E_IO naming it; malformed row,
 * bad quoting, invalid UTF-8, bad JSON, empty file, unknown mapped column ->
 * BB_E_INPUT with "path:LINE: ..." (bad rows are counted and dropped instead
 * when on_bad_row is skip; an unterminated quote is always fatal). */
enum bb_status bb_dataset_load(const struct bb_dataset_spec *spec, struct bb_table **out,
                               struct bb_error *err);
/* bb_dataset_load of a suite's dataset entry (its format, header, delimiter,
 * column roles and bad-row policy) from path, the file it resolved to. */
struct bb_suite_dataset;
enum bb_status bb_dataset_load_suite(const struct bb_suite_dataset *ds, const char *path,
                                     struct bb_table **out, struct bb_error *err);
void bb_table_free(struct bb_table *t);

/* Format the spec resolves to (AUTO looked up by extension; unknown -> AUTO). */
enum bb_dataset_format bb_dataset_format_of(const struct bb_dataset_spec *spec);
const char *bb_dataset_format_name(enum bb_dataset_format f);
/* "auto", "csv", "tsv", "jsonl" or "json" (as a suite writes it); false otherwise. */
bool bb_dataset_format_from_name(const char *name, enum bb_dataset_format *out);

size_t bb_table_rows(const struct bb_table *t);
size_t bb_table_cols(const struct bb_table *t);
/* Column name: the header's, the JSON key path, or "0", "1", ... without a
 * header (an empty header name also becomes its index). */
const char *bb_table_col_name(const struct bb_table *t, size_t col);
/* Column index of a mapped role, else of a column name; -1 when neither. */
int bb_table_col(const struct bb_table *t, const char *role_or_name);
/* As bb_table_col, but an unknown name is a BB_E_INPUT error that lists the
 * columns found. */
enum bb_status bb_table_require_col(const struct bb_table *t, const char *role_or_name, int *col,
                                    struct bb_error *err);
/* Cell text, NULL when missing or out of range. */
const char *bb_table_get(const struct bb_table *t, size_t row, int col);
/* Replace the text of an existing cell (a copy of s; a list cell becomes a
 * plain one): robustness reruns perturb a loaded table in place. */
enum bb_status bb_table_set(struct bb_table *t, size_t row, int col, const char *s,
                            struct bb_error *err);
/* Cell parsed as a number (surrounding spaces allowed) / as an integer; a
 * missing or malformed cell is BB_E_INPUT "path:LINE: column 'c': expected a
 * number, found 'x'". */
enum bb_status bb_table_get_double(const struct bb_table *t, size_t row, int col, double *out,
                                   struct bb_error *err);
enum bb_status bb_table_get_long(const struct bb_table *t, size_t row, int col, long *out,
                                 struct bb_error *err);
/* Items of a list cell (a plain cell is a list of one); NULL and *n = 0 when
 * missing. */
const char *const *bb_table_list(const struct bb_table *t, size_t row, int col, size_t *n);
/* 1-based line where the row's record starts (JSON documents: 0). */
long bb_table_line(const struct bb_table *t, size_t row);
/* Rows dropped by on_bad_row: skip. */
size_t bb_table_skipped(const struct bb_table *t);
/* Line of the first skipped row (0 when none), for a warning. */
long bb_table_first_skipped_line(const struct bb_table *t);
const char *bb_table_path(const struct bb_table *t);
const char *bb_table_sha256(const struct bb_table *t); /* 64 hex digits */
uint64_t bb_table_bytes(const struct bb_table *t);
/* A JSON document whose top level is an object (not an array of rows): the
 * parsed document, owned by the table (the table then has no rows). NULL
 * otherwise. */
json_t *bb_table_json(const struct bb_table *t);

/* Split a Python/numpy list repr such as StereoSet CSV's "['a' \"b's\" 'c']"
 * into items (newly allocated; free with bb_strlist_free). */
enum bb_status bb_dataset_split_pylist(const char *s, const char *what, char ***items, size_t *n,
                                       struct bb_error *err);
void bb_strlist_free(char **items, size_t n);

/* ---- SEAT / WEAT ---------------------------------------------------------- */

struct bb_word_set {
    char *name; /* category ("Flowers") or list name ("flowers") */
    char **items;
    size_t n;
};

/* A sent-bias SEAT/WEAT test file: one JSON object {targ1, targ2, attr1, attr2},
 * each {category, examples[]}. */
struct bb_seat_test {
    struct bb_word_set targ1, targ2, attr1, attr2;
};

enum bb_status bb_seat_load(const char *path, struct bb_seat_test *out, struct bb_error *err);
void bb_seat_free(struct bb_seat_test *t);

#endif
