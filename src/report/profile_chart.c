/* profile_chart.c: profile.csv, profile.gp and profile.svg for `--profile`
 * (profile_chart.h): a horizontal bar per kernel row, device ms, most time on top. */
#include "report/profile_chart.h"

#include <stdio.h>

#include "core/fileout.h"
#include "core/log.h"
#include "report/plot.h"

/* The script reads profile.csv as written (header skipped), one bar per row. */
static enum bb_status write_script(const struct bb_profile *p, const char *path,
                                   struct bb_error *err)
{
    struct bb_fileout fo = {0};
    enum bb_status st = bb_fileout_open(&fo, path, err);
    if (st)
        return st;
    int h = 120 + 22 * (int)(p->n ? p->n : 1);
    fprintf(fo.fp,
            "# profile.gp: OpenCL kernel time by kernel, from profile.csv in this folder.\n"
            "# Written by biasbench --profile. Redraw: gnuplot -e \"fmt='svg'\" profile.gp\n"
            "if (!exists(\"fmt\")) fmt = 'svg'\n"
            "if (fmt eq 'svg') {\n"
            "    set terminal svg size 900,%d dynamic noenhanced font 'Helvetica,12' "
            "background rgb 'white'\n"
            "    set output 'profile.svg'\n"
            "} else {\n"
            "    set terminal pngcairo size 900,%d noenhanced font 'Helvetica,11' "
            "background rgb 'white'\n"
            "    set output 'profile.png'\n"
            "}\n"
            "set datafile separator ','\n"
            "set title 'OpenCL kernel time: %.1f ms in kernels of %.1f ms wall'\n"
            "set xlabel 'device time (ms)'\n"
            "set style fill solid 0.8 border -1\n"
            "set border 3\nset tics nomirror\nset grid xtics lc rgb '#dddddd'\n"
            "set yrange [:] reverse\nset offsets 0, 0, 0.5, 0.5\nset xrange [0:*]\n"
            "unset key\n"
            "label(k, g) = g > 0 ? sprintf('%%s (%%d panels)', k, g) : k\n"
            "plot 'profile.csv' every ::1 using ($4 * 0.5):0:($4 * 0.5):(0.35):"
            "yticlabels(label(strcol(1), column(2))) with boxxyerror lc rgb '#4477aa', \\\n"
            "     '' every ::1 using 4:0:(sprintf(' %%.1f%%%%', column(6))) with labels left\n",
            h, h, p->kernel_ms, p->wall_ms);
    st = bb_fileout_commit(&fo, err);
    bb_fileout_abort(&fo);
    return st;
}

enum bb_status bb_profile_write_files(const struct bb_profile *p, const char *dir,
                                      struct bb_error *err)
{
    char csv[4200], gp[4200], msg[1000];
    snprintf(csv, sizeof csv, "%s/profile.csv", dir);
    snprintf(gp, sizeof gp, "%s/profile.gp", dir);
    enum bb_status st;
    if ((st = bb_profile_write_csv(p, csv, err)) || (st = write_script(p, gp, err)))
        return st;
    if (bb_plot_run_script(dir, "profile", "svg", msg, sizeof msg))
        bb_warn("profile chart not drawn (%s); the data is %s", msg, csv);
    return BB_OK;
}
