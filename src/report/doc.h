/* doc.h: one writer for two documents: every call emits the same content as
 * GitHub-flavoured Markdown (report.md) and as HTML (report.html). Text that
 * comes from data is escaped for each format (HTML: & < > " '; Markdown:
 * table pipes, emphasis and link syntax, raw HTML), so hostile dataset or
 * group names render as text. */
#ifndef BB_REPORT_DOC_H
#define BB_REPORT_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct bb_doc {
    FILE *md, *html;
    bool in_list;
    char align[64];                /* the open table's column alignment */
};

/* Escaped text to one format (no newline). */
void bb_doc_md_text(FILE *f, const char *s);
void bb_doc_html_text(FILE *f, const char *s);

/* Headings (level 1..4) and paragraphs; printf-style, the result escaped. */
void bb_doc_h(struct bb_doc *d, int level, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void bb_doc_p(struct bb_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A paragraph starting with a bold lead ("Note:") then text. */
void bb_doc_lead(struct bb_doc *d, const char *lead, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Bullet list items (the list opens at the first and closes at bb_doc_end_list). */
void bb_doc_li(struct bb_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A bullet "**key**: value". */
void bb_doc_kv(struct bb_doc *d, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bb_doc_end_list(struct bb_doc *d);

/* A bullet linking to #anchor: ref NULL: the whole text is the link; else
 * the text, then "(ref)" as the link. */
void bb_doc_li_ref(struct bb_doc *d, const char *anchor, const char *ref, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Fixed markup (never data) into the HTML only, e.g. a <section> wrapper. */
void bb_doc_html_raw(struct bb_doc *d, const char *markup);
/* Every later text of every document has each occurrence of from replaced by
 * to (longest first; at most 8): local paths, the user's home and name. */
void bb_doc_redact(const char *from, const char *to);
void bb_doc_redact_clear(void);

/* Tables: align is a string of 'l'/'r' per column (NULL: all left). */
void bb_doc_table(struct bb_doc *d, size_t ncols, const char *const *head, const char *align);
void bb_doc_row(struct bb_doc *d, size_t ncols, const char *const *cells);
/* A row whose cell i links to #anchors[i] when anchors and anchors[i] are set. */
void bb_doc_row_ref(struct bb_doc *d, size_t ncols, const char *const *cells,
                    const char *const *anchors);
void bb_doc_table_end(struct bb_doc *d);

/* A preformatted block (escaped). */
void bb_doc_pre(struct bb_doc *d, const char *text);
/* A chart: Markdown links the relative PNG path (and SVG); HTML inlines
 * png_file as a base64 data URI. Missing file: a line saying so. */
void bb_doc_chart(struct bb_doc *d, const char *rel_png, const char *rel_svg,
                  const char *png_file, const char *caption);

/* The HTML head (inline CSS) and tail. */
void bb_doc_html_begin(struct bb_doc *d, const char *title);
void bb_doc_html_end(struct bb_doc *d);

#endif
