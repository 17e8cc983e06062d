/* textin.c: gather input texts from arguments, stdin lines or a CSV/TSV column. */
#include "textin.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model/model.h"
#include "suite/dataset.h"

static enum bb_status push(struct bb_textlist *tl, const char *s, size_t len, struct bb_error *err)
{
    if (tl->n == tl->cap) {
        size_t cap = tl->cap ? 2 * tl->cap : 64;
        char **p = realloc(tl->items, cap * sizeof *p);
        if (!p)
            return bb_fail(err, BB_E_NOMEM, "out of memory reading texts");
        tl->items = p;
        tl->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return bb_fail(err, BB_E_NOMEM, "out of memory reading texts");
    memcpy(copy, s, len);
    copy[len] = 0;
    tl->items[tl->n++] = copy;
    return BB_OK;
}

enum bb_status bb_textlist_from_args_or_stdin(struct bb_textlist *tl, int argc, char **argv,
                                              struct bb_error *err)
{
    enum bb_status st = BB_OK;
    for (int i = 0; i < argc && !st; i++)
        st = push(tl, argv[i], strlen(argv[i]), err);
    if (argc > 0 || st)
        return st;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (!st && (len = getline(&line, &cap, stdin)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        st = push(tl, line, (size_t)len, err);
    }
    free(line);
    if (!st && tl->n == 0)
        st = bb_fail(err, BB_E_USAGE, "no input texts (give them as arguments or on stdin)");
    return st;
}

void bb_textlist_free(struct bb_textlist *tl)
{
    for (size_t i = 0; i < tl->n; i++)
        free(tl->items[i]);
    free(tl->items);
    memset(tl, 0, sizeof *tl);
}

enum bb_status bb_textlist_from_csv(struct bb_textlist *tl, const char *path, const char *column,
                                    char delimiter, int header, struct bb_error *err)
{
    struct bb_column_map map = {.role = "text", .name = column, .index = -1};
    char *end;
    long idx = strtol(column, &end, 10);
    if (*column && !*end && idx >= 0) {
        map.name = NULL;
        map.index = (int)idx;
    }
    struct bb_dataset_spec spec = {
        .path = path,
        .format = delimiter == '\t' ? BB_FORMAT_TSV : BB_FORMAT_CSV,
        .header = header ? BB_HEADER_YES : BB_HEADER_NO,
        .delimiter = delimiter,
        .fields = BB_FIELDS_ALLOW_EXTRA,
        .columns = &map,
        .n_columns = 1,
    };
    struct bb_table *t = NULL;
    int col;
    enum bb_status st = bb_dataset_load(&spec, &t, err);
    if (!st)
        st = bb_table_require_col(t, "text", &col, err);
    for (size_t r = 0; !st && r < bb_table_rows(t); r++) {
        const char *s = bb_table_get(t, r, col);
        if (!s)
            st = bb_fail(err, BB_E_INPUT, "%s:%ld: column '%s' is empty", path,
                         bb_table_line(t, r), column);
        else
            st = push(tl, s, strlen(s), err);
    }
    bb_table_free(t);
    if (!st && tl->n == 0)
        st = bb_fail(err, BB_E_INPUT, "%s: no rows", path);
    return st;
}

void bb_textio_defaults(struct bb_textio *o)
{
    *o = (struct bb_textio){.output = "-", .header = true};
}

bool bb_textio_option(struct bb_textio *o, int opt, const char *arg, struct bb_error *err,
                      enum bb_status *st)
{
    *st = BB_OK;
    switch (opt) {
    case 'i': o->input = arg; return true;
    case 'c': o->column = arg; return true;
    case 'N': o->header = false; return true;
    case 'o': o->output = arg; return true;
    case 'f': *st = bb_cli_parse_format(arg, "csv", &o->json, err); return true;
    }
    return false;
}

enum bb_status bb_textio_read(const struct bb_textio *o, int argc, char **argv,
                              struct bb_textlist *tl, struct bb_error *err)
{
    if (!o->input)
        return bb_textlist_from_args_or_stdin(tl, argc, argv, err);
    if (argc > 0)
        return bb_fail(err, BB_E_USAGE, "give texts either as arguments or with --input, not both");
    const char *dot = strrchr(o->input, '.');
    char delim = dot && !strcmp(dot, ".tsv") ? '\t' : ',';
    return bb_textlist_from_csv(tl, o->input, o->column ? o->column : "0", delim, o->header, err);
}

void bb_textjob_init(struct bb_textjob *j)
{
    *j = (struct bb_textjob){0};
    bb_cli_model_defaults(&j->m);
    bb_textio_defaults(&j->io);
}

enum bb_status bb_textjob_open(struct bb_textjob *j, int argc, char **argv,
                               struct bb_error *err)
{
    enum bb_status st = bb_textio_read(&j->io, argc - optind, argv + optind, &j->tl, err);
    return st ? st : bb_cli_open_model(&j->m, &j->be, &j->model, err);
}

enum bb_status bb_textjob_finish(struct bb_textjob *j, struct bb_error *err)
{
    enum bb_status st = bb_fileout_commit(&j->fo, err);
    return st ? st : bb_cli_profile_finish(&j->m, j->be, j->io.output, err);
}

void bb_textjob_free(struct bb_textjob *j)
{
    bb_fileout_abort(&j->fo);
    bb_model_free(j->model);
    bb_backend_free(j->be);
    bb_textlist_free(&j->tl);
}
