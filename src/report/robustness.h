/* robustness.h: the robustness results of a suite's `perturb:` key. The
 * runner calls bb_robustness_deltas after each perturbed rerun of a task x
 * model: it pairs the rerun's rows with the clean rows and appends the paired
 * differences (perturbation "delta:<id>", results.h) tested on the per-item
 * files with compare's paired tests. The report's robustness section
 * (bb_report_robustness, report_int.h) tabulates clean, perturbed and delta
 * per perturbation and draws one chart. */
#ifndef BB_REPORT_ROBUSTNESS_H
#define BB_REPORT_ROBUSTNESS_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "metrics/results.h"

/* For each row with a direction (higher or lower is better; not timing) in
 * res->rows[pert_from, pert_to) (one perturbed rerun), the clean row of the same task, dataset,
 * model, variant, group and metric in [clean_from, clean_to) is tested against it on the per-item
 * files under run_dir (replicates paired bootstrap replicates, seed), and a
 * row "delta:<id>" is appended: value perturbed - clean, its 95% CI, the
 * paired test's p-value and the number of paired items (replicates 0, the
 * suite's bootstrap 0: the difference alone, no CI or p-value). */
enum bb_status bb_robustness_deltas(const char *run_dir, struct bb_results *res, size_t clean_from,
                                    size_t clean_to, size_t pert_from, size_t pert_to,
                                    uint64_t seed, int replicates, struct bb_error *err);

#endif
