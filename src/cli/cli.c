/* cli.c: what the subcommands share: model/backend options, opening a model
 * (resolving names, downloading HF ids), and error reporting. */
#include "cli.h"
#include "suite/suite.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"
#include "core/download.h"
#include "core/log.h"
#include "model/model.h"
#include "core/paths.h"
#include "report/profile_chart.h"
#include "textin.h"

void bb_cli_model_defaults(struct bb_cli_model *o)
{
    o->model = getenv("BIASBENCH_MODEL");
    if (!o->model || !*o->model)
        o->model = BB_DEFAULT_MODEL;
    o->backend = "opencl";
    o->device = "auto";
    o->precision = "f32";
    o->batch = 32;
}

enum bb_status bb_cli_parse_int(const char *opt, const char *arg, int min, int max, int *out,
                                struct bb_error *err)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < min || v > max)
        return bb_fail(err, BB_E_USAGE, "%s: expected an integer from %d to %d, found '%s'", opt,
                       min, max, arg);
    *out = (int)v;
    return BB_OK;
}

enum bb_status bb_cli_parse_format(const char *arg, const char *plain, bool *json,
                                   struct bb_error *err)
{
    if (strcmp(arg, plain) && strcmp(arg, "json"))
        return bb_fail(err, BB_E_USAGE, "--format: expected '%s' or 'json', found '%s'", plain,
                       arg);
    *json = !strcmp(arg, "json");
    return BB_OK;
}

bool bb_cli_model_option(struct bb_cli_model *o, int opt, const char *arg, struct bb_error *err,
                         enum bb_status *st)
{
    *st = BB_OK;
    switch (opt) {
    case 'm': o->model = arg; return true;
    case 'b':
        if (strcmp(arg, "opencl") && strcmp(arg, "ref"))
            *st = bb_fail(err, BB_E_USAGE, "--backend: expected 'opencl' or 'ref', found '%s'",
                          arg);
        o->backend = arg;
        return true;
    case 'd': o->device = arg; return true;
    case 'p':
        if (strcmp(arg, "f32") && strcmp(arg, "f16"))
            *st = bb_fail(err, BB_E_USAGE, "--precision: expected 'f32' or 'f16', found '%s'", arg);
        o->precision = arg;
        return true;
    case 'B':
        *st = bb_cli_parse_int("--batch", arg, 1, BB_BATCH_SIZE_MAX, &o->batch, err);
        return true;
    case BB_CLI_OPT_PROFILE: o->profile = true; return true;
    }
    return false;
}

int bb_cli_getopt(int argc, char **argv, const char *extra, const struct option *longopts,
                  struct bb_cli_model *m, struct bb_textio *io, struct bb_error *err,
                  enum bb_status *st)
{
    char shortopts[64];
    snprintf(shortopts, sizeof shortopts, "h%s%s%s", BB_CLI_MODEL_SHORTOPTS,
             io ? BB_TEXTIO_SHORTOPTS : "", extra);
    int opt;
    *st = BB_OK;
    while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (!bb_cli_model_option(m, opt, optarg, err, st) &&
            !(io && bb_textio_option(io, opt, optarg, err, st)))
            return opt;
        if (*st)
            return -1;
    }
    return -1;
}

bool bb_cli_bootstrap_option(struct bb_cmp_opts *o, int opt, const char *arg,
                             struct bb_error *err, enum bb_status *st)
{
    int n = 0;
    *st = BB_OK;
    switch (opt) {
    case 'r':
        *st = bb_cli_parse_int("--replicates", arg, 1, 1000000, &n, err);
        o->replicates = n;
        return true;
    case 's':
        *st = bb_cli_parse_int("--seed", arg, 0, 2147483647, &n, err);
        o->seed = (uint64_t)n;
        return true;
    }
    return false;
}

/* An HF id looks like "org/name" and is not a path that exists. */
static bool looks_like_hf_id(const char *spec)
{
    const char *slash = strchr(spec, '/');
    return slash && slash != spec && !strchr(slash + 1, '/') && spec[0] != '.' &&
           !bb_path_exists(spec);
}

enum bb_status bb_cli_resolve_model(const char *spec, char *out, size_t n, struct bb_error *err)
{
    enum bb_status st = bb_paths_find_model(spec, out, n, err);
    if (st == BB_OK || !looks_like_hf_id(spec))
        return st;
    char cache[4096];
    bb_paths_cache_dir(cache, sizeof cache);
    snprintf(out, n, "%s/models/%s", cache, strrchr(spec, '/') + 1);
    bb_info("model '%s' is not cached; downloading it from Hugging Face into %s", spec, out);
    return bb_download_hf_model(spec, NULL, out, err);
}

enum bb_status bb_cli_open_model(const struct bb_cli_model *o, struct bb_backend **be,
                                 struct bb_model **model, struct bb_error *err)
{
    char dir[4096];
    *be = NULL;
    *model = NULL;
    enum bb_status st = bb_cli_resolve_model(o->model, dir, sizeof dir, err);
    if (st)
        return st;
    if (o->profile && !strcmp(o->backend, "ref"))
        return bb_fail(err, BB_E_USAGE, "--profile times OpenCL kernels; the ref backend has "
                       "none (use --backend opencl)");
    struct bb_backend_opts bo = {.device = o->device, .profile = o->profile};
    st = bb_backend_create(o->backend, &bo, be, err);
    if (st)
        return st;
    struct bb_model_opts mo = {.weights = strcmp(o->precision, "f16") ? BB_F32 : BB_F16};
    st = bb_model_load(dir, *be, &mo, model, err);
    if (st) {
        bb_backend_free(*be);
        *be = NULL;
    }
    return st;
}

enum bb_status bb_cli_profile_finish(const struct bb_cli_model *o, struct bb_backend *be,
                                     const char *output, struct bb_error *err)
{
    if (!o->profile || !be)
        return BB_OK;
    char dir[4096] = ".";
    if (output && strcmp(output, "-"))
        bb_path_dir_of(output, dir, sizeof dir);
    struct bb_profile p;
    enum bb_status st = bb_backend_profile(be, &p, err);
    if (!st) {
        bb_profile_print(stderr, &p);
        st = bb_profile_write_files(&p, dir, err);
    }
    if (!st)
        bb_info("profile: %s/profile.csv, profile.gp, profile.svg", dir);
    bb_profile_free(&p);
    return st;
}

int bb_cli_usage(int opt, const char *usage)
{
    fputs(usage, opt == 'h' ? stdout : stderr);
    return opt == 'h' ? 0 : 2;
}

int bb_cli_no_operands(const char *cmd, int argc, char **argv)
{
    if (optind >= argc)
        return 0;
    fprintf(stderr, "biasbench %s: unexpected argument '%s'\n", cmd, argv[optind]);
    return 2;
}

int bb_cli_fail(const char *cmd, enum bb_status st, const struct bb_error *err)
{
    fprintf(stderr, "biasbench %s: %s\n", cmd,
            err && err->msg[0] ? err->msg : bb_status_name(st));
    if (bb_log_get_level() >= BB_LOG_DEBUG && err && err->src_file)
        fprintf(stderr, "  (raised at %s:%d)\n", err->src_file, err->src_line);
    return bb_status_exit_code(st);
}
