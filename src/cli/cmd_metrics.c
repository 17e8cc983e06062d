/* cmd_metrics.c: `biasbench metrics`: print the metric registry
 * (metrics/table.h), as Markdown (the table docs/run-directory.md holds)
 * or as CSV. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "metrics/table.h"

static const char usage_text[] =
    "usage: biasbench metrics [--format md|csv]\n\n"
    "Print every metric biasbench can write to results.csv: kind, direction,\n"
    "ideal value, unit, the task types that emit it, the paired test 'compare'\n"
    "runs on it and its definition. --format md (default) is the table of\n"
    "docs/run-directory.md; csv has one row per metric.\n";

static void csv_str(const char *s, char end)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
    putchar(end);
}

static void write_csv(void)
{
    size_t n;
    const struct bb_metric_info *t = bb_metric_table(&n);
    puts("metric,kind,higher_is_better,ideal,unit,paired_test,definition");
    for (size_t i = 0; i < n; i++) {
        printf("%s,%s,%s,", t[i].name, bb_result_kind_name(t[i].kind),
               t[i].dir == BB_DIR_HIGHER  ? "true"
               : t[i].dir == BB_DIR_LOWER ? "false"
                                          : "");
        if (isfinite(t[i].ideal))
            printf("%g", t[i].ideal);
        putchar(',');
        csv_str(t[i].unit, ',');
        csv_str(bb_metric_test_name(t[i].test), ',');
        csv_str(t[i].definition, '\n');
    }
}

int bb_cmd_metrics(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
    const char *format = "md";
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
        if (opt == 'f') {
            format = optarg;
            continue;
        }
        return bb_cli_usage(opt, usage_text);
    }
    if (bb_cli_no_operands("metrics", argc, argv))
        return 2;
    if (!strcmp(format, "md"))
        bb_metric_write_md(stdout);
    else if (!strcmp(format, "csv"))
        write_csv();
    else {
        fprintf(stderr, "biasbench metrics: --format: expected md or csv, found '%s'\n", format);
        return 2;
    }
    return fflush(stdout) ? 1 : 0;
}
