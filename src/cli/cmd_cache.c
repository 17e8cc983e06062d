/* cmd_cache.c: `biasbench cache stats|clear`: what the result cache
 * (core/rescache.h, docs/caching.md) holds, and emptying it. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/rescache.h"

static const char usage_text[] =
    "usage: biasbench cache stats|clear [--dir DIR]\n\n"
    "The result cache keeps per-text model outputs (embeddings, per-token log-probs)\n"
    "so reruns skip the forward pass (docs/caching.md).\n\n"
    "  stats          entries, bytes and the size bound\n"
    "  clear          remove every entry\n"
    "      --dir DIR  the cache root (default $BIASBENCH_CACHE, else ~/.cache/biasbench);\n"
    "                 entries live in DIR/results\n\n"
    "Environment: BIASBENCH_CACHE_MAX bounds the size (e.g. 512M; default 1G);\n"
    "BIASBENCH_RESULT_CACHE names the entries' folder itself (or 'off': runs use none).\n";

static void human(uint64_t b, char *buf, size_t n)
{
    if (b >= 1ull << 30)
        snprintf(buf, n, "%.2f GiB", (double)b / (double)(1ull << 30));
    else if (b >= 1ull << 20)
        snprintf(buf, n, "%.2f MiB", (double)b / (double)(1ull << 20));
    else
        snprintf(buf, n, "%.1f KiB", (double)b / 1024.0);
}

static enum bb_status stats(struct bb_rescache *c, struct bb_error *err)
{
    enum bb_status st = bb_rescache_scan(c, err);
    if (st)
        return st;
    const struct bb_rescache_stats *s = bb_rescache_stats(c);
    char used[32], max[32];
    human(s->bytes, used, sizeof used);
    human(bb_rescache_max(c), max, sizeof max);
    printf("result cache: %s\n", bb_rescache_path(c));
    printf("entries:      %llu\n", (unsigned long long)s->entries);
    printf("bytes:        %llu (%s)\n", (unsigned long long)s->bytes, used);
    printf("bound:        %llu (%s; BIASBENCH_CACHE_MAX, run --cache-size)\n",
           (unsigned long long)bb_rescache_max(c), max);
    return BB_OK;
}

int bb_cmd_cache(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'}, {"dir", required_argument, NULL, 'D'}, {0}};
    struct bb_error err = {0};
    const char *root = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': fputs(usage_text, stdout); return 0;
        case 'D': root = optarg; break;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (optind != argc - 1 || (strcmp(argv[optind], "stats") && strcmp(argv[optind], "clear"))) {
        fprintf(stderr, "biasbench cache: expected 'stats' or 'clear'%s%s (see 'biasbench cache "
                "--help')\n", optind < argc ? ", found " : "", optind < argc ? argv[optind] : "");
        return 2;
    }
    struct bb_rescache *c = NULL;
    enum bb_status st = bb_rescache_open(root, 0, &c, &err);
    if (!st && !strcmp(argv[optind], "stats")) {
        st = stats(c, &err);
    } else if (!st) {
        st = bb_rescache_clear(c, &err);
        if (!st)
            printf("result cache %s: removed %llu entries\n", bb_rescache_path(c),
                   (unsigned long long)bb_rescache_stats(c)->evicted);
    }
    bb_rescache_close(c);
    return st ? bb_cli_fail("cache", st, &err) : 0;
}
