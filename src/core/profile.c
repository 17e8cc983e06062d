/* profile.c: printing and writing a kernel-time profile (profile.h). */
#include "core/profile.h"

#include <stdlib.h>

#include "core/fileout.h"

void bb_profile_free(struct bb_profile *p)
{
    if (!p)
        return;
    free(p->rows);
    p->rows = NULL;
    p->n = 0;
}

static double share(const struct bb_profile *p, const struct bb_profile_row *r)
{
    return p->kernel_ms > 0 ? 100.0 * r->ms / p->kernel_ms : 0.0;
}

void bb_profile_print(FILE *f, const struct bb_profile *p)
{
    fprintf(f, "# profile: OpenCL kernel time from events (device start to end), by kernel "
               "(GEMMs also by the weight's panel count, g_last)\n");
    fprintf(f, "%-28s %8s %9s %10s %9s %6s\n", "kernel", "g_last", "launches", "total ms",
            "mean us", "share");
    for (size_t i = 0; i < p->n; i++) {
        const struct bb_profile_row *r = &p->rows[i];
        fprintf(f, "%-28s %8ld %9ld %10.1f %9.1f %5.1f%%\n", r->kernel, r->g_last, r->launches,
                r->ms, r->launches ? r->ms * 1e3 / (double)r->launches : 0.0, share(p, r));
    }
    fprintf(f, "# kernels %.1f ms of %.1f ms wall from the first launch (the rest: host work, "
               "transfers, launch gaps)\n", p->kernel_ms, p->wall_ms);
}

enum bb_status bb_profile_write_csv(const struct bb_profile *p, const char *path,
                                    struct bb_error *err)
{
    struct bb_fileout fo = {0};
    enum bb_status st = bb_fileout_open(&fo, path, err);
    if (st)
        return st;
    fprintf(fo.fp, "kernel,g_last,launches,total_ms,mean_us,share\n");
    for (size_t i = 0; i < p->n; i++) {
        const struct bb_profile_row *r = &p->rows[i];
        fprintf(fo.fp, "%s,%ld,%ld,%.6f,%.3f,%.4f\n", r->kernel, r->g_last, r->launches, r->ms,
                r->launches ? r->ms * 1e3 / (double)r->launches : 0.0, share(p, r));
    }
    st = bb_fileout_commit(&fo, err);
    bb_fileout_abort(&fo);
    return st;
}
