/* fuzz-regress-t.c: replays every saved fuzz input through the harnesses'
 * entry points (fuzz/fuzz_*.c built with -DBB_FUZZ_REPLAY) in the normal
 * build: tests/data/fuzz-regressions/<harness>/ (each input that once
 * crashed a parser, one TAP point per file) and fuzz/corpus/<harness>/ (the
 * committed corpus, one point per harness). A regression that comes back is a
 * crash, a sanitizer report or an abort() of this program. Each input is
 * copied into a buffer of exactly its size, so an over-read is caught by
 * --enable-sanitizers builds. */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "tap.h"

int bb_fuzz_suite(const uint8_t *, size_t);
int bb_fuzz_dataset(const uint8_t *, size_t);
int bb_fuzz_safetensors(const uint8_t *, size_t);
int bb_fuzz_gguf(const uint8_t *, size_t);
int bb_fuzz_tokenizer(const uint8_t *, size_t);
int bb_fuzz_wordpiece(const uint8_t *, size_t);
int bb_fuzz_config(const uint8_t *, size_t);
int bb_fuzz_rundata(const uint8_t *, size_t);
#ifdef BB_HAVE_BPE
int bb_fuzz_bpe(const uint8_t *, size_t);
#endif

static const struct {
    const char *name;
    int (*fn)(const uint8_t *, size_t);
} harness[] = {
    {"suite", bb_fuzz_suite},         {"dataset", bb_fuzz_dataset},
    {"safetensors", bb_fuzz_safetensors}, {"gguf", bb_fuzz_gguf},
    {"tokenizer", bb_fuzz_tokenizer}, {"wordpiece", bb_fuzz_wordpiece},
    {"config", bb_fuzz_config},       {"rundata", bb_fuzz_rundata},
#ifdef BB_HAVE_BPE
    {"bpe", bb_fuzz_bpe},
#endif
};

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Feed every file of dir to fn; each_point: one TAP point per file. Returns
 * the count replayed. */
static int replay_dir(const char *name, const char *dir, int (*fn)(const uint8_t *, size_t),
                      bool each_point)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, by_name), done = 0;
    for (int i = 0; i < n; i++) {
        const char *f = ents[i]->d_name;
        if (f[0] != '.' && strcmp(f, "README")) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, f);
            size_t len = 0;
            char *text = test_slurp(path, &len);
            if (!text) {
                free(ents[i]);
                continue;
            }
            uint8_t *exact = malloc(len ? len : 1);
            if (!exact)
                bail("out of memory");
            memcpy(exact, text, len);
            free(text);
            int r = fn(exact, len); /* a crash or sanitizer report ends the file */
            free(exact);
            done++;
            if (each_point)
                is_int(0, r, "%s: regression %s replays (the harness accepts it, no crash)", name,
                       f);
        }
        free(ents[i]);
    }
    free(ents);
    return done;
}

int main(void)
{
    plan_lazy();
    for (size_t h = 0; h < sizeof harness / sizeof *harness; h++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", test_src_path("tests/data/fuzz-regressions/"));
        strncat(dir, harness[h].name, sizeof dir - strlen(dir) - 1);
        replay_dir(harness[h].name, dir, harness[h].fn, true);
        snprintf(dir, sizeof dir, "%s", test_src_path("fuzz/corpus/"));
        strncat(dir, harness[h].name, sizeof dir - strlen(dir) - 1);
        int n = replay_dir(harness[h].name, dir, harness[h].fn, false);
        ok(n > 0, "%s: %d corpus inputs replay without a crash", harness[h].name, n);
    }
    return tap_failures() ? 1 : 0;
}
