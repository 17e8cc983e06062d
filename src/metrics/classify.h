/* classify.h: classification metrics from label indices, defined once for
 * the zero-shot task and for compare's paired test of it: per-class
 * TP/FP/FN counts, precision, recall, F1 and macro-F1 (scikit-learn's
 * conventions); and the reliability bins of a calibration chart. */
#ifndef BB_METRICS_CLASSIFY_H
#define BB_METRICS_CLASSIFY_H

#include <stddef.h>

/* Per-class counts over the items idx[0..n): item k = sel ? sel[idx[i]] :
 * idx[i] (sel maps a subset; NULL: none), gold[k] and pred[k] label indices
 * in [0, n_labels). tp, fp, fn (n_labels) are zeroed first. */
void bb_class_counts(const int *gold, const int *pred, const size_t *sel, const int *idx, size_t n,
                     size_t n_labels, long *tp, long *fp, long *fn);
/* TP / (TP + FP); NaN when the class is never predicted. */
double bb_class_precision(long tp, long fp);
/* TP / (TP + FN); NaN when the class never occurs. */
double bb_class_recall(long tp, long fn);
/* 2 TP / (2 TP + FP + FN); NaN when the class is neither gold nor predicted. */
double bb_class_f1(long tp, long fp, long fn);
/* Unweighted mean of F1 over the labels present in gold or predictions
 * (scikit-learn's default label set; F1 = 0 for a label predicted but never
 * right); NaN when none. */
double bb_class_macro_f1(const long *tp, const long *fp, const long *fn, size_t n_labels);

/* ---- calibration ----------------------------------------------------------------
 * A classifier's confidence is the probability it gives its prediction (the
 * largest softmax probability over the labels or choices). Reliability bins:
 * n_bins equal-width bins of [0, 1] (bin b holds b/n_bins <= conf <
 * (b+1)/n_bins, the last one also conf = 1), each with its item count, mean
 * confidence and accuracy (NaN when empty). ECE = sum_b count_b / N x
 * |acc_b - conf_b| is metrics/lmbias.h's bb_lm_ece over the same bins. */
struct bb_class_bin {
    long count;
    double conf, acc; /* means over the bin's items; NaN when count is 0 */
};
/* Bins of the items idx[0..n) (NULL: 0..n-1); correct[i] in [0, 1]. */
void bb_class_reliability(const double *conf, const double *correct, const int *idx, size_t n,
                          int n_bins, struct bb_class_bin *bins);

#endif
