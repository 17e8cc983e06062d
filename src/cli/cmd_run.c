/* cmd_run.c: `biasbench run SUITE`: parse the options, install the
 * interrupt cleanup for atomic files, and hand over to the evaluator (run.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/fileout.h"
#include "core/log.h"
#include "core/rescache.h"
#include "run/resume.h"
#include "run/run.h"
#include "run/shard.h"

static const char usage_text[] =
    "usage: biasbench run SUITE [options]\n"
    "       biasbench run --resume DIR [--no-cache] [--cache-size SIZE] [-q] [-v]\n\n"
    "Run every task of SUITE (a YAML suite) on its models and write a run directory:\n"
    "manifest.json, results.csv, items/<task>__<model>.csv, charts and the report.\n\n"
    "  -m, --model ID       run only this model of the suite (repeatable); an ID that is\n"
    "                       not in the suite is a model folder or cache name run on every task\n"
    "  -t, --task ID        run only this task (repeatable); a named task whose data cannot\n"
    "                       be found is an error (unnamed ones are skipped with a warning)\n"
    "  -n, --limit N        use at most N items per task (0: all; default: the suite's)\n"
    "  -s, --seed S         seed for bootstrap and permutations (default: the suite's)\n"
    "  -o, --out DIR        run directory (default reports/<suite>-<UTC timestamp>)\n"
    "  -b, --backend B      opencl or ref (default: the suite's, else opencl)\n"
    "  -d, --device SEL     OpenCL device: auto, N, P:D or a name substring\n"
    "  -D, --data-dir DIR   look for datasets here first\n"
    "      --force          write into a DIR that already holds a run\n"
    "      --no-report      write the CSV files and manifest only\n"
    "      --require-all    any skipped task or part (missing data, a grid cell too long\n"
    "                       for the model, ...) is an error (exit 2)\n"
    "      --shard K/N      run shard K (0-based) of N: the task x model jobs whose number\n"
    "                       in run order is K mod N; join the N run directories with\n"
    "                       `biasbench merge` (docs/scale-out.md)\n"
    "      --shard-by B     job (default) or model: with model, shard K runs every task of\n"
    "                       the models numbered K mod N, so each model loads once\n"
    "      --resume DIR     continue the interrupted run in DIR with its own command line:\n"
    "                       finished task x model jobs are kept, the rest run (refused when\n"
    "                       the suite, a dataset, a model or biasbench changed)\n"
    "      --no-cache       neither read nor write the result cache (docs/caching.md)\n"
    "      --cache-size S   bound the result cache to S bytes (K, M, G suffixes; default\n"
    "                       BIASBENCH_CACHE_MAX, else the suite's defaults.cache_size,\n"
    "                       else 1G); least recently used entries go first\n"
    "      --profile        time every OpenCL kernel: a table on stderr, and profile.csv,\n"
    "                       profile.gp, profile.svg in the run directory\n"
    "  -q, --quiet          errors only on stderr (skipped tasks are still listed on stdout)\n"
    "  -v, --verbose        say what runs when (twice: debug detail)\n\n"
    "Environment: BIASBENCH_DATA and BIASBENCH_MODELS add to the data and model search\n"
    "paths; BIASBENCH_COLD_START=off leaves out the latency task's whole-process cold\n"
    "start (it compiles every kernel with empty caches). The run directory's files are\n"
    "described in docs/run-directory.md. Before the first model is loaded, the suite is\n"
    "checked as `biasbench validate` does (data parsed, columns, template slots, model\n"
    "sources, gate metrics). Exit status: 0 ok, 2 bad suite, options, data or model, or\n"
    "nothing measured (every task skipped; with --require-all: anything skipped), 3 device\n"
    "failure, 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP (files are complete or\n"
    "absent). A folder another run is writing is refused (DIR/.biasbench.lock).\n";

#define MAX_IDS 256

struct run_cli {
    struct bb_run_opts o;
    const char *models[MAX_IDS], *tasks[MAX_IDS];
    const char *resume_dir; /* --resume DIR */
    int n_run_opts;         /* options other than --resume, the cache's, -q and -v */
};

static enum bb_status parse_u64(const char *opt, const char *arg, uint64_t *out,
                                struct bb_error *err)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-')
        return bb_fail(err, BB_E_USAGE, "%s: expected a non-negative integer, found '%s'", opt,
                       arg);
    *out = v;
    return BB_OK;
}

static enum bb_status add_id(const char **v, size_t *n, const char *opt, const char *arg,
                             struct bb_error *err)
{
    if (*n >= MAX_IDS)
        return bb_fail(err, BB_E_USAGE, "%s: at most %d values", opt, MAX_IDS);
    v[(*n)++] = arg;
    return BB_OK;
}

