/* textin.h: the texts a command works on, gathered from arguments, standard
 * input (one per line) or a column of a CSV/TSV file. */
#ifndef BB_TEXTIN_H
#define BB_TEXTIN_H

#include <stddef.h>

#include "core/status.h"

struct bb_textlist {
    char **items;
    size_t n, cap;
};

/* Arguments if any, else the lines of stdin (trailing \r\n removed). */
enum bb_status bb_textlist_from_args_or_stdin(struct bb_textlist *tl, int argc, char **argv,
                                              struct bb_error *err);
/* One column (a header name, or a 0-based index) of a CSV/TSV file. */
enum bb_status bb_textlist_from_csv(struct bb_textlist *tl, const char *path, const char *column,
                                    char delimiter, int header, struct bb_error *err);
void bb_textlist_free(struct bb_textlist *tl);

#endif
