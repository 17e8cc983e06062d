/* fuzz_dataset.c: libFuzzer harness for the dataset reader (src/suite/dataset.c):
 * CSV, TSV, JSON Lines and whole JSON documents, plus the SEAT/WEAT loader
 * and the Python list splitter.
 *
 * Input: one option byte, then the file. The byte picks the format (bits 0-1:
 * csv, tsv, jsonl, json), header (bit 2), quoting off (bit 3), bad rows
 * skipped (bit 4), extra fields allowed (bit 5), a role -> column map (bit 6)
 * and, for json, also the SEAT loader (bit 7). Every cell of a
 * loaded table is read through every accessor. */
#include <stdlib.h>
#include <string.h>

#include "suite/dataset.h"
#include "fuzz-common.h"

static const char *const ext[4] = {"d.csv", "d.tsv", "d.jsonl", "d.json"};

BB_FUZZ_TARGET(dataset)
{
    if (size < 1)
        return 0;
    unsigned opt = data[0];
    char path[4096];
    bb_fuzz_write(ext[opt & 3], data + 1, size - 1);
    bb_fuzz_path(path, sizeof path, ext[opt & 3]);

    static const struct bb_column_map map[] = {
        {"text", "text", -1}, {"label", NULL, 1}, {"s1", "sentence1", -1}};
    struct bb_dataset_spec spec = {
        .path = path,
        .format = (enum bb_dataset_format)(BB_FORMAT_CSV + (opt & 3)),
        .header = opt & 4 ? BB_HEADER_NO : BB_HEADER_YES,
        .quoting = opt & 8 ? BB_QUOTING_OFF : BB_QUOTING_DEFAULT,
        .on_bad_row = opt & 16 ? BB_BAD_ROW_SKIP : BB_BAD_ROW_ERROR,
        .fields = opt & 32 ? BB_FIELDS_ALLOW_EXTRA : BB_FIELDS_EXACT,
        .columns = opt & 64 ? map : NULL,
        .n_columns = opt & 64 ? sizeof map / sizeof *map : 0,
    };
    struct bb_table *t = NULL;
    struct bb_error err = {0};
    bb_fuzz_confine(true);
    enum bb_status st = bb_dataset_load(&spec, &t, &err);
    bb_fuzz_confine(false);
    bb_fuzz_note("dataset", st, &err);
    if (!st && t) {
        size_t rows = bb_table_rows(t), cols = bb_table_cols(t);
        for (size_t c = 0; c < cols; c++) {
            const char *name = bb_table_col_name(t, c);
            if (name)
                bb_table_col(t, name);
        }
        int col;
        bb_table_require_col(t, "text", &col, &err);
        for (size_t r = 0; r < rows && r < 256; r++) {
            bb_table_line(t, r);
            for (size_t c = 0; c <= cols && c < 64; c++) {
                const char *v = bb_table_get(t, r, (int)c);
                double d;
                long l;
                size_t n;
                bb_table_get_double(t, r, (int)c, &d, &err);
                bb_table_get_long(t, r, (int)c, &l, &err);
                const char *const *items = bb_table_list(t, r, (int)c, &n);
                for (size_t i = 0; i < n; i++)
                    (void)strlen(items[i]);
                if (v && v[0] == '[') {
                    char **py = NULL;
                    size_t npy = 0;
                    if (!bb_dataset_split_pylist(v, "cell", &py, &npy, &err))
                        bb_strlist_free(py, npy);
                }
            }
        }
        bb_table_skipped(t);
        bb_table_first_skipped_line(t);
        bb_table_sha256(t);
        bb_table_bytes(t);
        bb_table_json(t);
        bb_table_free(t);
    }
    if ((opt & 3) == 3 && (opt & 128)) {
        struct bb_seat_test seat;
        bb_fuzz_confine(true);
        if (!bb_seat_load(path, &seat, &err))
            bb_seat_free(&seat);
        bb_fuzz_confine(false);
    }
    return 0;
}
