/* classify.c: classification metrics from label indices, and reliability
 * bins for calibration charts (classify.h). */
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

void bb_class_reliability(const double *conf, const double *correct, const int *idx, size_t n,
                          int n_bins, struct bb_class_bin *bins)
{
    for (int b = 0; b < n_bins; b++)
        bins[b] = (struct bb_class_bin){0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        size_t k = idx ? (size_t)idx[i] : i;
        int b = (int)floor(conf[k] * n_bins);
        b = b < 0 ? 0 : b >= n_bins ? n_bins - 1 : b;
        bins[b].count++;
        bins[b].conf += conf[k];
        bins[b].acc += correct[k];
    }
    for (int b = 0; b < n_bins; b++) {
        double c = (double)bins[b].count;
        bins[b].conf = c > 0 ? bins[b].conf / c : NAN;
        bins[b].acc = c > 0 ? bins[b].acc / c : NAN;
    }
}
