/* plot.h: gnuplot charts for the audit report. Each chart NAME is written as
 * charts/NAME.dat (tab-separated data) and charts/NAME.gp (a script that
 * reads NAME.dat by relative path and takes its output format from the
 * variable fmt), then drawn to charts/NAME.png and charts/NAME.svg by running
 * gnuplot in the charts folder:
 *     cd charts && gnuplot -e "fmt='svg'" NAME.gp     (fmt png is the default)
 * The binary is $BIASBENCH_GNUPLOT when set, else `gnuplot` on PATH. When it
 * is missing the .dat/.gp are still written and nothing is drawn. */
#ifndef BB_REPORT_PLOT_H
#define BB_REPORT_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

struct bb_plot {
    char dir[4096];       /* <run_dir>/charts */
    char gnuplot[4096];   /* the binary; "" when not found */
    int drawn, failed;    /* charts drawn / charts gnuplot failed on */
    char first_error[1000];/* gnuplot's complaint about the first failure */
};

/* Create <run_dir>/charts and look for gnuplot. */
enum bb_status bb_plot_init(struct bb_plot *p, const char *run_dir, struct bb_error *err);
bool bb_plot_available(const struct bb_plot *p);
/* Path of the chart's PNG into buf when it was drawn; false otherwise. */
bool bb_plot_png(const struct bb_plot *p, const char *name, char *buf, size_t n);
/* Run gnuplot (as bb_plot_init finds it) on dir/NAME.gp in dir with -e "fmt='FMT'"; 0 on
 * success, else -1 with gnuplot's complaint (or "not found") in msg. */
int bb_plot_run_script(const char *dir, const char *name, const char *fmt, char *msg, size_t n);
/* A chart file name from parts ("cf", task, model): [A-Za-z0-9._-], others '_'. */
void bb_plot_name(char *buf, size_t n, const char *kind, const char *task, const char *model);

/* Per-group bars with 95% CI error bars; series[i] picks the colour (0, 1)
 * named by series_names (e.g. unitary / intersectional). */
struct bb_plot_bars {
    const char *title, *ylabel;
    size_t n;
    const char *const *labels;
    const double *value, *lo, *hi; /* NaN: no bar / no whisker */
    const int *series;             /* NULL: all 0 */
    const char *series_names[2];
    bool from_zero;                /* y axis starts at 0 when every value >= 0 */
    bool points;                   /* dots with CI whiskers on an axis zoomed to the data
                                      (bars from 0 hide gaps of a few hundredths) */
    double ref;                    /* points: a dashed line there (NaN: none), e.g. the
                                      overall mean */
    const char *ref_label;
};
enum bb_status bb_plot_chart_bars(struct bb_plot *p, const char *name, const struct bb_plot_bars *b,
                                  struct bb_error *err);

/* WEAT/SEAT effect sizes with CIs; sig[i]: 0 not significant, 1 at alpha
 * (raw p), 2 after the correction (marked * and **); a line at 0. */
enum bb_status bb_plot_chart_effects(struct bb_plot *p, const char *name, const char *title,
                                     size_t n, const char *const *labels, const double *es,
                                     const double *lo, const double *hi, const int *sig,
                                     const char *correction, struct bb_error *err);

/* Scatter of x against y (STS gold vs predicted cosine). */
enum bb_status bb_plot_chart_scatter(struct bb_plot *p, const char *name, const char *title,
                                     const char *xlabel, const char *ylabel, size_t n,
                                     const double *x, const double *y, struct bb_error *err);

/* Confusion-matrix heatmap: counts (k, k) row = gold, column = predicted. */
enum bb_status bb_plot_chart_confusion(struct bb_plot *p, const char *name, const char *title,
                                       size_t k, const char *const *labels, const double *counts,
                                       struct bb_error *err);

/* Latency (p50 with a whisker to p90, ms) or throughput (items/s) against
 * batch size, one line per sequence length. p90 NULL: throughput chart. */
enum bb_status bb_plot_chart_latency(struct bb_plot *p, const char *name, const char *title,
                                     const char *ylabel, size_t n, const long *batch,
                                     const long *seq, const double *y, const double *y90,
                                     struct bb_error *err);

