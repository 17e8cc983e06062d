/* logreg.c: L2 multinomial logistic regression by L-BFGS, and macro-F1 (see
 * logreg.h). */
#include "metrics/logreg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HIST 10

struct bb_logreg_opts bb_logreg_opts_default(void)
{
    return (struct bb_logreg_opts){.C = 1.0, .max_iter = 100, .tol = 1e-4};
}

struct prob {
    const float *x;
    const int *y;
    size_t n;
    int dim, k;
    double C;
    double *z; /* (k) scratch */
};

/* F and its gradient at theta (k rows of dim + 1). */
static double objective(const struct prob *P, const double *th, double *g)
{
    size_t d1 = (size_t)P->dim + 1, np = (size_t)P->k * d1;
    double f = 0, inv_n = 1.0 / (double)P->n, reg = 1.0 / (P->C * (double)P->n);
    memset(g, 0, np * sizeof *g);
    for (size_t i = 0; i < P->n; i++) {
        const float *xi = P->x + i * (size_t)P->dim;
        double mx = -INFINITY;
        for (int c = 0; c < P->k; c++) {
            const double *wc = th + (size_t)c * d1;
            double s = wc[P->dim];
            for (int j = 0; j < P->dim; j++)
                s += wc[j] * xi[j];
            P->z[c] = s;
            if (s > mx)
                mx = s;
        }
        double se = 0;
        for (int c = 0; c < P->k; c++)
            se += exp(P->z[c] - mx);
        double lse = mx + log(se);
        f += lse - P->z[P->y[i]];
        for (int c = 0; c < P->k; c++) {
            double r = (exp(P->z[c] - lse) - (c == P->y[i])) * inv_n;
            double *gc = g + (size_t)c * d1;
            for (int j = 0; j < P->dim; j++)
                gc[j] += r * xi[j];
            gc[P->dim] += r;
        }
    }
    f *= inv_n;
    for (int c = 0; c < P->k; c++) {
        const double *wc = th + (size_t)c * d1;
        double *gc = g + (size_t)c * d1;
        for (int j = 0; j < P->dim; j++) {
            f += 0.5 * reg * wc[j] * wc[j];
            gc[j] += reg * wc[j];
        }
    }
    return f;
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static double max_abs(const double *a, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(a[i]) > m)
            m = fabs(a[i]);
    return m;
}

