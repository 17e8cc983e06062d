/* textin.h: the texts a command works on, gathered from arguments, standard
 * input (one per line) or a column of a CSV/TSV file. */
#ifndef BB_TEXTIN_H
#define BB_TEXTIN_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "core/fileout.h"
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

/* The text-in, table-out options of embed and score: where the texts come from
 * and where the rows go. */
struct bb_textio {
    const char *input, *column, *output; /* --input FILE, --column COL, --output FILE */
    bool json, header;                   /* --format json; false with --no-header */
};
void bb_textio_defaults(struct bb_textio *o);
/* Handle one of these options (getopt's current opt/optarg); true if it was one. */
bool bb_textio_option(struct bb_textio *o, int opt, const char *arg, struct bb_error *err,
                      enum bb_status *st);
/* The texts: the column of --input (a .tsv file is tab-separated), or the arguments left
 * after the options, or the lines of stdin; --input and arguments together are an error. */
enum bb_status bb_textio_read(const struct bb_textio *o, int argc, char **argv,
                              struct bb_textlist *tl, struct bb_error *err);
#define BB_TEXTIO_SHORTOPTS "i:c:f:o:"
#define BB_TEXTIO_LONGOPTS \
    {"input", required_argument, NULL, 'i'}, {"column", required_argument, NULL, 'c'}, \
    {"no-header", no_argument, NULL, 'N'}, {"format", required_argument, NULL, 'f'}, \
    {"output", required_argument, NULL, 'o'}
/* The help lines; csv_columns says what a CSV row holds. */
#define BB_TEXTIO_HELP(csv_columns) \
    "  -i, --input FILE     read texts from a CSV (or .tsv) file ...\n" \
    "  -c, --column COL     ... from this column: a header name or a 0-based index (default 0)\n" \
    "      --no-header      the input file has no header row\n" \
    "  -f, --format F       csv (default: " csv_columns ") or json\n" \
    "  -o, --output FILE    write here (default standard output); written atomically\n"

/* A command that runs a model over texts and writes one table (embed, score): its options,
 * texts, backend, model and output file, released together. */
struct bb_textjob {
    struct bb_cli_model m;
    struct bb_textio io;
    struct bb_textlist tl;
    struct bb_backend *be;
    struct bb_model *model;
    struct bb_fileout fo;
};
void bb_textjob_init(struct bb_textjob *j); /* the options' defaults, nothing open */
/* After the options: the texts (bb_textio_read on the operands from optind on), the model. */
enum bb_status bb_textjob_open(struct bb_textjob *j, int argc, char **argv,
                               struct bb_error *err);
/* After the table is written to j->fo: commit it, then --profile's table and files. */
enum bb_status bb_textjob_finish(struct bb_textjob *j, struct bb_error *err);
void bb_textjob_free(struct bb_textjob *j); /* an uncommitted output file is removed */

#endif
