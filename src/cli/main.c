/* main.c: biasbench command-line entry: global options and subcommand dispatch only. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "run/shard.h"
#include "core/fault.h"
#include "core/fileout.h"
#include "core/log.h"
#include "core/version.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"devices", bb_cmd_devices, "List OpenCL platforms and devices, and which one 'auto' picks"},
    {"tokenize", bb_cmd_tokenize, "Print the tokens and ids a model's tokenizer gives a text"},
    {"embed", bb_cmd_embed, "Embed sentences (arguments, stdin or a CSV column) to CSV or JSON"},
    {"score", bb_cmd_score, "Per-token log-probabilities of texts under a causal language model"},
    {"generate", bb_cmd_generate,
     "Continue a prompt with a causal language model (greedy or sampled)"},
    {"inspect", bb_cmd_inspect,
     "Describe a model (GGUF file or HF folder): architecture, tensors, tokenizer"},
    {"fetch", bb_cmd_fetch, "Download a Hugging Face model into the model cache"},
    {"run", bb_cmd_run, "Run a suite: results.csv, per-item CSVs, manifest, charts and report"},
    {"validate", bb_cmd_validate, "Check a suite file without running it"},
    {"compare", bb_cmd_compare,
     "Compare two runs (or two models of a run): differences, CIs, paired tests"},
    {"gate", bb_cmd_gate,
     "Check CI gates against a baseline run: TAP on stdout, exit 1 on failure"},
    {"metrics", bb_cmd_metrics,
     "List the metrics results.csv can hold: definition, direction, ideal, test"},
    {"report", bb_cmd_report, "Rebuild a run's report.md/html and charts from its results.csv"},
    {"cache", bb_cmd_cache, "Result cache stats/clear/trim; prebuilt kernels"},
    {"merge", bb_cmd_merge, "Join the shard run directories of one run (run --shard K/N) into one"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: biasbench [--version] [--help] [-v | --verbose] [-q | --quiet]\n"
            "                 <command> [<args>]\n\n"
            "Audit pretrained language models: accuracy, bias probes and latency,\n"
            "computed by biasbench's own OpenCL inference backend.\n\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "   %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\nSee 'biasbench <command> --help' for a command's options, and biasbench(1).\n"
            "Exit status: 0 ok, 1 a gate failed, 2 usage or input error, 3 a device failed.\n");
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
            printf("biasbench %s (commit %s)\n", PACKAGE_VERSION, bb_build_commit());
            return 0;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
            bb_log_set_level(bb_log_get_level() < BB_LOG_INFO ? BB_LOG_INFO : BB_LOG_DEBUG);
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            bb_log_set_level(BB_LOG_ERROR);
        } else {
            fprintf(stderr, "biasbench: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    bb_fileout_install_signal_handlers();
    struct bb_error ferr = {0};
    if (bb_fault_init(&ferr)) { /* BIASBENCH_FAULT (docs/fault-injection.md) */
        fprintf(stderr, "biasbench: %s\n", ferr.msg);
        return 2;
    }
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++)
        if (!strcmp(argv[i], commands[c].name))
            return commands[c].fn(argc - i, argv + i);
    fprintf(stderr, "biasbench: '%s' is not a biasbench command. See 'biasbench --help'.\n",
            argv[i]);
    return 2;
}
