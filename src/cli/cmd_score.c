/* cmd_score.c: `biasbench score`: per-token log-probabilities of texts under a
 * causal language model (ids, pieces, log-probs, sum and mean), CSV or JSON. */
#include <csv.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/fileout.h"
#include "model/model.h"
#include "textin.h"

static const char usage_text[] =
    "usage: biasbench score --model M [options] [TEXT...]\n\n"
    "Score each TEXT (or each line of standard input, or a column of a CSV/TSV\n"
    "file) with a causal language model: every token's id, piece and\n"
    "log-probability given the tokens before it, and per text the sum and mean.\n\n"
    BB_CLI_MODEL_HELP
    "      --prefix-token P bos, eos or none: the token put before each text (default:\n"
    "                       BOS if the model defines one, else EOS, as lm-evaluation-harness)\n"
    BB_TEXTIO_HELP("text,position,id,piece,logprob");

struct score_opts {
    struct bb_textjob j;
    const char *prefix;
};

static int parse(int argc, char **argv, struct score_opts *o, struct bb_error *err)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'}, BB_CLI_MODEL_LONGOPTS, BB_TEXTIO_LONGOPTS,
        {"prefix-token", required_argument, NULL, 'P'}, {0}};
    int opt;
    enum bb_status st;
    optind = 1;
    while ((opt = bb_cli_getopt(argc, argv, "", longopts, &o->j.m, &o->j.io, err, &st)) != -1) {
        switch (opt) {
        case 'h': fputs(usage_text, stdout); exit(0);
        case 'P':
            if (strcmp(optarg, "bos") && strcmp(optarg, "eos") && strcmp(optarg, "none"))
                return bb_fail(err, BB_E_USAGE, "--prefix-token: expected bos, eos or none, "
                               "found '%s'", optarg);
            o->prefix = optarg;
            break;
        default: return bb_fail(err, BB_E_USAGE, "see 'biasbench score --help'");
        }
    }
    return st;
}

/* The prefix token id, or -1 for none. */
static enum bb_status prefix_id(struct bb_model *m, const char *which, int32_t *out,
                                struct bb_error *err)
{
    const struct bb_special_ids *sp = bb_tokenizer_special(bb_model_tokenizer(m));
    *out = -1;
    if (which && !strcmp(which, "none"))
        return BB_OK;
    bool bos = !which ? sp->bos >= 0 : !strcmp(which, "bos");
    *out = bos ? sp->bos : sp->eos;
    if (*out < 0)
        return bb_fail(err, BB_E_USAGE, "--prefix-token %s: the model defines no %s token",
                       which ? which : "eos", bos ? "BOS" : "EOS");
    return BB_OK;
}

struct scored {
    int32_t *ids;
    float *lp;
    int n, first; /* first: the first scored position (1: the first token has no context) */
};

/* Tokenize every text (after the prefix token, when there is one). */
static enum bb_status tokenize(struct bb_model *m, const struct bb_textlist *tl, int32_t prefix,
                               struct scored *r, struct bb_error *err)
{
    for (size_t i = 0; i < tl->n; i++) {
        struct bb_encoding e = {0};
        const char *text = tl->items[i];
        enum bb_status s = bb_tokenizer_encode_ex(bb_model_tokenizer(m), text, strlen(text), 0,
                                                  &e, err);
        int n = e.n + (prefix >= 0);
        if (!s && n < 1)
            s = bb_fail(err, BB_E_INPUT, "an empty text has no token to score");
        if (!s && (!(r[i].ids = malloc((size_t)n * 4)) || !(r[i].lp = malloc((size_t)n * 4))))
            s = bb_fail(err, BB_E_NOMEM, "out of memory scoring a text of %d tokens", n);
        if (!s) {
            if (prefix >= 0)
                r[i].ids[0] = prefix;
            memcpy(r[i].ids + (prefix >= 0), e.ids, (size_t)e.n * 4);
            r[i].n = n;
            r[i].first = 1;
        }
        bb_encoding_free(&e);
        if (s) {
            bb_error_prefix(err, "text %zu", i);
            return s;
        }
    }
    return BB_OK;
}

/* Score all texts in length-sorted batches. */
static enum bb_status score_all(struct bb_model *m, size_t n, int batch, struct scored *r,
                                struct bb_error *err)
{
    struct bb_token_seq *seqs = calloc(n ? n : 1, sizeof *seqs);
    float **lp = calloc(n ? n : 1, sizeof *lp);
    if (!seqs || !lp) {
        free(seqs);
        free(lp);
        return bb_fail(err, BB_E_NOMEM, "out of memory for %zu texts", n);
    }
    for (size_t i = 0; i < n; i++) {
        seqs[i] = (struct bb_token_seq){r[i].ids, r[i].n, r[i].first};
        lp[i] = r[i].lp;
    }
    enum bb_status s = bb_model_score_seqs(m, seqs, n, batch, "scoring", lp, NULL, err);
    free(seqs);
    free(lp);
    return s;
}