/* Dot-and-whisker of impact ratios (CI when known) with lines at 0.8 and 1.0;
 * small groups drawn hollow and labelled. */
enum bb_status bb_plot_chart_ir(struct bb_plot *p, const char *name, const char *title, size_t n,
                                const char *const *labels, const double *ir, const double *lo,
                                const double *hi, const bool *small, struct bb_error *err);

/* Clustered bars: nc clusters (e.g. metrics) x ns series (e.g. models),
 * values[c * ns + s] with CIs (NaN: none). */
enum bb_status bb_plot_chart_clusters(struct bb_plot *p, const char *name, const char *title,
                                      const char *ylabel, size_t nc, const char *const *clusters,
                                      size_t ns, const char *const *series, const double *values,
                                      const double *lo, const double *hi, struct bb_error *err);

/* The same as dots with 95% CI whiskers on a logarithmic y axis (values
 * <= 0 not drawn): timings of models that differ by decades. */
enum bb_status bb_plot_chart_clusters_log(struct bb_plot *p, const char *name, const char *title,
                                          const char *ylabel, size_t nc,
                                          const char *const *clusters, size_t ns,
                                          const char *const *series, const double *values,
                                          const double *lo, const double *hi,
                                          struct bb_error *err);

/* A grid of coloured tiles: nx columns x ny rows, cell (x, y) at
 * level[y * nx + x] (NaN: empty, drawn white) with text[y * nx + x] written
 * in it (NULL: none). Discrete (n_levels > 0): level is 0 .. n_levels-1,
 * coloured and named by level_names (e.g. not significant / significant /
 * significant after correction). Continuous (n_levels 0): one colour scale
 * from lo to hi named cblabel. */
struct bb_plot_grid {
    const char *title, *xlabel, *ylabel, *cblabel;
    size_t nx, ny;
    const char *const *xnames, *const *ynames;
    const double *level;
    const char *const *text;
    size_t n_levels;               /* at most 4 */
    const char *level_names[4];
    double lo, hi;                 /* continuous scale */
};
enum bb_status bb_plot_chart_grid(struct bb_plot *p, const char *name, const struct bb_plot_grid *g,
                                  struct bb_error *err);

/* Diverging horizontal bars from 0 (negative left, positive right, two
 * colours) with 95% CI whiskers: one bar per label, e.g. the paired score
 * difference of each group pair. neg_name / pos_name explain the sides. */
enum bb_status bb_plot_chart_diverging(struct bb_plot *p, const char *name, const char *title,
                                       const char *xlabel, size_t n, const char *const *labels,
                                       const double *value, const double *lo, const double *hi,
                                       const char *neg_name, const char *pos_name,
                                       struct bb_error *err);

/* Dot-and-whisker per label (rows) for ns series (e.g. models, or BBQ's
 * ambiguous / disambiguated scores), values[i * ns + s] with 95% CIs (NaN:
 * none), and a dashed reference line at ref (the ideal: 50 for
 * pct_stereotype and StereoSet ss, 0 for BBQ bias scores). */
struct bb_plot_refdots {
    const char *title, *xlabel;
    size_t n, ns;
    const char *const *labels, *const *series;
    const double *value, *lo, *hi;
    double ref;
    const char *ref_label;
    bool has_range;                /* keep [xmin, xmax] in view (e.g. 0..100) */
    double xmin, xmax;
};
enum bb_status bb_plot_chart_refdots(struct bb_plot *p, const char *name,
                                     const struct bb_plot_refdots *r, struct bb_error *err);

/* Reliability diagram (calibration): n_bins equal-width confidence bins of
 * [0, 1], bin b with count[b] items, mean confidence conf[b] and accuracy
 * acc[b] (NaN when empty): accuracy bars, the diagonal of perfect
 * calibration, each bin's (confidence, accuracy) point and its count. */
enum bb_status bb_plot_chart_reliability(struct bb_plot *p, const char *name, const char *title,
                                         const char *xlabel, int n_bins, const long *count,
                                         const double *conf, const double *acc,
                                         struct bb_error *err);

#endif
