/* perturb.h: the text perturbations of a suite's `perturb:` key (robustness,
 * docs/suite-format.md): character typos (adjacent swap, drop, insert,
 * QWERTY keyboard-neighbour substitution, or a mix of the four), case flips,
 * whitespace and punctuation noise, and name/pronoun swaps from counterfactual
 * filler lists. Pure functions over UTF-8 strings: they work on code points,
 * never split a multi-byte character, and are deterministic for a seed
 * (bb_perturb_seed: a stable hash of the suite seed, perturbation id, item id
 * and field). A rate of 0 returns the text unchanged. */
#ifndef BB_SUITE_PERTURB_H
#define BB_SUITE_PERTURB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

enum bb_perturb_kind {
    BB_PERTURB_TYPO = 0,    /* "typo": one of swap/drop/insert/keyboard per edit */
    BB_PERTURB_SWAP,        /* "swap": two adjacent word characters exchanged */
    BB_PERTURB_DROP,        /* "drop": a word character deleted */
    BB_PERTURB_INSERT,      /* "insert": a keyboard neighbour typed after a character */
    BB_PERTURB_KEYBOARD,    /* "keyboard": a letter replaced by a QWERTY neighbour */
    BB_PERTURB_CASE,        /* "case": a letter's case flipped */
    BB_PERTURB_WHITESPACE,  /* "whitespace": a space dropped or doubled */
    BB_PERTURB_PUNCTUATION, /* "punctuation": a mark dropped, or one added after a word */
    BB_PERTURB_NAMES        /* "names": a listed name or pronoun swapped for another group's */
};
#define BB_PERTURB_N_KINDS 9

/* The kinds' names as suites write them, in enum order, NULL-terminated. */
extern const char *const bb_perturb_kind_names[BB_PERTURB_N_KINDS + 1];

/* Whether a suite task type (enum bb_suite_task_type) reads text that
 * perturbation can change, and its roles that hold that text (NULL-terminated;
 * NULL when the type does not apply): similarity s1, s2; zero-shot, clustering,
 * linear-probe (the test dataset) and perplexity text; retrieval query. */
const char *const *bb_perturb_text_roles(int task_type);
/* "similarity, zero-shot, ..." (the types above) for messages. */
const char *bb_perturb_task_types(void);

/* Whether suite s perturbs task t: s has perturbations, and t is listed in
 * perturb.tasks (or, without that key, t's type has text roles). */
struct bb_suite;
struct bb_suite_task;
bool bb_perturb_applies(const struct bb_suite *s, const struct bb_suite_task *t);

/* A swap lexicon for BB_PERTURB_NAMES: each word with the words it may become. */
struct bb_perturb_entry {
    char *word;
    char **alts;
    size_t n_alts;
};
struct bb_perturb_lexicon {
    struct bb_perturb_entry *v; /* sorted by word */
    size_t n;
};

/* Add every value of a filler list (values[i] with group attribute groups[i])
 * to lex: a value's alternatives are the list's values of another group.
 * Values of a list whose groups are all equal have no alternatives. */
enum bb_status bb_perturb_lexicon_add(struct bb_perturb_lexicon *lex, const char *const *values,
                                      const char *const *groups, size_t n, struct bb_error *err);
void bb_perturb_lexicon_free(struct bb_perturb_lexicon *lex);

/* Seed of one text: FNV-1a of perturbation id, item id and field, mixed with
 * seed (splitmix64). Stable across runs, platforms and models. */
uint64_t bb_perturb_seed(uint64_t seed, const char *perturbation, const char *item_id,
                         const char *field);

/* Perturb text (UTF-8) into *out (malloc'd; free it): every eligible position
 * is edited with probability rate (0 <= rate <= 1; code points for the
 * character kinds, spaces for whitespace, marks and word ends for punctuation,
 * words for names). lex is used by BB_PERTURB_NAMES only (NULL: no swaps).
 * Errors: BB_E_INPUT for invalid UTF-8 or a rate outside [0, 1], naming what. */
enum bb_status bb_perturb_text(enum bb_perturb_kind kind, double rate,
                               const struct bb_perturb_lexicon *lex, const char *text,
                               uint64_t seed, char **out, struct bb_error *err);

#endif
