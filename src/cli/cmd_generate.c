/* cmd_generate.c: `biasbench generate`: text from a causal language model,
 * greedy by default or sampled with a temperature and seed, streamed to
 * stdout; --chat renders the model's chat template for the simple
 * role/content formats (ChatML, Llama 2 [INST], Llama 3 headers). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model/model.h"

static const char usage_text[] =
    "usage: biasbench generate --model M [options] PROMPT\n\n"
    "Continue PROMPT with a causal language model and stream the new text to\n"
    "standard output. Greedy decoding unless --temperature is above 0.\n\n"
    BB_CLI_MODEL_HELP
    "  -n, --max-tokens N   new tokens at most (default 64)\n"
    "  -t, --temperature T  sample from softmax(logits / T); 0 (default) is greedy\n"
    "  -s, --seed S         sampling seed (default 0)\n"
    "      --chat           wrap PROMPT as a user message in the model's chat template\n"
    "      --ids            print the generated token ids on stderr too\n";

struct gen_opts {
    struct bb_cli_model m;
    int max_tokens, seed;
    double temperature;
    bool chat, ids;
};

static int parse(int argc, char **argv, struct gen_opts *o, struct bb_error *err)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'}, BB_CLI_MODEL_LONGOPTS,
        {"max-tokens", required_argument, NULL, 'n'}, {"temperature", required_argument, NULL, 't'},
        {"seed", required_argument, NULL, 's'}, {"chat", no_argument, NULL, 'C'},
        {"ids", no_argument, NULL, 'I'}, {0}};
    int opt;
    enum bb_status st;
    optind = 1;
    while ((opt = bb_cli_getopt(argc, argv, "n:t:s:", longopts, &o->m, NULL, err, &st)) != -1) {
        char *end;
        switch (opt) {
        case 'h': fputs(usage_text, stdout); exit(0);
        case 'n':
            if ((st = bb_cli_parse_int("--max-tokens", optarg, 1, 1 << 20, &o->max_tokens, err)))
                return st;
            break;
        case 's':
            if ((st = bb_cli_parse_int("--seed", optarg, 0, 2147483647, &o->seed, err)))
                return st;
            break;
        case 't':
            o->temperature = strtod(optarg, &end);
            if (*end || end == optarg || !(o->temperature >= 0 && o->temperature <= 100))
                return bb_fail(err, BB_E_USAGE, "--temperature: expected a number from 0 to 100, "
                               "found '%s'", optarg);
            break;
        case 'C': o->chat = true; break;
        case 'I': o->ids = true; break;
        default: return bb_fail(err, BB_E_USAGE, "see 'biasbench generate --help'");
        }
    }
    if (st)
        return st;
    if (optind != argc - 1)
        return bb_fail(err, BB_E_USAGE, "expected one PROMPT argument (quote it), found %d",
                       argc - optind);
    return BB_OK;
}

/* The default system message of a ChatML template that adds one when the
 * conversation has none (SmolLM2 does): the first quoted literal after
 * "messages[0]['role'] != 'system'", with \n unescaped. NULL when none. */
static char *chatml_default_system(const char *tpl)
{
    const char *p = strstr(tpl, "messages[0]['role'] != 'system'");
    if (!p || !(p = strstr(p, "{{ '")))
        return NULL;
    p += 4;
    const char *end = strstr(p, "' }}");
    if (!end)
        return NULL;
    char *out = malloc((size_t)(end - p) + 1), *o = out;
    for (; out && p < end; p++) {
        if (p[0] == '\\' && p + 1 < end && p[1] == 'n') {
            *o++ = '\n';
            p++;
        } else {
            *o++ = *p;
        }
    }
    if (out)
        *o = 0;
    return out;
}

