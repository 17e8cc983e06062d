/* doc.c: the Markdown + HTML twin writer of the audit report (doc.h). */
#include "report/doc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- redaction: local paths and names never reach the report ---------------------- */

#define REDACT_MAX 8
static struct { char *from, *to; size_t len; } redact[REDACT_MAX];
static size_t n_redact;

void bb_doc_redact(const char *from, const char *to)
{
    if (!from || strlen(from) < 2 || n_redact == REDACT_MAX)
        return;
    for (size_t i = 0; i < n_redact; i++)
        if (!strcmp(redact[i].from, from))
            return;
    char *f = strdup(from), *t = strdup(to ? to : "");
    if (!f || !t) {
        free(f), free(t);
        return;
    }
    /* longest first, so a path wins over its prefix */
    size_t k = n_redact++, len = strlen(f);
    while (k > 0 && redact[k - 1].len < len) {
        redact[k] = redact[k - 1];
        k--;
    }
    redact[k].from = f, redact[k].to = t, redact[k].len = len;
}

void bb_doc_redact_clear(void)
{
    for (size_t i = 0; i < n_redact; i++)
        free(redact[i].from), free(redact[i].to);
    n_redact = 0;
}

/* The replacement of a redacted string starting at s (its length in *len), or NULL. */
static const char *redacted_at(const char *s, size_t *len)
{
    for (size_t i = 0; i < n_redact; i++)
        if (!strncmp(s, redact[i].from, redact[i].len)) {
            *len = redact[i].len;
            return redact[i].to;
        }
    return NULL;
}

static void html_text(FILE *f, const char *s, bool scrub);

void bb_doc_html_text(FILE *f, const char *s)
{
    html_text(f, s, true);
}

