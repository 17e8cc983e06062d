/* classify.c: classification metrics from label indices (classify.h). */
#include "metrics/classify.h"

#include <math.h>
#include <string.h>

void bb_class_counts(const int *gold, const int *pred, const size_t *sel, const int *idx, size_t n,
                     size_t n_labels, long *tp, long *fp, long *fn)
{
    memset(tp, 0, n_labels * sizeof *tp);
    memset(fp, 0, n_labels * sizeof *fp);
    memset(fn, 0, n_labels * sizeof *fn);
    for (size_t i = 0; i < n; i++) {
        size_t k = sel ? sel[idx[i]] : (size_t)idx[i];
        if (gold[k] == pred[k])
            tp[gold[k]]++;
        else
            fp[pred[k]]++, fn[gold[k]]++;
    }
}

double bb_class_precision(long tp, long fp)
{
    return tp + fp ? (double)tp / (double)(tp + fp) : NAN;
}

double bb_class_recall(long tp, long fn)
{
    return tp + fn ? (double)tp / (double)(tp + fn) : NAN;
}

double bb_class_f1(long tp, long fp, long fn)
{
    return tp + fp + fn ? 2.0 * (double)tp / (double)(2 * tp + fp + fn) : NAN;
}

double bb_class_macro_f1(const long *tp, const long *fp, const long *fn, size_t n_labels)
{
    double s = 0;
    size_t m = 0;
    for (size_t l = 0; l < n_labels; l++) {
        double f = bb_class_f1(tp[l], fp[l], fn[l]);
        if (!isnan(f))
            s += f, m++;
    }
    return m ? s / (double)m : NAN;
}