/* Render one user turn and the assistant's opening with the model's template. */
static enum bb_status render_chat(const char *tpl, const char *prompt, char **out,
                                  struct bb_error *err)
{
    size_t n = strlen(prompt) + 512;
    char *sys = NULL;
    if (!tpl)
        return bb_fail(err, BB_E_USAGE, "--chat: the model has no chat template");
    if (strstr(tpl, "<|im_start|>")) {
        sys = chatml_default_system(tpl);
        n += sys ? strlen(sys) : 0;
        if ((*out = malloc(n)))
            snprintf(*out, n, "%s<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n",
                     sys ? sys : "", prompt);
    } else if (strstr(tpl, "<|start_header_id|>")) {
        if ((*out = malloc(n)))
            snprintf(*out, n, "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n%s"
                     "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", prompt);
    } else if (strstr(tpl, "[INST]")) {
        if ((*out = malloc(n)))
            snprintf(*out, n, "<s>[INST] %s [/INST]", prompt);
    } else {
        return bb_fail(err, BB_E_UNSUPPORTED, "--chat: the model's chat template is not one "
                       "biasbench can render (it renders ChatML, Llama 2 [INST] and Llama 3 "
                       "header templates; this one has none of their markers)");
    }
    free(sys);
    return *out ? BB_OK : bb_fail(err, BB_E_NOMEM, "out of memory rendering the chat prompt");
}

/* Streaming: decode everything generated so far and print what is new. */
struct stream {
    const struct bb_tokenizer *tok;
    int32_t *ids;
    int n;
    size_t printed;
};

static void on_token(void *ud, int32_t id)
{
    struct stream *s = ud;
    s->ids[s->n++] = id;
    char *text = NULL;
    size_t len = 0;
    if (bb_tokenizer_decode(s->tok, s->ids, s->n, true, &text, &len, NULL))
        return;
    if (len > s->printed) {
        fwrite(text + s->printed, 1, len - s->printed, stdout);
        fflush(stdout);
        s->printed = len;
    }
    free(text);
}

int bb_cmd_generate(int argc, char **argv)
{
    struct gen_opts o = {.max_tokens = 64};
    bb_cli_model_defaults(&o.m);
    struct bb_error err = {0};
    struct bb_backend *be = NULL;
    struct bb_model *model = NULL;
    struct bb_encoding enc = {0};
    struct stream str = {0};
    int32_t *out = NULL;
    char *chat = NULL;
    int n_out = 0;
    enum bb_status st = parse(argc, argv, &o, &err);
    if (st || (st = bb_cli_open_model(&o.m, &be, &model, &err)) ||
        (st = bb_model_require(model, BB_CAP_GENERATE, o.m.model, &err)))
        goto done;
    const struct bb_tokenizer *tok = bb_model_tokenizer(model);
    const char *prompt = argv[optind];
    if (o.chat && (st = render_chat(bb_tokenizer_chat_template(tok), prompt, &chat, &err)))
        goto done;
    if (chat)
        prompt = chat;
    unsigned flags = chat ? 0 : BB_TOK_ADD_SPECIAL;
    if ((st = bb_tokenizer_encode_ex(tok, prompt, strlen(prompt), flags, &enc, &err)))
        goto done;
    if (enc.n < 1) {
        st = bb_fail(&err, BB_E_USAGE, "the prompt encodes to no token");
        goto done;
    }
    out = malloc((size_t)o.max_tokens * sizeof *out);
    str.ids = malloc((size_t)o.max_tokens * sizeof *str.ids);
    if (!out || !str.ids) {
        st = bb_fail(&err, BB_E_NOMEM, "out of memory for %d tokens", o.max_tokens);
        goto done;
    }
    str.tok = tok;
    struct bb_generate_opts go = {.max_tokens = o.max_tokens, .temperature = (float)o.temperature,
                                  .seed = (uint64_t)o.seed, .stop_at_eos = true,
                                  .on_token = on_token, .ud = &str};
    st = bb_model_generate(model, enc.ids, enc.n, &go, out, &n_out, &err);
    fputc('\n', stdout);
    if (o.ids) {
        fprintf(stderr, "generate: ids");
        for (int i = 0; i < n_out; i++)
            fprintf(stderr, "%s%d", i ? "," : " ", out[i]);
        fputc('\n', stderr);
    }
    if (!st)
        st = bb_cli_profile_finish(&o.m, be, NULL, &err);
done:
    bb_encoding_free(&enc);
    free(out);
    free(str.ids);
    free(chat);
    bb_model_free(model);
    bb_backend_free(be);
    return st ? bb_cli_fail("generate", st, &err) : 0;
}