static enum bb_status parse(int argc, char **argv, struct run_cli *c, struct bb_error *err)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},        {"model", required_argument, NULL, 'm'},
        {"task", required_argument, NULL, 't'},  {"limit", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},  {"out", required_argument, NULL, 'o'},
        {"backend", required_argument, NULL, 'b'}, {"device", required_argument, NULL, 'd'},
        {"data-dir", required_argument, NULL, 'D'}, {"force", no_argument, NULL, 'F'},
        {"no-report", no_argument, NULL, 'R'},   {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},     {"require-all", no_argument, NULL, 'A'},
        {"shard", required_argument, NULL, 'S'}, {"shard-by", required_argument, NULL, 'B'},
        {"resume", required_argument, NULL, 'U'}, {"no-cache", no_argument, NULL, 'N'},
        {"cache-size", required_argument, NULL, 'C'}, {"profile", no_argument, NULL, 'P'},
        {0}};
    struct bb_run_opts *o = &c->o;
    enum bb_status st = BB_OK;
    int opt, lim;
    optind = 1;
    while (!st && (opt = getopt_long(argc, argv, "hm:t:n:s:o:b:d:D:qv", longopts, NULL)) != -1) {
        c->n_run_opts += !strchr("UNCqv", opt);
        switch (opt) {
        case 'h': fputs(usage_text, stdout); exit(0);
        case 'm': st = add_id(c->models, &o->n_models, "--model", optarg, err); break;
        case 't': st = add_id(c->tasks, &o->n_tasks, "--task", optarg, err); break;
        case 'n':
            st = bb_cli_parse_int("--limit", optarg, 0, 1000000000, &lim, err);
            o->limit = lim;
            break;
        case 's': st = parse_u64("--seed", optarg, &o->seed, err), o->has_seed = true; break;
        case 'o': o->out_dir = optarg; break;
        case 'b':
            if (strcmp(optarg, "opencl") && strcmp(optarg, "ref"))
                st = bb_fail(err, BB_E_USAGE, "--backend: expected 'opencl' or 'ref', found '%s'",
                             optarg);
            o->backend = optarg;
            break;
        case 'd': o->device = optarg; break;
        case 'D': o->data_dir = optarg; break;
        case 'F': o->force = true; break;
        case 'R': o->no_report = true; break;
        case 'A': o->require_all = true; break;
        case 'P': o->profile = true; break;
        case 'S':
            st = bb_shard_parse("--shard", optarg, &o->shard_index, &o->shard_count, err);
            break;
        case 'B':
            if (strcmp(optarg, "job") && strcmp(optarg, "model"))
                st = bb_fail(err, BB_E_USAGE, "--shard-by: expected 'job' or 'model', found '%s'",
                             optarg);
            o->shard_by_model = !strcmp(optarg, "model");
            break;
        case 'U': c->resume_dir = optarg; break;
        case 'N': o->no_cache = true; break;
        case 'C': st = bb_rescache_parse_size("--cache-size", optarg, &o->cache_max, err); break;
        case 'q': bb_log_set_level(BB_LOG_ERROR); break;
        case 'v':
            bb_log_set_level(bb_log_get_level() < BB_LOG_INFO ? BB_LOG_INFO : BB_LOG_DEBUG);
            break;
        default: return bb_fail(err, BB_E_USAGE, "see 'biasbench run --help'");
        }
    }
    if (st)
        return st;
    if (c->resume_dir && (c->n_run_opts || optind != argc))
        return bb_fail(err, BB_E_USAGE, "--resume DIR takes no SUITE and no run options (only "
                       "--no-cache, --cache-size, -q, -v): the run's own command line is read "
                       "from DIR/manifest.json");
    if (c->resume_dir)
        return BB_OK;
    if (optind != argc - 1)
        return bb_fail(err, BB_E_USAGE, "expected one SUITE file, found %d arguments (see "
                       "'biasbench run --help')", argc - optind);
    o->suite_path = argv[optind];
    return BB_OK;
}

static void cli_init(struct run_cli *c)
{
    memset(c, 0, sizeof *c);
    c->o.limit = -1;
    c->o.models = c->models;
    c->o.tasks = c->tasks;
    c->o.summary = stdout;
}

/* --resume DIR: the interrupted run's command line (its manifest) parsed
 * again, into DIR, with this command's cache options. */
static enum bb_status resume_opts(const struct run_cli *user, struct run_cli *c,
                                  struct bb_resume **r, struct bb_error *err)
{
    static char dir[4096];
    enum bb_status st = bb_resume_open(user->resume_dir, r, err);
    if (st)
        return st;
    /* the command line's relative paths are the original working folder's */
    const char *wd = bb_resume_working_dir(*r);
    if (!realpath(user->resume_dir, dir))
        return bb_fail(err, BB_E_IO, "--resume %s: %s", user->resume_dir, strerror(errno));
    if (wd[0] && chdir(wd))
        return bb_fail(err, BB_E_IO, "%s/manifest.json: working_dir %s: %s (the run's command "
                       "line is relative to it)", user->resume_dir, wd, strerror(errno));
    if ((st = parse(bb_resume_argc(*r), bb_resume_argv(*r), c, err))) {
        bb_error_prefix(err, "%s/manifest.json: its command line", user->resume_dir);
        return st == BB_E_USAGE ? BB_E_INPUT : st;
    }
    if (c->resume_dir)
        return bb_fail(err, BB_E_INPUT, "%s/manifest.json: its command line has --resume",
                       user->resume_dir);
    c->o.argc = bb_resume_argc(*r);
    c->o.argv = bb_resume_argv(*r);
    c->o.out_dir = dir;
    c->o.resume = *r;
    c->o.no_cache = user->o.no_cache;
    c->o.cache_max = user->o.cache_max;
    return BB_OK;
}

int bb_cmd_run(int argc, char **argv)
{
    static struct run_cli c, again;
    struct bb_resume *r = NULL;
    struct bb_error err = {0};
    cli_init(&c);
    enum bb_status st = parse(argc, argv, &c, &err);
    if (st)
        return bb_cli_fail("run", st, &err);
    /* The whole command line, for the manifest (argv here starts at "run"). */
    c.o.argc = argc;
    c.o.argv = argv;
    struct run_cli *use = &c;
    if (c.resume_dir) {
        int level = bb_log_get_level();
        cli_init(&again);
        st = resume_opts(&c, &again, &r, &err);
        bb_log_set_level(level); /* this command's -q/-v, not the interrupted one's */
        use = &again;
    }
    if (!st) {
        bb_fileout_install_signal_handlers();
        char *dir = NULL;
        st = bb_run(&use->o, &dir, &err);
        free(dir);
    }
    bb_resume_free(r);
    return st ? bb_cli_fail("run", st, &err) : 0;
}
