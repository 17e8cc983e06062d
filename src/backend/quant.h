/* quant.h: ggml's block formats on the host: dequantisation of a row of any
 * quantised bb_dtype to float, bit for bit as gguf.quants.dequantize, and
 * quantisation to the 32-element types (for tests and fixtures). Plain C,
 * libc and libm only, so the ref backend may use it. */
#ifndef BB_BACKEND_QUANT_H
#define BB_BACKEND_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"

/* dst (n) = the n elements stored in src as type t (any bb_dtype except I32;
 * n a multiple of the block size). */
void bb_dequantize_row(enum bb_dtype t, const void *src, float *dst, int64_t n);
/* dst gets bb_dtype_row_bytes(t, n) bytes: src (n) quantised to t (round to nearest,
 * as ggml's reference quantize_row_*_ref). Supported: Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, F16,
 * BF16, F32. Returns 0 on success, -1 for a type it cannot quantise. */
int bb_quantize_row(enum bb_dtype t, const float *src, void *dst, int64_t n);

#endif