enum bb_status bb_logreg_fit(const float *x, const int *y, size_t n, int dim, int k,
                             const struct bb_logreg_opts *opts, struct bb_logreg *out,
                             struct bb_error *err)
{
    struct bb_logreg_opts o = opts ? *opts : bb_logreg_opts_default();
    memset(out, 0, sizeof *out);
    if (!n || k < 2 || dim < 1 || !(o.C > 0) || o.max_iter < 1)
        return bb_fail(err, BB_E_INPUT,
                       "logistic regression: need n >= 1, k >= 2, C > 0 "
                       "(n = %zu, k = %d, C = %g)",
                       n, k, o.C);
    for (size_t i = 0; i < n; i++)
        if (y[i] < 0 || y[i] >= k)
            return bb_fail(err, BB_E_INPUT,
                           "logistic regression: label %d of row %zu is outside "
                           "[0, %d)",
                           y[i], i, k);
    size_t np = (size_t)k * ((size_t)dim + 1);
    double *buf = calloc(np * (5 + 2 * HIST) + (size_t)k, sizeof *buf);
    if (!buf)
        return bb_fail(err, BB_E_NOMEM, "out of memory for a %d x %d logistic regression", k, dim);
    double *th = buf, *g = th + np, *th2 = g + np, *g2 = th2 + np, *dir = g2 + np;
    double *S = dir + np, *Y = S + HIST * np, *z = Y + HIST * np, rho[HIST], alpha[HIST];
    struct prob P = {x, y, n, dim, k, o.C, z};
    double f = objective(&P, th, g);
    int it = 0, m = 0, head = 0; /* m pairs stored, the newest at (head - 1) mod HIST */
    int converged = max_abs(g, np) <= o.tol;
    while (!converged && it < o.max_iter) {
        /* two-loop recursion: dir = -H g */
        for (size_t i = 0; i < np; i++)
            dir[i] = -g[i];
        for (int j = 0; j < m; j++) {
            int s = (head - 1 - j + 2 * HIST) % HIST;
            alpha[s] = rho[s] * dot(S + (size_t)s * np, dir, np);
            double *ys = Y + (size_t)s * np;
            for (size_t i = 0; i < np; i++)
                dir[i] -= alpha[s] * ys[i];
        }
        if (m) {
            int s = (head - 1 + HIST) % HIST;
            double *ys = Y + (size_t)s * np;
            double gamma = dot(S + (size_t)s * np, ys, np) / dot(ys, ys, np);
            for (size_t i = 0; i < np; i++)
                dir[i] *= gamma;
        }
        for (int j = m - 1; j >= 0; j--) {
            int s = (head - 1 - j + 2 * HIST) % HIST;
            double beta = rho[s] * dot(Y + (size_t)s * np, dir, np);
            double *ss = S + (size_t)s * np;
            for (size_t i = 0; i < np; i++)
                dir[i] += (alpha[s] - beta) * ss[i];
        }
        double gd = dot(g, dir, np);
        if (!(gd < 0)) { /* not a descent direction: restart from the gradient */
            for (size_t i = 0; i < np; i++)
                dir[i] = -g[i];
            gd = dot(g, dir, np);
            m = 0;
        }
        double step = m ? 1.0 : 1.0 / sqrt(dot(g, g, np)), f2 = f;
        int tries = 0;
        for (; tries < 40; tries++, step *= 0.5) {
            for (size_t i = 0; i < np; i++)
                th2[i] = th[i] + step * dir[i];
            f2 = objective(&P, th2, g2);
            if (f2 <= f + 1e-4 * step * gd)
                break;
        }
        if (tries == 40)
            break; /* no decrease possible at this precision */
        it++;
        double *ss = S + (size_t)head * np, *ys = Y + (size_t)head * np;
        for (size_t i = 0; i < np; i++) {
            ss[i] = th2[i] - th[i];
            ys[i] = g2[i] - g[i];
        }
        double sy = dot(ss, ys, np);
        if (sy > 1e-12) { /* keep the pair only when the curvature is positive */
            rho[head] = 1.0 / sy;
            head = (head + 1) % HIST;
            if (m < HIST)
                m++;
        }
        memcpy(th, th2, np * sizeof *th);
        memcpy(g, g2, np * sizeof *g);
        f = f2;
        converged = max_abs(g, np) <= o.tol;
    }
    out->w = malloc(np * sizeof *out->w);
    if (!out->w) {
        free(buf);
        return bb_fail(err, BB_E_NOMEM, "out of memory");
    }
    memcpy(out->w, th, np * sizeof *out->w);
    out->dim = dim;
    out->k = k;
    out->iterations = it;
    out->converged = converged;
    out->loss = f;
    out->grad_max = max_abs(g, np);
    free(buf);
    return BB_OK;
}

int bb_logreg_predict(const struct bb_logreg *m, const float *x)
{
    size_t d1 = (size_t)m->dim + 1;
    int best = 0;
    double bs = -INFINITY;
    for (int c = 0; c < m->k; c++) {
        const double *wc = m->w + (size_t)c * d1;
        double s = wc[m->dim];
        for (int j = 0; j < m->dim; j++)
            s += wc[j] * x[j];
        if (s > bs) {
            bs = s;
            best = c;
        }
    }
    return best;
}

int bb_logreg_predict_conf(const struct bb_logreg *m, const float *x, double *conf)
{
    size_t d1 = (size_t)m->dim + 1;
    int best = 0;
    double bs = -INFINITY, se = 0;
    for (int c = 0; c < m->k; c++) { /* the scores, then a stable softmax of the largest */
        const double *wc = m->w + (size_t)c * d1;
        double s = wc[m->dim];
        for (int j = 0; j < m->dim; j++)
            s += wc[j] * x[j];
        if (s > bs) {
            se = se * exp(bs - s) + 1.0;
            bs = s;
            best = c;
        } else {
            se += exp(s - bs);
        }
    }
    *conf = 1.0 / se;
    return best;
}

void bb_logreg_free(struct bb_logreg *m)
{
    if (m) {
        free(m->w);
        m->w = NULL;
    }
}

double bb_macro_f1(const int *gold, const int *pred, const int *idx, size_t n, int k, long *scratch)
{
    long *tp = scratch, *fp = tp + k, *fn = fp + k;
    memset(scratch, 0, 3 * (size_t)k * sizeof *scratch);
    for (size_t i = 0; i < n; i++) {
        size_t j = idx ? (size_t)idx[i] : i;
        if (gold[j] == pred[j]) {
            tp[gold[j]]++;
        } else {
            fp[pred[j]]++;
            fn[gold[j]]++;
        }
    }
    double s = 0;
    int m = 0;
    for (int c = 0; c < k; c++)
        if (tp[c] + fp[c] + fn[c]) {
            s += 2.0 * (double)tp[c] / (double)(2 * tp[c] + fp[c] + fn[c]);
            m++;
        }
    return m ? s / m : NAN;
}
