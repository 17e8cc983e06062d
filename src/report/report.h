/* report.h: charts (gnuplot) and the audit report (report.md, report.html)
 * written into a finished run directory from its suite, results rows and the
 * files the run left there (manifest.json, items/). Called by the runner at
 * the end of `biasbench run`. */
#ifndef BB_REPORT_H
#define BB_REPORT_H

#include "metrics/results.h"
#include "core/status.h"
#include "suite/suite.h"

/* Write the charts and report.md / report.html into run_dir (every file
 * atomically, through fileout.h). gnuplot missing: no charts, said once. */
enum bb_status bb_report_write(const char *run_dir, const struct bb_suite *suite,
                               const struct bb_results *results, struct bb_error *err);
/* The same, with a notice at the top of both files saying what could not be
 * rebuilt (`report --allow-missing`); NULL: none. */
enum bb_status bb_report_write_notice(const char *run_dir, const struct bb_suite *suite,
                                      const struct bb_results *results, const char *notice,
                                      struct bb_error *err);

#endif
