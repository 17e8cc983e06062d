/* cmd_cache.c: `biasbench cache stats|clear|trim`: what the result cache
 * (core/rescache.h, docs/caching.md) holds, and emptying it; `biasbench cache kernels DIR`:
 * the prebuilt kernel programs `make` stores (src/backend/opencl.c, prebuilt kernels). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "cli.h"
#include "core/paths.h"
#include "core/rescache.h"

static const char usage_text[] =
    "usage: biasbench cache stats|clear|trim [--dir DIR] [--max SIZE]\n"
    "       biasbench cache kernels DIR [--device SEL]\n\n"
    "The result cache keeps per-text model outputs (embeddings, per-token log-probs)\n"
    "so reruns skip the forward pass (docs/caching.md).\n\n"
    "  stats          entries, bytes and the size bound\n"
    "  clear          remove every entry\n"
    "  trim           remove least recently used entries down to the bound (--max SIZE,\n"
    "                 else BIASBENCH_CACHE_MAX, else 1G); runs do this as they store\n"
    "      --dir DIR  the cache root (default $BIASBENCH_CACHE, else ~/.cache/biasbench);\n"
    "                 entries live in DIR/results\n"
    "  kernels DIR    build every kernel program for the OpenCL device (--device, default\n"
    "                 auto) and store the binaries in DIR: what `make` does into\n"
    "                 kernels-prebuilt/, so that a first run loads its kernels instead of\n"
    "                 compiling them (docs/caching.md)\n\n"
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

static int kernels(const char *dir, const char *device)
{
    struct bb_error err = {0};
    struct bb_backend_opts o = {.device = device};
    int n = 0;
    enum bb_status st = bb_path_mkdir_p(dir, &err);
    if (!st)
        st = bb_opencl_prebuild(&o, dir, &n, &err);
    if (st)
        return bb_cli_fail("cache kernels", st, &err);
    printf("kernel programs: %d stored in %s\n", n, dir);
    return 0;
}

int bb_cmd_cache(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'}, {"dir", required_argument, NULL, 'D'},
        {"max", required_argument, NULL, 'M'}, {"device", required_argument, NULL, 'd'},
        {0}};
    struct bb_error err = {0};
    const char *root = NULL, *device = NULL;
    uint64_t max = 0;
    enum bb_status st = BB_OK;
    int opt;
    optind = 1;
    while (!st && (opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': fputs(usage_text, stdout); return 0;
        case 'D': root = optarg; break;
        case 'M': st = bb_rescache_parse_size("--max", optarg, &max, &err); break;
        case 'd': device = optarg; break;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (st)
        return bb_cli_fail("cache", st, &err);
    if (optind == argc - 2 && !strcmp(argv[optind], "kernels"))
        return kernels(argv[optind + 1], device);
    const char *cmd = optind == argc - 1 ? argv[optind] : "";
    if (strcmp(cmd, "stats") && strcmp(cmd, "clear") && strcmp(cmd, "trim")) {
        fprintf(stderr, "biasbench cache: expected 'stats', 'clear', 'trim' or 'kernels DIR'%s%s "
                "(see 'biasbench cache --help')\n", optind < argc ? ", found " : "",
                optind < argc ? argv[optind] : "");
        return 2;
    }
    struct bb_rescache *c = NULL;
    st = bb_rescache_open(root, max, &c, &err);
    if (!st && !strcmp(cmd, "stats"))
        st = stats(c, &err);
    else if (!st)
        st = !strcmp(cmd, "clear") ? bb_rescache_clear(c, &err)
                                   : bb_rescache_evict(c, bb_rescache_max(c), &err);
    if (!st && strcmp(cmd, "stats"))
        printf("result cache %s: removed %llu entries, %llu bytes left\n", bb_rescache_path(c),
               (unsigned long long)bb_rescache_stats(c)->evicted,
               (unsigned long long)bb_rescache_stats(c)->bytes);
    bb_rescache_close(c);
    return st ? bb_cli_fail("cache", st, &err) : 0;
}
