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
    BB_TEXTIO_HELP("index,text,e0..eN");

static int parse(int argc, char **argv, struct bb_textjob *o, struct bb_error *err)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'}, BB_CLI_MODEL_LONGOPTS, BB_TEXTIO_LONGOPTS, {0}};
    int opt;
    enum bb_status st;
    optind = 1;
    while ((opt = bb_cli_getopt(argc, argv, "", longopts, &o->m, &o->io, err, &st)) != -1) {
        if (opt == 'h') {
            fputs(usage_text, stdout);
            exit(0);
        }
        return bb_fail(err, BB_E_USAGE, "see 'biasbench embed --help'");
    }
    return st;
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
    struct bb_textjob j;
    struct bb_error err = {0};
    float *emb = NULL;
    bb_textjob_init(&j);
    enum bb_status st = parse(argc, argv, &j, &err);
    if (st || (st = bb_textjob_open(&j, argc, argv, &err)))
        goto done;
    int dim = bb_model_dim(j.model);
    emb = malloc(j.tl.n * (size_t)dim * sizeof *emb);
    if (!emb) {
        st = bb_fail(&err, BB_E_NOMEM, "out of memory for %zu embeddings", j.tl.n);
        goto done;
    }
    st = bb_model_embed_texts(j.model, (const char *const *)j.tl.items, j.tl.n, j.m.batch, emb,
                              &err);
    if (st || (st = bb_fileout_open(&j.fo, j.io.output, &err)))
        goto done;
    if (j.io.json)
        write_json(j.fo.fp, &j.tl, emb, dim, j.m.model);
    else
        write_csv(j.fo.fp, &j.tl, emb, dim);
    st = bb_textjob_finish(&j, &err);
done:
    free(emb);
    bb_textjob_free(&j);
    return st ? bb_cli_fail("embed", st, &err) : 0;
}
