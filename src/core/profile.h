/* profile.h: a kernel-time profile (what `--profile` reports): device time per kernel from
 * OpenCL events, as rows sorted by time, with the table printed on stderr and the CSV written
 * into the run directory. Pure data and text; the backend fills it (bb_backend_profile) and
 * report/profile_chart.h draws it. */
#ifndef BB_PROFILE_H
#define BB_PROFILE_H

#include <stddef.h>
#include <stdio.h>

#include "core/status.h"

struct bb_profile_row {
    char kernel[64]; /* kernel function name */
    long g_last;     /* GEMMs: the weight's panel count (one row per weight shape); else 0 */
    long launches;
    double ms;       /* device time, CL_PROFILING_COMMAND_START to _END, summed */
};

struct bb_profile {
    size_t n;
    struct bb_profile_row *rows; /* most time first */
    double kernel_ms;            /* sum of rows[].ms */
    double wall_ms;              /* first launch to the moment the profile was taken */
};

void bb_profile_free(struct bb_profile *p);
/* The table: kernel, g_last, launches, total ms, mean us, share; then kernel vs wall time. */
void bb_profile_print(FILE *f, const struct bb_profile *p);
/* CSV with header kernel,g_last,launches,total_ms,mean_us,share; then a comment-free file
 * (one row per kernel, most time first), written atomically. */
enum bb_status bb_profile_write_csv(const struct bb_profile *p, const char *path,
                                    struct bb_error *err);

#endif
