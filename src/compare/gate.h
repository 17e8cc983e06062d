/* gate.h: CI regression gates. Expands a suite's `gates:` (or, when it has
 * none, the default gate: any statistically significant regression of a
 * quality metric) over a candidate run's result rows, checks each against
 * its absolute bounds and against a baseline (run directory or bare
 * results.csv) with the paired tests of compare.h, and writes the verdicts
 * as TAP version 13 (YAML diagnostics) and JUnit XML. See docs/ci.md. */
#ifndef BB_GATE_H
#define BB_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "compare.h"
#include "core/status.h"
#include "suite/suite.h"

/* One test point: one gate applied to one candidate row. */
struct bb_gate_point {
    int gate;                           /* index into the suite's gates; -1: the default gate */
    const struct bb_suite_gate *g;
    const struct bb_result_row *cand;   /* NULL: the gate matched no candidate row */
    const struct bb_result_row *base;   /* NULL: no baseline row */
    bool has_cmp;
    struct bb_cmp cmp;                  /* when has_cmp */
    double regression; /* worsening vs the baseline (relative when the gate is); NAN */
    double noise_floor;                 /* timing rows: (1 + n_base)(1 + n_cand) - 1 of the two
                                           runs' latency_noise_rel (relative); NAN when neither
                                           measured one (one run's alone when only it did) */
    double machine_factor;              /* timing rows: cand / base machine_probe_ms; NAN */
    double contention_factor;           /* timing rows: cand / base latency_contention of the
                                           cell; NAN */
    double regression_adjusted;         /* timing rows: the worsening with the candidate at the
                                           baseline's CPU speed and contention; NAN */
    bool pass;
    char name[512];                     /* TAP description */
    char threshold[256];
    char message[768];                  /* why it passed or failed */
};

struct bb_gate_report {
    struct bb_gate_point *v;
    size_t n, n_failed;
    bool defaults;                      /* the suite declares no gates */
    bool bare_baseline;                 /* the baseline is a results.csv alone */
    double alpha;
    char suite[512], baseline[4096], candidate[4096];
    char warning[1024];                 /* e.g. different dataset sha256; "" if none */
};

/* Evaluate every gate of s (or the default gate) on cand against base. */
enum bb_status bb_gate_evaluate(const struct bb_suite *s, struct bb_rundata *base,
                                struct bb_rundata *cand, const struct bb_cmp_opts *opt,
                                struct bb_gate_report *out, struct bb_error *err);
void bb_gate_report_free(struct bb_gate_report *r);

/* TAP version 13: plan, one point per gate expansion, each with a YAML block
 * (metric, baseline, candidate, delta, ci, p_value, threshold, method). */
void bb_gate_write_tap(const struct bb_gate_report *r, FILE *fp);
/* JUnit XML (one testcase per point; failure element with the diagnostic),
 * written atomically. */
enum bb_status bb_gate_write_junit(const struct bb_gate_report *r, const char *path,
                                   struct bb_error *err);

#endif
