/* fuzz-common.h: shared plumbing of the libFuzzer harnesses (docs/fuzzing.md).
 *
 * Every harness is one function bb_fuzz_NAME(data, size) declared with
 * BB_FUZZ_TARGET(NAME). Built by `make fuzz` it is also LLVMFuzzerTestOneInput;
 * built with -DBB_FUZZ_REPLAY (tests/fuzz-regress-t.c, a normal `make check`)
 * it is an ordinary function the replay test calls on every saved input.
 *
 * Inputs that stand for several files are split on a separator line
 * (BB_FUZZ_SEP, "\n#@@\n"): part 0 is the main file, part 1 the next, ...
 * Files are written into a private sandbox directory made once per process
 * (mkdtemp under $TMPDIR) and removed at exit. */
#ifndef BB_FUZZ_COMMON_H
#define BB_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BB_FUZZ_SEP "\n#@@\n"
#define BB_FUZZ_MAX_PARTS 8

#ifdef BB_FUZZ_REPLAY
#define BB_FUZZ_TARGET(name) int bb_fuzz_##name(const uint8_t *data, size_t size)
#else
#define BB_FUZZ_TARGET(name)                                                                      \
    int bb_fuzz_##name(const uint8_t *data, size_t size);                                       \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                               \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                                \
    {                                                                                            \
        return bb_fuzz_##name(data, size);                                                      \
    }                                                                                            \
    int bb_fuzz_##name(const uint8_t *data, size_t size)
#endif

struct bb_fuzz_part {
    const uint8_t *p;
    size_t n;
};

/* The sandbox directory (created on first use; quiet logging set then too). */
const char *bb_fuzz_dir(void);
/* dir/name joined into a static buffer of the caller's choosing. */
void bb_fuzz_path(char *out, size_t n, const char *name);
/* Write (replace) dir/name with the bytes; creates parent folders of name. */
void bb_fuzz_write(const char *name, const void *data, size_t size);
/* Remove dir/name if present. */
void bb_fuzz_remove(const char *name);
/* Split data on BB_FUZZ_SEP into at most max parts; returns the count (>= 1). */
size_t bb_fuzz_split(const uint8_t *data, size_t size, struct bb_fuzz_part *parts, size_t max);
/* Split data (bb_fuzz_split, at most n parts) and write part i as the file
 * names[i] (bb_fuzz_write), or remove that file when the part is empty or not
 * given; a NULL name is a part that is no file. Returns the number of parts. */
size_t bb_fuzz_files(const uint8_t *data, size_t size, const char *const *names,
                     struct bb_fuzz_part *parts, size_t n);
/* A NUL-terminated copy of the bytes (free it). */
char *bb_fuzz_strdup(const uint8_t *data, size_t size);
/* /dev/null for output the harness does not need. */
FILE *bb_fuzz_null(void);
/* With BB_FUZZ_VERBOSE set: print "harness: status: message" to stderr (to see
 * what a seed reaches); otherwise nothing. */
struct bb_error;
void bb_fuzz_note(const char *harness, int status, const struct bb_error *err);
/* While true, fopen of anything outside the sandbox fails with EACCES (the
 * harnesses linked with -Wl,--wrap=fopen: suite includes stay inside). */
void bb_fuzz_confine(bool on);
/* Encode len bytes of text with tok (special tokens, truncation); on success
 * abort() unless the encoding fits the tokenizer's max_len and every id lies
 * inside the vocabulary and has a piece. */
struct bb_tokenizer;
void bb_fuzz_encode_check(const struct bb_tokenizer *tok, const char *text, size_t len);

#endif
