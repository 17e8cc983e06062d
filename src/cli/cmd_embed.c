/* cmd_embed.c: `biasbench embed`: sentence embeddings to CSV or JSON. */
#include <csv.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/fileout.h"
#include "core/log.h"
#include "model/model.h"
#include "textin.h"

static const char usage_text[] =
    "usage: biasbench embed [options] [TEXT...]\n\n"
    "Embed each TEXT (or each line of standard input, or a column of a CSV/TSV\n"
    "file) with a sentence-embedding model and write one row per text (for a causal\n"
    "language model: the mean over the text's tokens of its final hidden state).\n\n"
    BB_CLI_MODEL_HELP
    "  -i, --input FILE     read texts from a CSV (or .tsv) file ...\n"
    "  -c, --column COL     ... from this column: a header name or a 0-based index (default 0)\n"
    "      --no-header      the input file has no header row\n"
    "  -f, --format F       csv (default: index,text,e0..eN) or json\n"
    "  -o, --output FILE    write here (default standard output); written atomically\n";

struct embed_opts {
    struct bb_cli_model m;
    const char *input, *column, *output;
    bool json, header;
};

static int parse(int argc, char **argv, struct embed_opts *o, struct bb_error *err)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},       BB_CLI_MODEL_LONGOPTS,
        {"input", required_argument, NULL, 'i'}, {"column", required_argument, NULL, 'c'},
        {"no-header", no_argument, NULL, 'N'},   {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'}, {0}};
    int opt;
    enum bb_status st;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hm:b:d:p:B:i:c:f:o:", longopts, NULL)) != -1) {
        if (bb_cli_model_option(&o->m, opt, optarg, err, &st)) {
            if (st)
                return st;
            continue;
        }
        switch (opt) {
        case 'h': fputs(usage_text, stdout); exit(0);
        case 'i': o->input = optarg; break;
        case 'c': o->column = optarg; break;
        case 'N': o->header = false; break;
        case 'o': o->output = optarg; break;
        case 'f':
            if (strcmp(optarg, "csv") && strcmp(optarg, "json"))
                return bb_fail(err, BB_E_USAGE, "--format: expected 'csv' or 'json', found '%s'",
                               optarg);
            o->json = !strcmp(optarg, "json");
            break;
        default: return bb_fail(err, BB_E_USAGE, "see 'biasbench embed --help'");
        }
    }
    return BB_OK;
}

static void write_csv(FILE *fp, const struct bb_textlist *tl, const float *emb, int dim)
{
    fprintf(fp, "index,text");
    for (int j = 0; j < dim; j++)
        fprintf(fp, ",e%d", j);
    fputc('\n', fp);
    for (size_t i = 0; i < tl->n; i++) {
        fprintf(fp, "%zu,", i);
        csv_fwrite(fp, tl->items[i], strlen(tl->items[i]));
        for (int j = 0; j < dim; j++)
            fprintf(fp, ",%.9g", emb[i * (size_t)dim + j]);
        fputc('\n', fp);
    }
}

static void write_json(FILE *fp, const struct bb_textlist *tl, const float *emb, int dim,
                       const char *model)
{
    json_t *items = json_array();
    for (size_t i = 0; i < tl->n; i++) {
        json_t *v = json_array();
        for (int j = 0; j < dim; j++)
            json_array_append_new(v, json_real(emb[i * (size_t)dim + j]));
        json_array_append_new(items, json_pack("{s:I, s:s, s:o}", "index", (json_int_t)i, "text",
                                               tl->items[i], "embedding", v));
    }
    json_t *doc = json_pack("{s:s, s:i, s:o}", "model", model, "dim", dim, "items", items);
    json_dumpf(doc, fp, JSON_INDENT(1) | JSON_REAL_PRECISION(9));
    fputc('\n', fp);
    json_decref(doc);
}

int bb_cmd_embed(int argc, char **argv)
{
    struct embed_opts o = {.output = "-", .header = true};
    bb_cli_model_defaults(&o.m);
    struct bb_error err = {0};
    struct bb_textlist tl = {0};
    struct bb_backend *be = NULL;
    struct bb_model *model = NULL;
    struct bb_fileout fo = {0};
    float *emb = NULL;
    enum bb_status st = parse(argc, argv, &o, &err);
    if (st)
        goto done;
    if (o.input) {
        if (optind < argc) {
            st = bb_fail(&err, BB_E_USAGE, "give texts either as arguments or with --input, not both");
            goto done;
        }
        const char *dot = strrchr(o.input, '.');
        char delim = dot && !strcmp(dot, ".tsv") ? '\t' : ',';
        st = bb_textlist_from_csv(&tl, o.input, o.column ? o.column : "0", delim, o.header, &err);
    } else {
        st = bb_textlist_from_args_or_stdin(&tl, argc - optind, argv + optind, &err);
    }
    if (st || (st = bb_cli_open_model(&o.m, &be, &model, &err)))
        goto done;
    int dim = bb_model_dim(model);
    emb = malloc(tl.n * (size_t)dim * sizeof *emb);
    if (!emb) {
        st = bb_fail(&err, BB_E_NOMEM, "out of memory for %zu embeddings", tl.n);
        goto done;
    }
    st = bb_model_embed_texts(model, (const char *const *)tl.items, tl.n, o.m.batch, emb, &err);
    if (st || (st = bb_fileout_open(&fo, o.output, &err)))
        goto done;
    if (o.json)
        write_json(fo.fp, &tl, emb, dim, o.m.model);
    else
        write_csv(fo.fp, &tl, emb, dim);
    st = bb_fileout_commit(&fo, &err);
    if (!st)
        st = bb_cli_profile_finish(&o.m, be, o.output, &err);
done:
    bb_fileout_abort(&fo);
    free(emb);
    bb_model_free(model);
    bb_backend_free(be);
    bb_textlist_free(&tl);
    return st ? bb_cli_fail("embed", st, &err) : 0;
}
