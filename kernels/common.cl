/* common.cl: helpers shared by every kernel file (first in the one program
 * that all kernel files are concatenated into). Plain OpenCL C 1.2. */

/* Largest head dimension the attention kernel holds in private memory. */
#define BB_MAX_HEAD_DIM 128

/* Exact (erf) GELU, as torch.nn.functional.gelu's default. */
inline float bb_gelu(float x) { return 0.5f * x * (1.0f + erf(x * 0.70710678118654752f)); }
