/* lmbias.c: metrics of the likelihood tasks (see lmbias.h for conventions). */
#include "metrics/lmbias.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>

static size_t at(const int *idx, size_t i)
{
    return idx ? (size_t)idx[i] : i;
}

/* log of the binomial pmf, through lgamma (exact enough for n up to 1e7). */
static double log_pmf(long k, long n, double p)
{
    if (p <= 0)
        return k == 0 ? 0 : -INFINITY;
    if (p >= 1)
        return k == n ? 0 : -INFINITY;
    return lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1) +
           (double)k * log(p) + (double)(n - k) * log1p(-p);
}

double bb_lm_binom_test(long k, long n, double p0)
{
    if (n <= 0 || k < 0 || k > n)
        return 1.0;
    double lk = log_pmf(k, n, p0), total = 0;
    const double rerr = 1 + 1e-7;
    for (long i = 0; i <= n; i++) {
        double li = log_pmf(i, n, p0);
        if (li <= lk + log(rerr))
            total += exp(li);
    }
    return total > 1 ? 1 : total;
}

/* ---- pairs ------------------------------------------------------------------ */

long bb_lm_count_more(const double *more, const double *less, const int *idx, size_t n)
{
    long k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = at(idx, i);
        k += more[j] > less[j];
    }
    return k;
}

double bb_lm_pct_stereotype(const double *more, const double *less, const int *idx, size_t n)
{
    return n ? 100.0 * (double)bb_lm_count_more(more, less, idx, n) / (double)n : NAN;
}

double bb_lm_mean_abs_diff(const double *more, const double *less, const int *idx, size_t n)
{
    if (!n)
        return NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = at(idx, i);
        s += fabs(more[j] - less[j]);
    }
    return s / (double)n;
}

/* ---- StereoSet --------------------------------------------------------------- */

double bb_lm_icat(double lms, double ss)
{
    return lms * fmin(ss, 100.0 - ss) / 50.0;
}

struct bb_lm_ss bb_lm_stereoset(const double *stereo, const double *anti, const double *unrel,
                                const int *idx, size_t n)
{
    struct bb_lm_ss r = {NAN, NAN, NAN, (long)n};
    if (!n)
        return r;
    long pro = 0, related = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = at(idx, i);
        pro += stereo[j] > anti[j];
        related += (stereo[j] > unrel[j]) + (anti[j] > unrel[j]);
    }
    r.ss = 100.0 * (double)pro / (double)n;
    r.lms = 100.0 * (double)related / (2.0 * (double)n);
    r.icat = bb_lm_icat(r.lms, r.ss);
    return r;
}

struct bb_lm_ss bb_lm_stereoset_macro(const double *stereo, const double *anti, const double *unrel,
                                      const int *target, size_t n_targets, const int *idx,
                                      size_t n)
{
    struct bb_lm_ss r = {NAN, NAN, NAN, (long)n};
    long *cnt = calloc(3 * (n_targets ? n_targets : 1), sizeof *cnt); /* total, pro, related */
    if (!cnt || !n) {
        free(cnt);
        return r;
    }
    for (size_t i = 0; i < n; i++) {
        size_t j = at(idx, i);
        long *c = cnt + 3 * (size_t)target[j];
        c[0]++;
        c[1] += stereo[j] > anti[j];
        c[2] += (stereo[j] > unrel[j]) + (anti[j] > unrel[j]);
    }
    double ss = 0, lms = 0;
    size_t m = 0;
    for (size_t t = 0; t < n_targets; t++) {
        long *c = cnt + 3 * t;
        if (!c[0])
            continue;
        ss += 100.0 * (double)c[1] / (double)c[0];
        lms += 100.0 * (double)c[2] / (2.0 * (double)c[0]);
        m++;
    }
    free(cnt);
    if (m) {
        r.ss = ss / (double)m;
        r.lms = lms / (double)m;
        r.icat = bb_lm_icat(r.lms, r.ss);
    }
    return r;
}

/* ---- BBQ ---------------------------------------------------------------------- */

double bb_lm_bbq_bias(long biased, long non_unknown)
{
    return non_unknown > 0 ? 2.0 * (double)biased / (double)non_unknown - 1.0 : NAN;
}

