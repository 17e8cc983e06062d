/* cmd_fetch.c: `biasbench fetch`: download a Hugging Face model into the cache,
 * or one file from a URL, checked against its sha256 (bb_download_file). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/download.h"
#include "core/paths.h"

static const char usage_text[] =
    "usage: biasbench fetch [--revision REV] [--dest DIR] ORG/NAME\n"
    "       biasbench fetch --dest FILE [--sha256 HEX] URL\n\n"
    "Download a sentence-transformers model from Hugging Face (HF_ENDPOINT and\n"
    "HF_TOKEN are honoured) into DIR, by default the model cache\n"
    "(<cache>/models/NAME), where --model NAME then finds it. Sizes and sha256\n"
    "are checked against the repository listing; DIR appears only when complete;\n"
    "a cut-off download resumes when the command is run again (docs/downloads.md).\n"
    "Or download one file (a dataset, a GGUF model) from URL to FILE; with --sha256\n"
    "a file whose checksum differs is discarded (exit 2) and FILE is left as it was.\n\n"
    "  -r, --revision REV   branch, tag or commit (default main)\n"
    "  -o, --dest DIR|FILE  destination folder (model) or file (URL)\n"
    "  -s, --sha256 HEX     expected sha256 of the file at URL (64 hex digits)\n";

/* The exit code of a download into dest; on success, dest on stdout. */
static int finish(enum bb_status st, const struct bb_error *err, const char *dest)
{
    if (st)
        return bb_cli_fail("fetch", st, err);
    printf("%s\n", dest);
    return 0;
}

/* `fetch URL`: one file, checksum verified, written atomically. */
static int fetch_url(const char *url, const char *dest, const char *sha256)
{
    if (!dest) {
        fprintf(stderr, "biasbench fetch: a URL needs --dest FILE\n");
        return 2;
    }
    struct bb_error err = {0};
    return finish(bb_download_file(url, dest, sha256, &err), &err, dest);
}

int bb_cmd_fetch(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"revision", required_argument, NULL, 'r'},
                                             {"dest", required_argument, NULL, 'o'},
                                             {"sha256", required_argument, NULL, 's'},
                                             {0}};
    const char *rev = NULL, *dest = NULL, *sha256 = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hr:o:s:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': fputs(usage_text, stdout); return 0;
        case 'r': rev = optarg; break;
        case 'o': dest = optarg; break;
        case 's': sha256 = optarg; break;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (argc - optind == 1 && strstr(argv[optind], "://"))
        return fetch_url(argv[optind], dest, sha256);
    if (sha256) {
        fprintf(stderr, "biasbench fetch: --sha256 applies to a URL, not a model id\n");
        return 2;
    }
    if (argc - optind != 1 || !strchr(argv[optind], '/')) {
        fprintf(stderr, "biasbench fetch: expected one model id of the form ORG/NAME\n");
        return 2;
    }
    const char *id = argv[optind];
    char path[4096];
    if (!dest) {
        char cache[3000];
        bb_paths_cache_dir(cache, sizeof cache);
        snprintf(path, sizeof path, "%s/models/%s", cache, strrchr(id, '/') + 1);
        dest = path;
    }
    struct bb_error err = {0};
    return finish(bb_download_hf_model(id, rev, dest, &err), &err, dest);
}