static void html_text(FILE *f, const char *s, bool scrub)
{
    for (; s && *s; s++) {
        size_t skip;
        const char *rep = scrub && n_redact ? redacted_at(s, &skip) : NULL;
        if (rep) {
            html_text(f, rep, false);
            s += skip - 1;
            continue;
        }
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* Markdown: backslash-escape what would format or break a table cell; raw
 * HTML and entities become entities; a newline becomes a space (one line per
 * table row); "](" never opens a link. */
/* "&name;" or "&#123;" at s: would render as an entity. */
static bool entity_at(const char *s)
{
    size_t k = 1;
    while (isalnum((unsigned char)s[k]) || (k == 1 && s[k] == '#'))
        k++;
    return k > 1 && s[k] == ';';
}

static void md_text(FILE *f, const char *s, bool scrub);

void bb_doc_md_text(FILE *f, const char *s)
{
    md_text(f, s, true);
}

static void md_text(FILE *f, const char *s, bool scrub)
{
    const char *start = s;
    for (; s && *s; s++) {
        size_t skip;
        const char *rep = scrub && n_redact ? redacted_at(s, &skip) : NULL;
        if (rep) {
            md_text(f, rep, false);
            s += skip - 1;
            continue;
        }
        switch (*s) {
        case '&': fputs(entity_at(s) ? "&amp;" : "&", f); break;
        case '<': /* raw HTML, comments, autolinks start with <letter / ! ? */
            fputs(isalpha((unsigned char)s[1]) || (s[1] && strchr("/!?", s[1])) ? "&lt;" : "<", f);
            break;
        case '>': fputs(s == start ? "&gt;" : ">", f); break;
        case '\n': case '\r': case '\t': fputc(' ', f); break;
        case '\\': case '|': case '*': case '_': case '`': case '~':
            fputc('\\', f), fputc(*s, f);
            break;
        case ']':
            if (s[1] == '(')
                fputc('\\', f);
            fputc(']', f);
            break;
        default: fputc(*s, f);
        }
    }
}

static char *vfmt(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

static void close_list(struct bb_doc *d)
{
    if (d->in_list) {
        fputs("\n", d->md);
        fputs("</ul>\n", d->html);
        d->in_list = false;
    }
}

void bb_doc_h(struct bb_doc *d, int level, const char *id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vfmt(fmt, ap);
    va_end(ap);
    close_list(d);
    level = level < 1 ? 1 : level > 4 ? 4 : level;
    if (id && level > 1) { /* a stable anchor for the links of the summary and contents */
        fputs("<a id=\"", d->md);
        bb_doc_html_text(d->md, id);
        fputs("\"></a>\n\n", d->md);
    }
    for (int i = 0; i < level; i++)
        fputc('#', d->md);
    fputc(' ', d->md);
    bb_doc_md_text(d->md, s);
    fputs("\n\n", d->md);
    fprintf(d->html, "<h%d", level);
    if (id) {
        fputs(" id=\"", d->html);
        bb_doc_html_text(d->html, id);
        fputc('"', d->html);
    }
    fputc('>', d->html);
    bb_doc_html_text(d->html, s);
    fprintf(d->html, "</h%d>\n", level);
    free(s);
}

/* How one block is framed in each format: open, [key, key_end,] text, close. */
struct frame {
    const char *md_open, *md_key_end, *md_close;
    const char *html_open, *html_key_end, *html_close;
};

static const struct frame F_P = {"", "", "\n\n", "<p>", "", "</p>\n"};
static const struct frame F_LEAD = {"**", "** ", "\n\n", "<p><strong>", "</strong> ", "</p>\n"};
static const struct frame F_LI = {"- ", "", "\n", "<li>", "", "</li>\n"};
static const struct frame F_KV = {"- **", "**: ", "\n", "<li><strong>", "</strong>: ", "</li>\n"};

/* Write key (or nothing when NULL) and text, escaped, in both formats. */
static void emit(struct bb_doc *d, const struct frame *f, const char *key, const char *text)
{
    fputs(f->md_open, d->md);
    fputs(f->html_open, d->html);
    if (key) {
        bb_doc_md_text(d->md, key);
        fputs(f->md_key_end, d->md);
        bb_doc_html_text(d->html, key);
        fputs(f->html_key_end, d->html);
    }
    bb_doc_md_text(d->md, text);
    fputs(f->md_close, d->md);
    bb_doc_html_text(d->html, text);
    fputs(f->html_close, d->html);
}

static void li_open(struct bb_doc *d)
{
    if (!d->in_list) {
        fputs("<ul>\n", d->html);
        d->in_list = true;
    }
}

/* Format the text, open or close the list the frame needs, and emit. */
static void block(struct bb_doc *d, const struct frame *f, const char *key, const char *fmt,
                  va_list ap)
{
    char *s = vfmt(fmt, ap);
    if (f == &F_LI || f == &F_KV)
        li_open(d);
    else
        close_list(d);
    emit(d, f, key, s);
    free(s);
}

void bb_doc_p(struct bb_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    block(d, &F_P, NULL, fmt, ap);
    va_end(ap);
}

void bb_doc_lead(struct bb_doc *d, const char *lead, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    block(d, &F_LEAD, lead, fmt, ap);
    va_end(ap);
}

void bb_doc_li(struct bb_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    block(d, &F_LI, NULL, fmt, ap);
    va_end(ap);
}

void bb_doc_kv(struct bb_doc *d, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    block(d, &F_KV, key, fmt, ap);
    va_end(ap);
}

/* A link to #anchor in both formats (text escaped). */
static void link(struct bb_doc *d, const char *anchor, const char *text)
{
    fputc('[', d->md);
    bb_doc_md_text(d->md, text);
    fputs("](#", d->md);
    bb_doc_md_text(d->md, anchor);
    fputc(')', d->md);
    fputs("<a href=\"#", d->html);
    bb_doc_html_text(d->html, anchor);
    fputs("\">", d->html);
    bb_doc_html_text(d->html, text);
    fputs("</a>", d->html);
}

void bb_doc_li_ref(struct bb_doc *d, const char *anchor, const char *ref, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vfmt(fmt, ap);
    va_end(ap);
    li_open(d);
    fputs("- ", d->md);
    fputs("<li>", d->html);
    if (!ref) {
        link(d, anchor, s ? s : "");
    } else {
        bb_doc_md_text(d->md, s);
        bb_doc_html_text(d->html, s);
        fputs(" (", d->md), fputs(" (", d->html);
        link(d, anchor, ref);
        fputs(")", d->md), fputs(")", d->html);
    }
    fputs("\n", d->md);
    fputs("</li>\n", d->html);
    free(s);
}

void bb_doc_html_raw(struct bb_doc *d, const char *markup)
{
    close_list(d);
    fputs(markup, d->html);
}

void bb_doc_end_list(struct bb_doc *d)
{
    close_list(d);
}

static void md_cells(FILE *f, size_t n, const char *const *cells)
{
    fputc('|', f);
    for (size_t i = 0; i < n; i++) {
        fputc(' ', f);
        bb_doc_md_text(f, cells[i] && *cells[i] ? cells[i] : "");
        fputs(" |", f);
    }
    fputc('\n', f);
}

void bb_doc_table(struct bb_doc *d, size_t ncols, const char *const *head, const char *align)
{
    close_list(d);
    md_cells(d->md, ncols, head);
    fputc('|', d->md);
    for (size_t i = 0; i < ncols; i++)
        fputs(align && align[i] == 'r' ? " ---: |" : " --- |", d->md);
    fputc('\n', d->md);
    snprintf(d->align, sizeof d->align, "%s", align ? align : "");
    fputs("<table>\n<thead><tr>", d->html);
    for (size_t i = 0; i < ncols; i++) {
        fputs(align && align[i] == 'r' ? "<th class=\"r\">" : "<th>", d->html);
        bb_doc_html_text(d->html, head[i]);
        fputs("</th>", d->html);
    }
    fputs("</tr></thead>\n<tbody>\n", d->html);
}

void bb_doc_row(struct bb_doc *d, size_t ncols, const char *const *cells)
{
    bb_doc_row_ref(d, ncols, cells, NULL);
}

void bb_doc_row_ref(struct bb_doc *d, size_t ncols, const char *const *cells,
                    const char *const *anchors)
{
    fputc('|', d->md);
    for (size_t i = 0; i < ncols; i++) {
        fputc(' ', d->md);
        if (anchors && anchors[i] && cells[i] && *cells[i]) {
            fputc('[', d->md);
            bb_doc_md_text(d->md, cells[i]);
            fputs("](#", d->md);
            bb_doc_md_text(d->md, anchors[i]);
            fputc(')', d->md);
        } else {
            bb_doc_md_text(d->md, cells[i] && *cells[i] ? cells[i] : "");
        }
        fputs(" |", d->md);
    }
    fputc('\n', d->md);
    fputs("<tr>", d->html);
    for (size_t i = 0; i < ncols; i++) {
        /* numbers never wrap; a long unbroken token (a hash, a path) may
         * break anywhere; other text wraps at spaces */
        size_t run = 0, longest = 0;
        for (const char *c = cells[i]; c && *c; c++) {
            run = *c == ' ' ? 0 : run + 1;
            longest = run > longest ? run : longest;
        }
        if (i < strlen(d->align) && d->align[i] == 'r' && longest < 24)
            fputs("<td class=\"r\">", d->html);
        else if (longest > 24)
            fputs("<td class=\"w\">", d->html);
        else
            fputs("<td>", d->html);
        if (anchors && anchors[i] && cells[i] && *cells[i]) {
            fputs("<a href=\"#", d->html);
            bb_doc_html_text(d->html, anchors[i]);
            fputs("\">", d->html);
            bb_doc_html_text(d->html, cells[i]);
            fputs("</a>", d->html);
        } else {
            bb_doc_html_text(d->html, cells[i]);
        }
        fputs("</td>", d->html);
    }
    fputs("</tr>\n", d->html);
}

void bb_doc_table_end(struct bb_doc *d)
{
    fputc('\n', d->md);
    fputs("</tbody>\n</table>\n", d->html);
}

void bb_doc_pre(struct bb_doc *d, const char *text)
{
    close_list(d);
    /* a fence longer than any run of backticks in the text */
    size_t run = 0, best = 0;
    for (const char *s = text; s && *s; s++) {
        run = *s == '`' ? run + 1 : 0;
        best = run > best ? run : best;
    }
    size_t fence = best < 3 ? 3 : best + 1;
    for (size_t i = 0; i < fence; i++)
        fputc('`', d->md);
    fputc('\n', d->md);
    for (const char *t = text; t && *t; t++) { /* verbatim, but redacted */
        size_t skip;
        const char *rep = n_redact ? redacted_at(t, &skip) : NULL;
        if (rep)
            fputs(rep, d->md), t += skip - 1;
        else
            fputc(*t, d->md);
    }
    if (text && *text && text[strlen(text) - 1] != '\n')
        fputc('\n', d->md);
    for (size_t i = 0; i < fence; i++)
        fputc('`', d->md);
    fputs("\n\n", d->md);
    fputs("<pre>", d->html);
    bb_doc_html_text(d->html, text);
    fputs("</pre>\n", d->html);
}

static void base64_file(FILE *out, FILE *in)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char b[3];
    size_t k;
    while ((k = fread(b, 1, 3, in)) > 0) {
        uint32_t v = (uint32_t)b[0] << 16 | (k > 1 ? (uint32_t)b[1] << 8 : 0) | (k > 2 ? b[2] : 0);
        fputc(tab[v >> 18 & 63], out);
        fputc(tab[v >> 12 & 63], out);
        fputc(k > 1 ? tab[v >> 6 & 63] : '=', out);
        fputc(k > 2 ? tab[v & 63] : '=', out);
    }
}

void bb_doc_chart(struct bb_doc *d, const char *rel_png, const char *rel_svg,
                  const char *png_file, const char *caption)
{
    close_list(d);
    FILE *in = png_file ? fopen(png_file, "rb") : NULL;
    if (!in) {
        bb_doc_p(d, "(chart not drawn: %s)", caption);
        return;
    }
    /* paths are our own file names ([A-Za-z0-9._-]), captions are escaped */
    fputs("![", d->md);
    bb_doc_md_text(d->md, caption);
    fprintf(d->md, "](%s)\n\n", rel_png);
    fputc('*', d->md);
    bb_doc_md_text(d->md, caption);
    fprintf(d->md, "* ([SVG](%s), script and data beside it)\n\n", rel_svg);
    fputs("<figure><img alt=\"", d->html);
    bb_doc_html_text(d->html, caption);
    fputs("\" src=\"data:image/png;base64,", d->html);
    base64_file(d->html, in);
    fclose(in);
    fputs("\"><figcaption>", d->html);
    bb_doc_html_text(d->html, caption);
    fputs("</figcaption></figure>\n", d->html);
}

/* s inside a CSS string of a <style> element: letters, digits, spaces, some
 * punctuation and UTF-8 bytes as they are; any other byte (quotes, backslash,
 * '<', controls) as a CSS hex escape, so nothing ends the string or the
 * element; redacted like HTML text. */
static void css_text(FILE *f, const char *s, bool scrub)
{
    for (; s && *s; s++) {
        size_t skip;
        const char *rep = scrub && n_redact ? redacted_at(s, &skip) : NULL;
        if (rep) {
            css_text(f, rep, false);
            s += skip - 1;
            continue;
        }
        unsigned char c = (unsigned char)*s;
        if (c >= 0x80 || isalnum(c) || strchr(" .,:;_=+-()[]/", c))
            fputc(c, f);
        else
            fprintf(f, "\\%x ", c);
    }
}

void bb_doc_html_begin(struct bb_doc *d, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>", d->html);
    bb_doc_html_text(d->html, title);
    fputs("</title>\n<style>\n"
          "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
          "max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\n"
          "h1{border-bottom:2px solid #444}h2{border-bottom:1px solid #bbb;margin-top:2em}\n"
          /* tables never wider than the page: long cells (hashes, names) wrap */
          "table{border-collapse:collapse;margin:1em 0;font-size:0.9em;max-width:100%}\n"
          "th,td{border:1px solid #ccc;padding:3px 8px;vertical-align:top;"
          "overflow-wrap:break-word}\n"
          "td.r{text-align:right;white-space:nowrap}td.w{overflow-wrap:anywhere}\n"
          "th{background:#f0f0f0}tbody tr:nth-child(even){background:#fafafa}\n"
          "td{font-variant-numeric:tabular-nums}\n"
          "pre{background:#f6f6f6;border:1px solid #ddd;padding:8px;overflow-x:auto;"
          "font-size:0.85em;white-space:pre-wrap;overflow-wrap:anywhere}\n"
          "figure{margin:1em 0}\n"
          "img{max-width:100%;height:auto;border:1px solid #eee;box-sizing:border-box}\n"
          "figcaption{font-style:italic;color:#555}\n"
          "a{color:#1a5fb4}\n"
          "section.findings{border:1px solid #bbb;padding:0 1em 0.5em;background:#fcfcf7}\n"
          "section.findings h2{margin-top:0.6em}\n"
          "nav.toc ul{columns:2;list-style:none;padding-left:0}\n"
          /* print to PDF: A4, no page-wide margins, findings alone on page one,
           * headings kept with what follows, rows and charts never split; the
           * title and "page N of M" in the page margins, which also replaces
           * the browser's own header and footer (date, and the file's URL:
           * a local path) */
          "@media print{\n"
          "@page{size:A4;margin:14mm 12mm 16mm;\n"
          "@top-right{content:\"", d->html);
    css_text(d->html, title, true);
    fputs("\";font:7.5pt system-ui,Helvetica,Arial,sans-serif;color:#666}\n"
          "@bottom-right{content:\"page \" counter(page) \" of \" counter(pages);"
          "font:7.5pt system-ui,Helvetica,Arial,sans-serif;color:#666}}\n"
          "p,li{orphans:3;widows:3}\n"
          "body{max-width:none;margin:0;padding:0;font-size:9.5pt;line-height:1.3}\n"
          "h1{font-size:16pt;margin-top:0}h2{font-size:13pt;margin-top:1.2em}"
          "h3{font-size:11pt}\n"
          "h1,h2,h3,h4{break-after:avoid;page-break-after:avoid}\n"
          "section.findings{border:none;background:none;padding:0;"
          "break-after:page;page-break-after:always}\n"
          "table{font-size:8pt;width:auto}thead{display:table-header-group}\n"
          "tr,figure,img,li{break-inside:avoid;page-break-inside:avoid}\n"
          "th,td{padding:1px 4px}\n"
          "figure img{max-height:80mm;width:auto;border:none}\n"
          "figure{margin:0.5em 0}\n"
          "a{color:inherit;text-decoration:none}\n"
          "pre{font-size:7.5pt}\n"
          "tbody tr:nth-child(even){background:none}\n"
          "}\n"
          "</style>\n</head>\n<body>\n", d->html);
}

void bb_doc_html_end(struct bb_doc *d)
{
    close_list(d);
    fputs("</body>\n</html>\n", d->html);
}
