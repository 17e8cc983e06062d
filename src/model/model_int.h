/* model_int.h: internal to the model layer: what lm.c needs of struct
 * bb_model (defined in model.c). */
#ifndef BB_MODEL_INT_H
#define BB_MODEL_INT_H

#include "model/model.h"

struct bb_lm;
struct bb_lm *bb_model_lm(struct bb_model *m); /* NULL for an encoder */
int bb_model_max_seq(const struct bb_model *m);
/* The attached result cache (NULL: none) and its namespace in *ns. */
struct bb_rescache *bb_model_rescache(const struct bb_model *m, const char **ns);

#endif
