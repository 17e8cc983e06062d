/* logreg.h: multinomial logistic regression with an L2 penalty, fitted by
 * L-BFGS (written here: small, deterministic, no dependency), as
 * scikit-learn's LogisticRegression(penalty="l2", C, solver="lbfgs",
 * fit_intercept=True) that MTEB's classification evaluator uses. The
 * objective is scikit-learn's (>= 1.1) scaling of it:
 *   F(W, b) = (1/n) sum_i [logsumexp_c(z_ic) - z_i,y_i] + ||W||^2 / (2 C n),
 *   z_ic = w_c . x_i + b_c (the intercepts b are not penalised),
 * and the stopping rule is scikit-learn's: max_k |dF/dtheta_k| <= tol, or
 * max_iter iterations (MTEB: max_iter 100, tol 1e-4, C 1). L-BFGS keeps the
 * last 10 pairs and uses a backtracking (Armijo, c1 = 1e-4) line search from
 * step 1 (the first step: 1 / ||gradient||). Also macro-F1 as scikit-learn's
 * f1_score(average="macro"). Pure functions; no I/O. */
#ifndef BB_METRICS_LOGREG_H
#define BB_METRICS_LOGREG_H

#include <stddef.h>

#include "core/status.h"

struct bb_logreg_opts {
    double C;     /* inverse regularisation strength, > 0; default 1 */
    int max_iter; /* L-BFGS iterations; default 100 */
    double tol;   /* stop when the largest |gradient| component <= tol; default 1e-4 */
};
struct bb_logreg_opts bb_logreg_opts_default(void);

struct bb_logreg {
    int dim, k;
    double *w;       /* k rows of dim + 1: the class's weights, then its intercept */
    int iterations;  /* L-BFGS iterations run */
    int converged;   /* 1: the gradient test passed */
    double loss;     /* F at the solution */
    double grad_max; /* max |gradient component| at the solution */
};

/* Fit on n rows of x (dim floats each) with labels y in [0, k). k >= 2,
   n >= 1; a label out of range: BB_E_INPUT. out is filled (free it with
   bb_logreg_free). */
enum bb_status bb_logreg_fit(const float *x, const int *y, size_t n, int dim, int k,
                             const struct bb_logreg_opts *opts, struct bb_logreg *out,
                             struct bb_error *err);
/* The class with the largest score w_c . x + b_c (lowest index on ties). */
int bb_logreg_predict(const struct bb_logreg *m, const float *x);
/* The same class, and its softmax probability (the confidence) in *conf. */
int bb_logreg_predict_conf(const struct bb_logreg *m, const float *x, double *conf);
void bb_logreg_free(struct bb_logreg *m);

/* Macro-F1 of pred against gold over items idx[0..n) (idx NULL: 0..n-1),
   labels in [0, k): the mean F1 over the labels present in gold or pred
   (scikit-learn's default label set); NaN when n == 0. scratch: 3k longs. */
double bb_macro_f1(const int *gold, const int *pred, const int *idx, size_t n, int k,
                   long *scratch);

#endif
