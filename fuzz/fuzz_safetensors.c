/* fuzz_safetensors.c: libFuzzer harness for the safetensors reader
 * (src/model/safetensors.c): the 8-byte length, the JSON header, dtypes,
 * shapes and data offsets. The input is written to a temp file and opened as
 * biasbench opens a model (mmap); every tensor is looked up by name, its first
 * and last data byte are read, and small usable ones are converted to f32. */
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "model/safetensors.h"

BB_FUZZ_TARGET(safetensors)
{
    char path[4096];
    bb_fuzz_write("model.safetensors", data, size);
    bb_fuzz_path(path, sizeof path, "model.safetensors");
    struct bb_safetensors *st = NULL;
    struct bb_error err = {0};
    enum bb_status os = bb_safetensors_open(path, &st, &err);
    bb_fuzz_note("safetensors", os, &err);
    if (os)
        return 0;
    volatile unsigned char sink = 0;
    for (int i = 0; i < st->n_tensors; i++) {
        const struct bb_st_tensor *t = &st->tensors[i];
        if (bb_safetensors_find(st, t->name) == NULL)
            abort(); /* every listed tensor must be found by its name */
        bb_st_dtype_name(t->dtype);
        if (t->end > t->begin) {
            const unsigned char *p = t->data;
            sink ^= p[0] ^ p[t->end - t->begin - 1];
        }
        enum bb_dtype dt;
        if (bb_st_dtype_to_bb(t->dtype, &dt) && t->numel >= 0 && t->numel <= (1 << 16)) {
            float *dst = malloc(((size_t)t->numel + 1) * sizeof *dst);
            if (dst)
                bb_safetensors_to_f32(st, t, dst, &err);
            free(dst);
        }
    }
    /* the reader promises tensors that do not overlap: check every pair */
    for (int i = 0; i < st->n_tensors && i < 256; i++)
        for (int j = i + 1; j < st->n_tensors && j < 256; j++) {
            const struct bb_st_tensor *a = &st->tensors[i], *b = &st->tensors[j];
            if (a->end > a->begin && b->end > b->begin && a->begin < b->end && b->begin < a->end)
                abort(); /* two tensors share bytes */
        }
    bb_safetensors_find(st, "embeddings.word_embeddings.weight");
    (void)sink;
    bb_safetensors_close(st);
    return 0;
}