static void sums(const struct scored *r, double *sum, int *n)
{
    *sum = 0;
    *n = 0;
    for (int j = r->first; j < r->n; j++, (*n)++)
        *sum += r->lp[j];
}

static void write_csv(FILE *fp, struct bb_model *m, const struct bb_textlist *tl,
                      const struct scored *r)
{
    const struct bb_tokenizer *tok = bb_model_tokenizer(m);
    fprintf(fp, "index,position,id,piece,logprob\n");
    for (size_t i = 0; i < tl->n; i++) {
        for (int j = 0; j < r[i].n; j++) {
            const char *piece = bb_tokenizer_piece(tok, r[i].ids[j]);
            fprintf(fp, "%zu,%d,%d,", i, j, r[i].ids[j]);
            csv_fwrite(fp, piece ? piece : "", piece ? strlen(piece) : 0);
            if (j < r[i].first)
                fprintf(fp, ",\n");
            else
                fprintf(fp, ",%.9g\n", r[i].lp[j]);
        }
    }
}

static void write_json(FILE *fp, struct bb_model *m, const struct bb_textlist *tl,
                       const struct scored *r, const char *model)
{
    const struct bb_tokenizer *tok = bb_model_tokenizer(m);
    json_t *items = json_array();
    for (size_t i = 0; i < tl->n; i++) {
        json_t *toks = json_array();
        for (int j = 0; j < r[i].n; j++) {
            const char *piece = bb_tokenizer_piece(tok, r[i].ids[j]);
            json_t *t = json_pack("{s:i, s:s}", "id", r[i].ids[j], "piece", piece ? piece : "");
            json_object_set_new(t, "logprob", j < r[i].first ? json_null() : json_real(r[i].lp[j]));
            json_array_append_new(toks, t);
        }
        double sum;
        int n;
        sums(&r[i], &sum, &n);
        json_array_append_new(items, json_pack("{s:I, s:s, s:f, s:f, s:i, s:o}", "index",
                                               (json_int_t)i, "text", tl->items[i], "sum", sum,
                                               "mean", n ? sum / n : 0.0, "n_scored", n,
                                               "tokens", toks));
    }
    json_t *doc = json_pack("{s:s, s:o}", "model", model, "items", items);
    json_dumpf(doc, fp, JSON_INDENT(1) | JSON_REAL_PRECISION(9));
    fputc('\n', fp);
    json_decref(doc);
}

static void print_summary(const struct bb_textlist *tl, const struct scored *r)
{
    for (size_t i = 0; i < tl->n; i++) {
        double sum;
        int n;
        sums(&r[i], &sum, &n);
        fprintf(stderr, "score: text %zu: %d tokens scored, sum %.4f nats, mean %.4f\n", i, n,
                sum, n ? sum / n : 0.0);
    }
}

int bb_cmd_score(int argc, char **argv)
{
    struct score_opts o = {0};
    struct bb_textjob *j = &o.j;
    struct bb_error err = {0};
    struct scored *r = NULL;
    int32_t prefix = -1;
    bb_textjob_init(j);
    enum bb_status st = parse(argc, argv, &o, &err);
    if (st || (st = bb_textjob_open(j, argc, argv, &err)) ||
        (st = bb_model_require(j->model, BB_CAP_LOGLIK, j->m.model, &err)) ||
        (st = prefix_id(j->model, o.prefix, &prefix, &err)))
        goto done;
    if (!(r = calloc(j->tl.n ? j->tl.n : 1, sizeof *r))) {
        st = bb_fail(&err, BB_E_NOMEM, "out of memory for %zu texts", j->tl.n);
        goto done;
    }
    if ((st = tokenize(j->model, &j->tl, prefix, r, &err)) ||
        (st = score_all(j->model, j->tl.n, j->m.batch, r, &err)) ||
        (st = bb_fileout_open(&j->fo, j->io.output, &err)))
        goto done;
    if (j->io.json)
        write_json(j->fo.fp, j->model, &j->tl, r, j->m.model);
    else
        write_csv(j->fo.fp, j->model, &j->tl, r);
    if (!(st = bb_textjob_finish(j, &err)))
        print_summary(&j->tl, r);
done:
    for (size_t i = 0; r && i < j->tl.n; i++) {
        free(r[i].ids);
        free(r[i].lp);
    }
    free(r);
    bb_textjob_free(j);
    return st ? bb_cli_fail("score", st, &err) : 0;
}
