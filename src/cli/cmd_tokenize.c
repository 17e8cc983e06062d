/* cmd_tokenize.c: `biasbench tokenize`: show the tokens and ids of texts. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "textin.h"
#include "tokenizer/tokenizer.h"

static const char usage_text[] =
    "usage: biasbench tokenize [--model M] [--format text|json] [TEXT...]\n\n"
    "Print the tokens and ids the model's tokenizer gives each TEXT (or each line\n"
    "of standard input), with the special tokens and truncation the model uses.\n\n"
    "  -m, --model M        model folder, cache name or Hugging Face id "
    "(default all-MiniLM-L6-v2)\n"
    "  -f, --format F       text (default) or json\n";

static void print_text(const struct bb_tokenizer *tok, const char *text,
                       const struct bb_encoding *enc)
{
    printf("text:   %s\ntokens:", text);
    for (int i = 0; i < enc->n; i++)
        printf(" %s", bb_tokenizer_piece(tok, enc->ids[i]));
    printf("\nids:   ");
    for (int i = 0; i < enc->n; i++)
        printf(" %d", enc->ids[i]);
    printf("\n\n");
}

static json_t *json_item(const struct bb_tokenizer *tok, const char *text,
                         const struct bb_encoding *enc)
{
    json_t *toks = json_array(), *ids = json_array();
    for (int i = 0; i < enc->n; i++) {
        json_array_append_new(toks, json_string(bb_tokenizer_piece(tok, enc->ids[i])));
        json_array_append_new(ids, json_integer(enc->ids[i]));
    }
    return json_pack("{s:s, s:o, s:o}", "text", text, "tokens", toks, "ids", ids);
}

int bb_cmd_tokenize(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"model", required_argument, NULL, 'm'},
                                             {"format", required_argument, NULL, 'f'},
                                             {0}};
    struct bb_cli_model mo;
    bb_cli_model_defaults(&mo);
    bool json = false;
    struct bb_error err = {0};
    enum bb_status st;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hm:f:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h': fputs(usage_text, stdout); return 0;
        case 'm': mo.model = optarg; break;
        case 'f':
            if ((st = bb_cli_parse_format(optarg, "text", &json, &err)))
                return bb_cli_fail("tokenize", st, &err);
            break;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    struct bb_textlist texts = {0};
    struct bb_tokenizer *tok = NULL;
    struct bb_encoding enc = {0};
    json_t *arr = json ? json_array() : NULL;
    char dir[4096];
    st = bb_textlist_from_args_or_stdin(&texts, argc - optind, argv + optind, &err);
    if (!st)
        st = bb_cli_resolve_model(mo.model, dir, sizeof dir, &err);
    if (!st)
        st = bb_tokenizer_load(dir, &tok, &err);
    for (size_t i = 0; !st && i < texts.n; i++) {
        st = bb_tokenizer_encode(tok, texts.items[i], strlen(texts.items[i]), &enc, &err);
        if (st)
            break;
        if (json)
            json_array_append_new(arr, json_item(tok, texts.items[i], &enc));
        else
            print_text(tok, texts.items[i], &enc);
    }
    if (!st && json) {
        json_dumpf(arr, stdout, JSON_INDENT(2));
        putchar('\n');
    }
    json_decref(arr);
    bb_encoding_free(&enc);
    bb_tokenizer_free(tok);
    bb_textlist_free(&texts);
    return st ? bb_cli_fail("tokenize", st, &err) : 0;
}
