/* cli.h: the subcommands of the biasbench command line and what they share
 * (model/backend options, opening a model, reporting an error and exiting). */
#ifndef BB_CLI_H
#define BB_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "backend/backend.h"
#include "core/status.h"

struct bb_model;

/* Options every model-running command accepts. */
struct bb_cli_model {
    const char *model;     /* --model: path, cache name or HF id */
    const char *backend;   /* --backend opencl|ref */
    const char *device;    /* --device SEL */
    const char *precision; /* --precision f32|f16 */
    int batch;             /* --batch N */
    bool profile;          /* --profile: kernel times on stderr, profile.csv/.gp/.svg */
};
void bb_cli_model_defaults(struct bb_cli_model *o);
/* Handle one of the shared options (getopt's current opt/optarg); true if it was one. */
bool bb_cli_model_option(struct bb_cli_model *o, int opt, const char *arg, struct bb_error *err,
                         enum bb_status *st);
#define BB_CLI_OPT_PROFILE 0x150 /* a long-only option */
#define BB_CLI_MODEL_SHORTOPTS "m:b:d:p:B:"
#define BB_CLI_MODEL_LONGOPTS \
    {"model", required_argument, NULL, 'm'}, {"backend", required_argument, NULL, 'b'}, \
    {"device", required_argument, NULL, 'd'}, {"precision", required_argument, NULL, 'p'}, \
    {"batch", required_argument, NULL, 'B'}, {"profile", no_argument, NULL, BB_CLI_OPT_PROFILE}
#define BB_CLI_MODEL_HELP \
    "  -m, --model M        model folder, cache name or Hugging Face id " \
    "(default all-MiniLM-L6-v2)\n" \
    "  -b, --backend B      opencl (default) or ref (plain C reference)\n" \
    "  -d, --device SEL     OpenCL device: auto, N, P:D or a name substring (default auto)\n" \
    "  -p, --precision P    weight precision f32 (default) or f16\n" \
    "  -B, --batch N        sentences per batch (default 32)\n" \
    "      --profile        time every OpenCL kernel: a table on stderr, and profile.csv,\n" \
    "                       profile.gp, profile.svg beside --output (or in the current folder)\n"

/* getopt_long over -h, the model options, the text-in options when io is not NULL
 * (textin.h) and the command's own short options extra: handles the shared ones and
 * returns each other option, or -1 at the end and at a bad shared option (*st says which). */
struct bb_textio;
int bb_cli_getopt(int argc, char **argv, const char *extra, const struct option *longopts,
                  struct bb_cli_model *m, struct bb_textio *io, struct bb_error *err,
                  enum bb_status *st);

/* Resolve the model (downloading an HF id into the cache if it is not there),
 * create the backend and load the model. */
enum bb_status bb_cli_open_model(const struct bb_cli_model *o, struct bb_backend **be,
                                 struct bb_model **model, struct bb_error *err);
/* With --profile: print the kernel-time table on stderr and write profile.csv/.gp/.svg into
 * the folder of output ("-" or NULL: the current folder). Without it: nothing. */
enum bb_status bb_cli_profile_finish(const struct bb_cli_model *o, struct bb_backend *be,
                                     const char *output, struct bb_error *err);
enum bb_status bb_cli_resolve_model(const char *spec, char *out, size_t n, struct bb_error *err);

/* Parse a positive int option value; names the option in the error. */
enum bb_status bb_cli_parse_int(const char *opt, const char *arg, int min, int max, int *out,
                                struct bb_error *err);

/* --format: json (*json = true) or the command's plain format (csv, text). */
enum bb_status bb_cli_parse_format(const char *arg, const char *plain, bool *json,
                                   struct bb_error *err);

/* The paired-bootstrap options of compare and gate: -r/--replicates N and
 * -s/--seed S (getopt's current opt/optarg); true if it was one. */
struct bb_cmp_opts;
bool bb_cli_bootstrap_option(struct bb_cmp_opts *o, int opt, const char *arg,
                             struct bb_error *err, enum bb_status *st);
#define BB_CLI_BOOTSTRAP_LONGOPTS \
    {"replicates", required_argument, NULL, 'r'}, {"seed", required_argument, NULL, 's'}
#define BB_CLI_BOOTSTRAP_HELP \
    "  -r, --replicates N   paired bootstrap replicates (default 1000)\n" \
    "  -s, --seed S         bootstrap seed (default 0)\n"

int bb_cmd_devices(int argc, char **argv);
int bb_cmd_metrics(int argc, char **argv);
int bb_cmd_tokenize(int argc, char **argv);
int bb_cmd_embed(int argc, char **argv);
int bb_cmd_fetch(int argc, char **argv);
int bb_cmd_score(int argc, char **argv);    /* cmd_score.c */
int bb_cmd_generate(int argc, char **argv); /* cmd_generate.c */
int bb_cmd_run(int argc, char **argv);      /* cmd_run.c */
int bb_cmd_validate(int argc, char **argv); /* cmd_validate.c */
int bb_cmd_compare(int argc, char **argv);  /* cmd_compare.c */
int bb_cmd_gate(int argc, char **argv);     /* cmd_gate.c */
int bb_cmd_report(int argc, char **argv);   /* cmd_report.c */
int bb_cmd_inspect(int argc, char **argv);  /* cmd_inspect.c */
int bb_cmd_cache(int argc, char **argv);    /* cmd_cache.c */

/* The end of a getopt loop in a command without model options: -h prints usage on stdout
 * and gives 0, any other option prints it on stderr and gives 2. */
int bb_cli_usage(int opt, const char *usage);
/* 0 when no operand follows the options (optind == argc), else 2 after naming it. */
int bb_cli_no_operands(const char *cmd, int argc, char **argv);

/* Print "biasbench CMD: message" for err and return the exit code. */
int bb_cli_fail(const char *cmd, enum bb_status st, const struct bb_error *err);

#endif
