/* pending.h: TEMPORARY declaration of the get_rows op landing from the quant
 * branch. Removed at merge. */
#ifndef BB_PENDING_H
#define BB_PENDING_H
#include "backend/backend.h"
enum bb_status bb_op_get_rows(struct bb_backend *be, const struct bb_weight *w, struct bb_buffer *ids, struct bb_buffer *out, int n, bool accumulate, struct bb_error *err);
#endif
