/* vec.h: the vector maths of the tasks: L2 normalisation, cosine, a row of
 * cosines, softmax with a temperature, argmax. Pure functions, no model. */
#ifndef BB_METRICS_VEC_H
#define BB_METRICS_VEC_H

#include <stddef.h>

/* Normalise v (length dim) to unit L2 norm in place (a zero vector stays 0). */
void bb_vec_normalize(float *v, int dim);
/* Cosine of two vectors of length dim (0 when either is zero). */
double bb_vec_cosine(const float *a, const float *b, int dim);
/* cos[l] = cosine of v to row l of rows (n, dim). */
void bb_vec_cosines(const float *v, const float *rows, size_t n, int dim, double *cos);
/* p = softmax(x / T) over n values, computed stably (max subtracted); T > 0. */
void bb_vec_softmax(const double *x, size_t n, double T, double *p);
/* Index of the largest value (first on ties); 0 when n == 0. */
size_t bb_vec_argmax(const double *v, size_t n);

#endif
