/* vec.c: vector maths of the tasks (vec.h). */
#include "metrics/vec.h"

#include <math.h>

void bb_vec_normalize(float *v, int dim)
{
    double s = 0;
    for (int i = 0; i < dim; i++)
        s += (double)v[i] * v[i];
    if (s <= 0)
        return;
    float inv = (float)(1.0 / sqrt(s));
    for (int i = 0; i < dim; i++)
        v[i] *= inv;
}

double bb_vec_cosine(const float *a, const float *b, int dim)
{
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < dim; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0.0;
}

void bb_vec_cosines(const float *v, const float *rows, size_t n, int dim, double *cos)
{
    for (size_t l = 0; l < n; l++)
        cos[l] = bb_vec_cosine(v, rows + l * (size_t)dim, dim);
}

void bb_vec_softmax(const double *x, size_t n, double T, double *p)
{
    if (!n)
        return;
    double mx = x[0], sum = 0;
    for (size_t l = 1; l < n; l++)
        if (x[l] > mx)
            mx = x[l];
    for (size_t l = 0; l < n; l++)
        sum += p[l] = exp((x[l] - mx) / T);
    for (size_t l = 0; l < n; l++)
        p[l] /= sum;
}

size_t bb_vec_argmax(const double *v, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}