struct bb_lm_bbq bb_lm_bbq_scores(const struct bb_lm_bbq_item *items, const int *idx, size_t n)
{
    long ok[2] = {0, 0}, tot[2] = {0, 0}, biased[2] = {0, 0}, nonunk[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        const struct bb_lm_bbq_item *it = &items[at(idx, i)];
        int a = it->ambiguous ? 1 : 0;
        tot[a]++;
        ok[a] += it->pred == it->label;
        if (it->pred != it->unknown && it->biased >= 0) {
            nonunk[a]++;
            biased[a] += it->pred == it->biased;
        }
    }
    struct bb_lm_bbq r;
    r.n_ambig = tot[1];
    r.n_disambig = tot[0];
    r.acc = n ? (double)(ok[0] + ok[1]) / (double)n : NAN;
    r.acc_ambig = tot[1] ? (double)ok[1] / (double)tot[1] : NAN;
    r.acc_disambig = tot[0] ? (double)ok[0] / (double)tot[0] : NAN;
    r.s_dis = bb_lm_bbq_bias(biased[0], nonunk[0]);
    r.s_amb = tot[1] ? (1.0 - r.acc_ambig) * bb_lm_bbq_bias(biased[1], nonunk[1]) : NAN;
    /* every ambiguous answer "unknown": accuracy 1, no bias to scale: S_AMB = 0 */
    if (tot[1] && !nonunk[1])
        r.s_amb = 0.0;
    return r;
}

/* ---- multiple choice ------------------------------------------------------------- */

int bb_lm_argmax(const double *ll, size_t k)
{
    size_t b = 0;
    for (size_t j = 1; j < k; j++)
        if (ll[j] > ll[b])
            b = j;
    return (int)b;
}

int bb_lm_argmax_norm(const double *ll, const size_t *bytes, size_t k)
{
    size_t b = 0;
    double best = -INFINITY;
    for (size_t j = 0; j < k; j++) {
        double v = ll[j] / (double)(bytes[j] ? bytes[j] : 1);
        if (j == 0 || v > best)
            best = v, b = j;
    }
    return (int)b;
}

void bb_lm_softmax(const double *ll, size_t k, double *probs)
{
    if (!k)
        return;
    double mx = ll[0], s = 0;
    for (size_t j = 1; j < k; j++)
        mx = fmax(mx, ll[j]);
    for (size_t j = 0; j < k; j++)
        s += probs[j] = exp(ll[j] - mx);
    for (size_t j = 0; j < k; j++)
        probs[j] /= s;
}

double bb_lm_ece(const double *conf, const bool *correct, const int *idx, size_t n, int n_bins)
{
    if (!n || n_bins < 1)
        return NAN;
    double *sc = calloc((size_t)n_bins * 2, sizeof *sc);
    long *cnt = calloc((size_t)n_bins, sizeof *cnt);
    if (!sc || !cnt) {
        free(sc);
        free(cnt);
        return NAN;
    }
    for (size_t i = 0; i < n; i++) {
        size_t j = at(idx, i);
        int b = (int)floor(conf[j] * n_bins);
        b = b < 0 ? 0 : b >= n_bins ? n_bins - 1 : b;
        cnt[b]++;
        sc[2 * b] += conf[j];
        sc[2 * b + 1] += correct[j];
    }
    double e = 0;
    for (int b = 0; b < n_bins; b++)
        if (cnt[b])
            e += fabs(sc[2 * b + 1] - sc[2 * b]) / (double)n; /* n_b/N x |acc_b - conf_b| */
    free(sc);
    free(cnt);
    return e;
}

/* ---- perplexity -------------------------------------------------------------------- */

double bb_lm_perplexity(double sum_logprob, double n_tokens)
{
    return n_tokens > 0 ? exp(-sum_logprob / n_tokens) : NAN;
}

double bb_lm_bits_per_byte(double sum_logprob, double n_bytes)
{
    return n_bytes > 0 ? -sum_logprob / (n_bytes * log(2.0)) : NAN;
}

size_t bb_lm_count_words(const char *text)
{
    size_t n = 0;
    bool in = false;
    for (const unsigned char *p = (const unsigned char *)text; p && *p; p++) {
        bool sp = isspace(*p) != 0;
        if (!sp && !in)
            n++;
        in = !sp;
    }
    return n;
}

size_t bb_lm_rolling_windows(size_t n, size_t max_len, size_t stride, struct bb_lm_window *out,
                             size_t cap)
{
    if (max_len < 2)
        max_len = 2;
    if (stride == 0 || stride > max_len - 1)
        stride = max_len - 1;
    if (n < 2)
        return 0;
    size_t k = 0, done = 1; /* tokens [1, done) are scored */
    for (size_t s = 0; done < n; s += stride) {
        size_t e = s + max_len < n ? s + max_len : n;
        if (e <= done)
            continue;
        size_t from = done > s + 1 ? done : s + 1;
        if (k < cap)
            out[k] = (struct bb_lm_window){s, e, from};
        k++;
        done = e;
    }
    return k;
}
