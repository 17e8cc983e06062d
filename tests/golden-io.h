/* golden-io.h: test support shared by the golden tests (embed, mpnet,
 * tokenizer): the STS-B CSV read with Python csv semantics, the binary
 * embedding golden (BBGOLD1, tests/reference/golden_io.py), the text of a
 * golden key, vector comparison, and the token-id goldens' sources (texts
 * keyed "stsb-en-test.csv:ROW:COL" and "tokenizer-hard-cases.txt:LINE").
 * Everything bails (tap.h) on unreadable or malformed input. */
#ifndef BB_TESTS_GOLDEN_IO_H
#define BB_TESTS_GOLDEN_IO_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "model/model.h"

/* Rows of the two sentences joined for column 2 of an embedding golden key,
 * as tests/reference/make_embedding_golden.py and make_mpnet_golden.py. */
#define GOLDEN_LONG_ROWS 20

/* The STS-B CSV (no header), parsed like Python's csv module. */
struct csv_rows {
    char *(*rows)[3]; /* (n, 3) fields s1, s2, score; NULL where a record is short */
    size_t n, cap;
    int field;
};
void csv_read(const char *path, struct csv_rows *r);
void csv_rows_free(struct csv_rows *r);

/* A BBGOLD1 version-1 file: header (magic, version, count, dim, source path),
 * then per item a key (row, column) and dim little-endian float32. */
struct golden {
    uint32_t count, dim;
    char source[256]; /* the CSV, relative to the shared data folder */
    uint32_t *keys;   /* (count, 2) row, column */
    float *vec;       /* (count, dim) */
};
void golden_load(const char *path, struct golden *g);
void golden_free(struct golden *g);

/* Text of a golden key (malloc'd): a field, or (column 2) the join of
 * GOLDEN_LONG_ROWS rows from `row` on. */
char *key_text(const struct csv_rows *r, uint32_t row, uint32_t col);

/* Row-wise comparison of a and b (n, dim): the worst cosine (NaN counts as
 * -2) and where, and the largest absolute difference. */
struct cmp {
    double worst_cos, max_abs;
    size_t worst_i;
};
struct cmp compare(const float *a, const float *b, size_t n, size_t dim);

/* n, or BIASBENCH_GOLDEN_LIMIT when that is smaller and positive. */
size_t golden_limit(size_t n);

/* Source texts of the token-id goldens, each under its key. */
struct item {
    char key[96];
    char *text;
    size_t len;
};
struct items {
    struct item *v;
    int n, cap;
};
/* STS-B: "stsb-en-test.csv:ROW:COL", ROW 1-based, COL 1 or 2. */
void items_read_stsb(const char *path, struct items *it);
/* The '|' lines of tests/data/tokenizer-hard-cases.txt, escapes decoded:
 * "tokenizer-hard-cases.txt:LINE", LINE 1-based. */
void items_read_hard_cases(const char *path, struct items *it);
/* The item under key, searched from *hint on (then set past it); NULL if none. */
const struct item *items_find(const struct items *it, const char *key, int *hint);
void items_free(struct items *it);

/* Space-separated ids of a golden line into *ids (grown, caller frees). */
int parse_ids(char *s, int32_t **ids, int *cap);
/* Compare the lines of a token-id golden (biasbench-tokenizer-golden v1, from
 * tests/reference/make_tokenizer_golden.py or make_mpnet_golden.py; its header
 * must also hold header_needs unless that is NULL) with tok's encodings of
 * their texts in src: the first `limit` lines, or all when 0. Returns the
 * number matched; *total gets the lines checked (-1 when the header's count
 * disagrees). A mismatch or a missing text is a failed point while *shown < 20. */
int golden_tok_check(const struct bb_tokenizer *tok, const char *golden, const char *header_needs,
                     const struct items *src, int limit, int *total, int *shown);

/* ---- running a model on the goldens (these assert through tap.h) ---- */

/* Load model folder dir on be with weights w; asserts "<what>: model loads".
 * NULL when it does not. */
struct bb_model *golden_model_load(const char *dir, struct bb_backend *be, enum bb_dtype w,
                                   const char *what);
/* Tokenize text with m's tokenizer; bails on failure. */
void golden_encode(struct bb_model *m, const char *text, struct bb_encoding *e);
/* A ref backend; bails when it cannot be created. */
struct bb_backend *golden_ref_backend(void);
/* The OpenCL backend on device "auto", asserting it is created; NULL when it
 * is not (a skip when there is no device, a failure under CI). */
struct bb_backend *golden_opencl_backend(void);
/* dir with f16 weights on be: the first n texts embed ("opencl f16: embed N
 * <noun>") with a worst cosine >= 0.9999 both to f32 (n, g->dim) and to the
 * independent golden g->vec. */
void golden_f16_check(const char *dir, struct bb_backend *be, char *const *texts,
                      const struct golden *g, const float *f32, size_t n, const char *noun);
/* The sidecar BIN.meta of an embedding golden (key=value lines, written by
 * tests/reference/golden_io.py): asserts it names the sentence-transformers,
 * transformers and torch versions (a value, or "unknown" where the run did
 * not record it), that its golden_sha256 is BIN's and its model_sha256 is
 * model_dir/model.safetensors' (the golden belongs to this model). */
void golden_check_meta(const char *bin, const char *model_dir);

/* ---- an embedding model against its golden, end to end (embed-t, mpnet-t) ---- */

struct golden_set {
    const char *model_dir;
    struct golden g;
    char **texts;        /* (g.count) the text of each key */
    struct csv_rows csv; /* the golden's source CSV */
};
/* Model `model` (test_model_dir) and its golden tests/golden/<bin>: the
 * golden and its sidecar (golden_check_meta), the CSV and every key's text. */
void golden_set_open(struct golden_set *s, const char *model, const char *bin);
void golden_set_free(struct golden_set *s);

/* What one model's golden runs check. */
struct golden_run {
    const char *noun;        /* what the texts are called in messages: "sentences" */
    double max_abs;          /* > 0: a point for the largest absolute difference too */
    int n_layers;            /* the op counts per forward follow from it */
    size_t ref_max, f16_max; /* texts the ref backend and the f16 weights embed at most */
    /* The model's own checks on a loaded model; what: "ref" or "opencl". */
    void (*extra)(struct bb_model *m, const struct golden_set *s, const char *what);
};
/* On the ref backend: the model loads, its first ref_max texts (golden_limit)
 * match the golden (worst cosine >= 0.99999), then r->extra. */
void golden_run_ref(const struct golden_set *s, const struct golden_run *r);
/* On OpenCL (golden_opencl_backend): as golden_run_ref over every text; every
 * op of each forward ran on OpenCL (embed 1, matmul 4L, layernorm 1+2L,
 * attention L, pool 1 and nothing else, one point per op) and none on a
 * separately created ref backend; r->extra; then golden_f16_check. */
void golden_run_opencl(const struct golden_set *s, const struct golden_run *r);

#endif
