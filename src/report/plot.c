/* plot.c: gnuplot charts (plot.h): data and scripts written beside the
 * images, gnuplot run as a subprocess in the charts folder. */
#include "report/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fileout.h"
#include "core/log.h"

/* ---- finding and running gnuplot --------------------------------------------- */

static bool find_binary(const char *name, char *out, size_t n)
{
    if (strchr(name, '/')) {
        snprintf(out, n, "%s", name);
        return access(out, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        snprintf(out, n, "%.*s/%s", (int)len, len ? path : ".", name);
        struct stat sb;
        if (!stat(out, &sb) && S_ISREG(sb.st_mode) && !access(out, X_OK))
            return true;
        path += len + (end ? 1 : 0);
    }
    return false;
}

enum bb_status bb_plot_init(struct bb_plot *p, const char *run_dir, struct bb_error *err)
{
    memset(p, 0, sizeof *p);
    snprintf(p->dir, sizeof p->dir, "%s/charts", run_dir);
    if (mkdir(p->dir, 0777) && errno != EEXIST)
        return bb_fail(err, BB_E_IO, "%s: cannot create the charts folder: %s", p->dir,
                       strerror(errno));
    const char *bin = getenv("BIASBENCH_GNUPLOT");
    if (!bin || !*bin)
        bin = "gnuplot";
    if (!find_binary(bin, p->gnuplot, sizeof p->gnuplot))
        p->gnuplot[0] = 0;
    return BB_OK;
}

bool bb_plot_available(const struct bb_plot *p)
{
    return p->gnuplot[0] != 0;
}

bool bb_plot_png(const struct bb_plot *p, const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s.png", p->dir, name);
    struct stat sb;
    return p->gnuplot[0] && !stat(buf, &sb) && sb.st_size > 0;
}

void bb_plot_name(char *buf, size_t n, const char *kind, const char *task, const char *model)
{
    const char *parts[3] = {kind, task, model};
    size_t k = 0;
    for (int i = 0; i < 3 && k + 1 < n; i++) {
        if (!parts[i])
            continue;
        if (i && k + 2 < n)
            buf[k++] = '_', buf[k++] = '_';
        for (const char *s = parts[i]; *s && k + 1 < n && k < 180; s++) {
            char c = *s;
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
            buf[k++] = ok ? c : '_';
        }
    }
    buf[k] = 0;
}

/* Run gnuplot -e "fmt='F'" NAME.gp in the charts folder; its stderr goes
 * into msg. Returns 0 on success. */
static int run_gnuplot(const struct bb_plot *p, const char *name, const char *fmt, char *msg,
                       size_t n)
{
    int fd[2];
    msg[0] = 0;
    if (pipe(fd))
        return snprintf(msg, n, "pipe: %s", strerror(errno)), -1;
    char script[300], expr[32];
    snprintf(script, sizeof script, "%s.gp", name);
    snprintf(expr, sizeof expr, "fmt='%s'", fmt);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]), close(fd[1]);
        return snprintf(msg, n, "fork: %s", strerror(errno)), -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0)
            dup2(devnull, 0), dup2(devnull, 1);
        dup2(fd[1], 2);
        close(fd[0]);
        if (chdir(p->dir))
            _exit(126);
        execl(p->gnuplot, p->gnuplot, "-e", expr, script, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    size_t got = 0;
    ssize_t r;
    char sink[512];
    while ((r = read(fd[0], got + 1 < n ? msg + got : sink,
                     got + 1 < n ? n - 1 - got : sizeof sink)) > 0 || (r < 0 && errno == EINTR))
        if (r > 0 && got + 1 < n)
            got += (size_t)r;
    msg[got] = 0;
    close(fd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return snprintf(msg, n, "waitpid: %s", strerror(errno)), -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (!msg[0])
        snprintf(msg, n, "gnuplot exited with status %d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return -1;
}

int bb_plot_run_script(const char *dir, const char *name, const char *fmt, char *msg, size_t n)
{
    struct bb_plot p;
    memset(&p, 0, sizeof p);
    snprintf(p.dir, sizeof p.dir, "%s", dir);
    const char *bin = getenv("BIASBENCH_GNUPLOT");
    if (!find_binary(bin && *bin ? bin : "gnuplot", p.gnuplot, sizeof p.gnuplot))
        return snprintf(msg, n, "gnuplot not found (install it or set BIASBENCH_GNUPLOT)"), -1;
    return run_gnuplot(&p, name, fmt, msg, n);
}

/* ---- writing a chart ------------------------------------------------------- */

struct chart {
    char *dat, *gp;
    size_t dat_len, gp_len;
    FILE *d, *g;
};

static enum bb_status chart_open(struct chart *c, struct bb_error *err)
{
    memset(c, 0, sizeof *c);
    c->d = open_memstream(&c->dat, &c->dat_len);
    c->g = open_memstream(&c->gp, &c->gp_len);
    if (!c->d || !c->g) {
        if (c->d)
            fclose(c->d);
        if (c->g)
            fclose(c->g);
        free(c->dat), free(c->gp);
        return bb_fail(err, BB_E_NOMEM, "out of memory for a chart");
    }
    return BB_OK;
}

/* A gnuplot single-quoted string literal: ' doubled, control characters
 * dropped (a script line never breaks). */
static void q(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; s && *s; s++) {
        if (*s == '\'')
            fputs("''", f);
        else if ((unsigned char)*s >= 0x20)
            fputc(*s, f);
        else
            fputc(' ', f);
    }
    fputc('\'', f);
}

/* A text cell of a .dat line: tabs, newlines and double quotes replaced. */
static void cell(FILE *f, const char *s)
{
    if (!s || !*s) {
        fputs("-", f);
        return;
    }
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 ? ' ' : *s == '"' ? '\'' : *s, f);
}

/* A tic label: long labels shortened in the middle (the report's tables
 * carry the full names); cuts between UTF-8 characters. */
static const char *shorten_to(const char *s, char *buf, size_t size, size_t max)
{
    size_t n = s ? strlen(s) : 0, keep = max / 2 - 1;
    if (n <= max)
        return s;
    size_t head = keep, tail = n - keep;
    while (head > 0 && ((unsigned char)s[head] & 0xC0) == 0x80)
        head--;
    while (tail < n && ((unsigned char)s[tail] & 0xC0) == 0x80)
        tail++;
    snprintf(buf, size, "%.*s…%s", (int)head, s, s + tail);
    return buf;
}

static const char *shorten(const char *s, char *buf, size_t size)
{
    return shorten_to(s, buf, size, 36);
}

static void label_cell(FILE *f, const char *s)
{
    char buf[96];
    cell(f, shorten(s, buf, sizeof buf));
}

static void num(FILE *f, double v)
{
    if (isnan(v) || isinf(v))
        fputs("NaN", f);
    else
        fprintf(f, "%.9g", v);
}

static enum bb_status write_file(const char *path, const char *text, size_t len,
                                 struct bb_error *err)
{
    struct bb_fileout fo;
    enum bb_status st = bb_fileout_open(&fo, path, err);
    if (st)
        return st;
    if (fwrite(text, 1, len, fo.fp) != len)
        st = bb_fail(err, BB_E_IO, "%s: write failed", path);
    st = st ? st : bb_fileout_commit(&fo, err);
    bb_fileout_abort(&fo);
    return st;
}

/* Header of every script: how to rerun it, the terminal chosen from fmt. */
/* Characters of a UTF-8 string. */
static size_t u8len(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void header(FILE *g, const char *name, const char *title, int w, int h)
{
    /* never clip the title: gnuplot centres it over the plot area, whose left
     * margin can be wide (tile charts), so leave the title's width on both
     * sides of the centre (about 7 px a character at 11 pt) */
    int need = (int)(7.2 * (double)u8len(title)) + 140;
    if (w < need)
        w = need > 2600 ? 2600 : need;
    fprintf(g, "# %s.gp: ", name);
    for (const char *s = title; *s; s++)
        fputc((unsigned char)*s < 0x20 ? ' ' : *s, g);
    fprintf(g, "\n# Written by biasbench; the data is %s.dat in this folder.\n"
            "# Redraw (edit freely): cd into this folder, then\n"
            "#   gnuplot -e \"fmt='png'\" %s.gp    -> %s.png\n"
            "#   gnuplot -e \"fmt='svg'\" %s.gp    -> %s.svg\n"
            "if (!exists(\"fmt\")) fmt = 'png'\n"
            "if (fmt eq 'svg') {\n"
            "    set terminal svg size %d,%d dynamic noenhanced font 'Helvetica,13' "
            "background rgb 'white'\n"
            "    set output '%s.svg'\n"
            "} else {\n"
            "    set terminal pngcairo size %d,%d noenhanced font 'Helvetica,11' "
            "background rgb 'white'\n"
            "    set output '%s.png'\n"
            "}\n"
            "set datafile separator '\\t'\n"
            "set border 3\nset tics nomirror\nset grid ytics lc rgb '#dddddd'\n"
            "set key below center horizontal Left reverse noautotitle samplen 2 width 2 height 1\n",
            name, name, name, name, name, w, h, name, w, h, name);
    fputs("set title ", g);
    q(g, title);
    fputs("\n", g);
}

/* Close the streams, write NAME.dat and NAME.gp, draw PNG and SVG. */
static enum bb_status chart_finish(struct bb_plot *p, struct chart *c, const char *name,
                                   struct bb_error *err)
{
    fputs("unset output\n", c->g);
    int bad = fclose(c->d) | fclose(c->g);
    enum bb_status st = BB_OK;
    char path[4400], msg[600];
    if (bad || !c->dat || !c->gp) {
        st = bb_fail(err, BB_E_NOMEM, "out of memory writing chart %s", name);
        goto done;
    }
    snprintf(path, sizeof path, "%s/%s.dat", p->dir, name);
    if ((st = write_file(path, c->dat, c->dat_len, err)))
        goto done;
    snprintf(path, sizeof path, "%s/%s.gp", p->dir, name);
    if ((st = write_file(path, c->gp, c->gp_len, err)))
        goto done;
    if (!bb_plot_available(p))
        goto done;
    if (run_gnuplot(p, name, "png", msg, sizeof msg) ||
        run_gnuplot(p, name, "svg", msg, sizeof msg)) {
        if (!p->failed++) { /* warned once; the report names each chart not drawn */
            snprintf(p->first_error, sizeof p->first_error, "%s.gp: %s", name, msg);
            bb_warn("chart %s: gnuplot failed (further failures are listed in the report): %s",
                    name, msg);
        }
    } else {
        p->drawn++;
    }
done:
    free(c->dat), free(c->gp);
    return st;
}

static int width_for(size_t n, int per, int base, int max)
{
    long w = base + (long)n * per;
    return w < 760 ? 760 : w > max ? max : (int)w;
}

/* Left margin (characters) for x tic labels rotated 35 degrees to the
 * right-aligned position: the first label hangs left of the axis. */
static void rot_margin(FILE *g, size_t n, const char *const *labels)
{
    size_t longest = 0;
    for (size_t i = 0; i < n && i < 2; i++) { /* only the first labels reach past the axis */
        size_t l = labels[i] ? u8len(labels[i]) : 0;
        longest = l > longest ? l : longest;
    }
    if (longest > 36)
        longest = 36;
    int m = (int)((double)longest * 0.8) - 2;
    fprintf(g, "set lmargin %d\n", m < 10 ? 10 : m);
}

/* ---- the charts -------------------------------------------------------------- */

enum bb_status bb_plot_chart_bars(struct bb_plot *p, const char *name, const struct bb_plot_bars *b,
                                  struct bb_error *err)
{
    struct chart c;
    enum bb_status st = chart_open(&c, err);
    if (st)
        return st;
    bool nonneg = true;
    double xmax = 0;
    fputs("# x\tgroup\tvalue\tci_low\tci_high\tseries\n", c.d);
    for (size_t i = 0; i < b->n; i++) {
        int s = b->series ? b->series[i] : 0;
        /* a one-slot gap where the series changes */
        double x = (double)i;
        for (size_t k = 1; b->series && k <= i; k++)
            x += b->series[k] != b->series[k - 1] ? 0.6 : 0;
        fprintf(c.d, "%g\t", x);
        xmax = x;
        label_cell(c.d, b->labels[i]);
        fputc('\t', c.d), num(c.d, b->value[i]);
        fputc('\t', c.d), num(c.d, b->lo ? b->lo[i] : NAN);
        fputc('\t', c.d), num(c.d, b->hi ? b->hi[i] : NAN);
        fprintf(c.d, "\t%d\n", s);
        if (b->value[i] < 0 || (b->lo && b->lo[i] < 0))
            nonneg = false;
    }
    header(c.g, name, b->title, width_for(b->n, 34, 260, 2200), 560);
    rot_margin(c.g, b->n, b->labels);
    fprintf(c.g, "set ylabel ");
    q(c.g, b->ylabel);
    fprintf(c.g, "\nset xtics rotate by 35 right scale 0\n"
            "set style fill solid 0.75 border rgb '#333333'\nset boxwidth 0.7\n"
            "set xrange [-0.8:%g]\n%s"
            "colour(s) = s == 0 ? 0x4c72b0 : 0xdd8452\n",
            xmax + 0.8,
            b->points ? "" : b->from_zero && nonneg ? "set yrange [0:*]\n"
                                                     : "set xzeroaxis lt -1\n");
    if (b->points) {
        fputs("set offsets 0, 0, graph 0.08, graph 0.08\nset yrange [*:*]\nunset xzeroaxis\n",
              c.g);
        if (b->ref == b->ref) {
            fprintf(c.g, "set arrow from graph 0, first %.17g to graph 1, first %.17g nohead "
                    "dt 2 lc rgb '#777777'\n", b->ref, b->ref);
        }
        fprintf(c.g, "plot '%s.dat' using 1:4:(0):($5-$4) with vectors heads size screen "
                "0.008,90 lc rgb '#222222' lw 1.2 notitle, \\\n"
                "     '' using 1:3:(colour($6)):xtic(2) with points pt 7 ps 1.6 "
                "lc rgb variable notitle", name);
        for (int s = 0; s < 2; s++) {
            if (!b->series_names[s])
                continue;
            fprintf(c.g, ", \\\n     NaN with points pt 7 ps 1.6 lc rgb '%s' title ",
                    s ? "#dd8452" : "#4c72b0");
            q(c.g, b->series_names[s]);
        }
        if (b->ref == b->ref && b->ref_label) {
            fputs(", \\\n     NaN with lines dt 2 lc rgb '#777777' title ", c.g);
            q(c.g, b->ref_label);
        }
    } else {
        fprintf(c.g,
                "plot '%s.dat' using 1:3:(colour($6)):xtic(2) with boxes lc rgb variable, \\\n"
                "     '' using 1:4:(0):($5-$4) with vectors heads size screen 0.008,90 lc rgb "
                "'#222222' "
                "lw 1.2",
                name);
        for (int s = 0; s < 2; s++) {
            if (!b->series_names[s])
                continue;
            fprintf(c.g, ", \\\n     NaN with boxes lc rgb '%s' title ", s ? "#dd8452" : "#4c72b0");
            q(c.g, b->series_names[s]);
    }
    }
    fputs(", \\\n     NaN with lines lc rgb '#222222' lw 1.2 title 'whisker: 95% CI'\n", c.g);
    return chart_finish(p, &c, name, err);
}

enum bb_status bb_plot_chart_effects(struct bb_plot *p, const char *name, const char *title,
                                     size_t n, const char *const *labels, const double *es,
                                     const double *lo, const double *hi, const int *sig,
                                     const char *correction, struct bb_error *err)
{
    struct chart c;
    enum bb_status st = chart_open(&c, err);
    if (st)
        return st;
    fputs("# x\ttest\teffect_size\tci_low\tci_high\tsignificance(0 none,1 raw,2 corrected)\tmark\n",
          c.d);
    for (size_t i = 0; i < n; i++) {
        fprintf(c.d, "%zu\t", i);
        label_cell(c.d, labels[i]);
        fputc('\t', c.d), num(c.d, es[i]);
        fputc('\t', c.d), num(c.d, lo ? lo[i] : NAN);
        fputc('\t', c.d), num(c.d, hi ? hi[i] : NAN);
        fprintf(c.d, "\t%d\t%s\n", sig[i], sig[i] == 2 ? "**" : sig[i] == 1 ? "*" : "-");
    }
    header(c.g, name, title, width_for(n, 40, 260, 2200), 560);
    rot_margin(c.g, n, labels);
    fprintf(c.g, "set ylabel 'effect size d (Cohen-style, unitless)'\n"
            "set xtics rotate by 35 right scale 0\n"
            "set style fill solid 0.75 border rgb '#333333'\nset boxwidth 0.7\n"
            "set xrange [-0.8:%zu.8]\nset yrange [*:*]\nset offsets 0, 0, 0.35, 0.35\n"
            "set arrow from graph 0, first 0 to graph 1, first 0 nohead lc rgb '#000000' lw 1.5\n"
            "colour(s) = s == 2 ? 0xc44e52 : s == 1 ? 0xdd8452 : 0x9a9a9a\n"
            "top(v, h) = (h == h && h > v) ? h : v\nbot(v, l) = (l == l && l < v) ? l : v\n",
            n ? n - 1 : 0);
    fprintf(c.g, "plot '%s.dat' using 1:3:(colour($6)):xtic(2) with boxes lc rgb variable, \\\n"
            "     '' using 1:4:(0):($5-$4) with vectors heads size screen 0.008,90 "
            "lc rgb '#222222' lw 1.2, \\\n"
            "     '' using 1:($3 >= 0 && $6 > 0 ? top($3, $5) : NaN):7 with labels offset 0,0.8 "
            "font ',13', \\\n"
            "     '' using 1:($3 < 0 && $6 > 0 ? bot($3, $4) : NaN):7 with labels offset 0,-0.8 "
            "font ',13', \\\n"
            "     NaN with boxes lc rgb '#c44e52' title ", name);
    char t[200];
    snprintf(t, sizeof t, "** significant after %s correction", correction);
    q(c.g, t);
    fputs(", \\\n     NaN with boxes lc rgb '#dd8452' title '* significant (raw p)', \\\n"
          "     NaN with boxes lc rgb '#9a9a9a' title 'not significant', \\\n"
          "     NaN with lines lc rgb '#222222' lw 1.2 title 'whisker: 95% CI'\n", c.g);
    return chart_finish(p, &c, name, err);
}

enum bb_status bb_plot_chart_scatter(struct bb_plot *p, const char *name, const char *title,
                                     const char *xlabel, const char *ylabel, size_t n,
                                     const double *x, const double *y, struct bb_error *err)
{
    struct chart c;
    enum bb_status st = chart_open(&c, err);
    if (st)
        return st;
    fputs("# gold\tpredicted\n", c.d);
    for (size_t i = 0; i < n; i++) {
        num(c.d, x[i]);
        fputc('\t', c.d);
        num(c.d, y[i]);
        fputc('\n', c.d);
    }
    header(c.g, name, title, 800, 640);
    fputs("set xlabel ", c.g);
    q(c.g, xlabel);
    fputs("\nset ylabel ", c.g);
    q(c.g, ylabel);
    fputs("\nset grid xtics ytics lc rgb '#dddddd'\nset autoscale fix\n"
          "set offsets graph 0.03, graph 0.03, graph 0.03, graph 0.03\n", c.g);
    fputs("unset key\n", c.g);
    fprintf(c.g, "plot '%s.dat' using 1:2 with points pt 7 ps 0.6 lc rgb '#504c72b0' "
            "title 'one sentence pair'\n", name);
    return chart_finish(p, &c, name, err);
}

enum bb_status bb_plot_chart_confusion(struct bb_plot *p, const char *name, const char *title,
                                       size_t k, const char *const *labels, const double *counts,
                                       struct bb_error *err)
{
    struct chart c;
    enum bb_status st = chart_open(&c, err);
    if (st)
        return st;
    fputs("# predicted_index\tgold_index\tcount\tshare_of_gold_row\n", c.d);
    for (size_t g = 0; g < k; g++) {
        double row = 0;
        for (size_t j = 0; j < k; j++)
            row += counts[g * k + j];
        for (size_t j = 0; j < k; j++) {
            fprintf(c.d, "%zu\t%zu\t", j, g);
            num(c.d, counts[g * k + j]);
            fputc('\t', c.d);
            num(c.d, row > 0 ? counts[g * k + j] / row : 0);
            fputc('\n', c.d);
        }
        fputc('\n', c.d);
    }
    int side = k > 12 ? 1100 : 700;
    header(c.g, name, title, side + 120, side);
    fputs("set xlabel 'predicted label'\nset ylabel 'gold label'\nunset grid\nunset key\n"
          "set border 15\nset palette defined (0 '#ffffff', 1 '#9ecae1', 2 '#2171b5')\n"
          "set cbrange [0:1]\nset cblabel 'share of the gold row'\nset tics scale 0\n", c.g);
    fprintf(c.g, "set xrange [-0.5:%zu.5]\nset yrange [%zu.5:-0.5]\n", k ? k - 1 : 0,
            k ? k - 1 : 0);
    char sb[64];
    fputs("set xtics rotate by 35 right (", c.g);
    for (size_t i = 0; i < k; i++) {
        fputs(i ? ", " : "", c.g);
        q(c.g, shorten(labels[i], sb, sizeof sb));
        fprintf(c.g, " %zu", i);
    }
    fputs(")\nset ytics (", c.g);
    for (size_t i = 0; i < k; i++) {
        fputs(i ? ", " : "", c.g);
        q(c.g, shorten(labels[i], sb, sizeof sb));
        fprintf(c.g, " %zu", i);
    }
    fputs(")\n", c.g);
    fprintf(c.g, "plot '%s.dat' using 1:2:4 with image, \\\n"
            "     '' using 1:2:(sprintf('%%d', $3)) with labels font ',%d'\n",
            name, k > 12 ? 7 : 12);
    return chart_finish(p, &c, name, err);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

enum bb_status bb_plot_chart_latency(struct bb_plot *p, const char *name, const char *title,
                                     const char *ylabel, size_t n, const long *batch,
                                     const long *seq, const double *y, const double *y90,
                                     struct bb_error *err)
{
    struct chart c;
    enum bb_status st = chart_open(&c, err);
    if (st)
        return st;
    long *seqs = malloc((n ? n : 1) * sizeof *seqs), *bs = malloc((n ? n : 1) * sizeof *bs);
    if (!seqs || !bs) {
        free(seqs), free(bs);
        fclose(c.d), fclose(c.g), free(c.dat), free(c.gp);
        return bb_fail(err, BB_E_NOMEM, "out of memory for chart %s", name);
    }
    memcpy(seqs, seq, n * sizeof *seqs);
    qsort(seqs, n, sizeof *seqs, cmp_long);
    size_t ns = 0;
    for (size_t i = 0; i < n; i++)
        if (!ns || seqs[i] != seqs[ns - 1])
            seqs[ns++] = seqs[i];
    /* one block per sequence length, rows by batch size */
    for (size_t s = 0; s < ns; s++) {
        fprintf(c.d, "# seq_len %ld: batch_size\t%s\n", seqs[s],
                y90 ? "p50_ms\tp90_ms" : "items_per_s");
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (seq[i] == seqs[s])
                bs[m++] = batch[i];
        qsort(bs, m, sizeof *bs, cmp_long);
        for (size_t k = 0; k < m; k++)
            for (size_t i = 0; i < n; i++)
                if (seq[i] == seqs[s] && batch[i] == bs[k]) {
                    fprintf(c.d, "%ld\t", batch[i]);
                    num(c.d, y[i]);
                    if (y90)
                        fputc('\t', c.d), num(c.d, y90[i]);
                    fputc('\n', c.d);
                    break;
                }
        fputs("\n\n", c.d);
    }
    header(c.g, name, title, 900, 560);
    fputs("set xlabel 'batch size (sentences, log scale)'\nset ylabel ", c.g);
    q(c.g, ylabel);
    fputs("\nset logscale x 2\nset offsets graph 0.05, graph 0.05, graph 0.05, 0\n"
          "set yrange [0:*]\nset grid xtics ytics lc rgb '#dddddd'\n", c.g);
    fputs("plot ", c.g);
    for (size_t s = 0; s < ns; s++) {
        char t[80];
        snprintf(t, sizeof t, "%ld tokens per sentence", seqs[s]);
        if (y90)
            fprintf(c.g, "%s'%s.dat' index %zu using 1:2:2:3 with yerrorlines lw 2 pt 7 title ",
                    s ? ", \\\n     " : "", name, s);
        else
            fprintf(c.g, "%s'%s.dat' index %zu using 1:2 with linespoints lw 2 pt 7 title ",
                    s ? ", \\\n     " : "", name, s);
        q(c.g, t);
    }
    fputs(ns ? "\n" : "NaN\n", c.g);
    free(seqs), free(bs);
    return chart_finish(p, &c, name, err);
}

enum bb_status bb_plot_chart_ir(struct bb_plot *p, const char *name, const char *title, size_t n,
                                const char *const *labels, const double *ir, const double *lo,
                                const double *hi, const bool *small, struct bb_error *err)
{
    struct chart c;
    enum bb_status st = chart_open(&c, err);
    if (st)
        return st;
    double xmax = 1.1;
    size_t longest = 0;
    fputs("# y\tgroup\timpact_ratio\tci_low\tci_high\tsmall\n", c.d);
    for (size_t i = 0; i < n; i++) {
        fprintf(c.d, "%zu\t", i);
        label_cell(c.d, labels[i]);
        if (small[i])
            fputs(" (small)", c.d);
        fputc('\t', c.d), num(c.d, ir[i]);
        fputc('\t', c.d), num(c.d, lo ? lo[i] : NAN);
        fputc('\t', c.d), num(c.d, hi ? hi[i] : NAN);
        fprintf(c.d, "\t%d\n", small[i] ? 1 : 0);
        if (!isnan(ir[i]) && ir[i] > xmax)
            xmax = ir[i];
        if (hi && !isnan(hi[i]) && hi[i] > xmax)
            xmax = hi[i];
        if (labels[i] && strlen(labels[i]) > longest)
            longest = strlen(labels[i]);
    }
    int lm = 4 + (int)((double)((longest > 28 ? 28 : longest) + 8) * 0.7);
    header(c.g, name, title, 1000, 200 + 34 * (int)(n < 4 ? 4 : n));
    fprintf(c.g, "set xlabel 'impact ratio (four-fifths convention; 1 = the most selected group)'\n"
            "set lmargin %d\nset xrange [0:%.3g]\nset yrange [%zu.6:-0.6]\nset ytics scale 0\n"
            "set grid xtics noytics lc rgb '#dddddd'\n"
            "set arrow from 1.0, graph 0 to 1.0, graph 1 nohead lc rgb '#333333' lw 1.5\n"
            "set arrow from 0.8, graph 0 to 0.8, graph 1 nohead lc rgb '#c44e52' dt 2 lw 1.5\n"
            "lo(v, l) = (l == l) ? l : v\nhi(v, h) = (h == h) ? h : v\n"
            "set key outside right center vertical Left reverse\n",
            lm > 40 ? 40 : lm, xmax * 1.05 + 0.05, n ? n - 1 : 0);
    fprintf(c.g, "plot '%s.dat' using ($6 == 0 ? $3 : NaN):1:(lo($3,$4)):(hi($3,$5)):ytic(2) "
            "with xerrorbars pt 7 ps 1.3 lc rgb '#4c72b0' title 'group', \\\n"
            "     '' using ($6 == 1 ? $3 : NaN):1:(lo($3,$4)):(hi($3,$5)) with xerrorbars pt 6 "
            "ps 1.3 lc rgb '#9a9a9a' title 'small group (< 2%%, not compared)', \\\n"
            "     NaN with lines lc rgb '#c44e52' dt 2 lw 1.5 title '0.8 (four-fifths)', \\\n"
            "     NaN with lines lc rgb '#333333' lw 1.5 title '1.0 (parity)'\n", name);
    return chart_finish(p, &c, name, err);
}

static enum bb_status clusters_chart(struct bb_plot *p, const char *name, const char *title,
                               const char *ylabel, size_t nc, const char *const *clusters,
                               size_t ns, const char *const *series, const double *values,
                               const double *lo, const double *hi, bool logy,
                               struct bb_error *err);

enum bb_status bb_plot_chart_clusters(struct bb_plot *p, const char *name, const char *title,
                                      const char *ylabel, size_t nc, const char *const *clusters,
                                      size_t ns, const char *const *series, const double *values,
                                      const double *lo, const double *hi, struct bb_error *err)
{
    return clusters_chart(p, name, title, ylabel, nc, clusters, ns, series, values, lo, hi, false,
                          err);
}

enum bb_status bb_plot_chart_clusters_log(struct bb_plot *p, const char *name, const char *title,
                                          const char *ylabel, size_t nc,
                                          const char *const *cl, size_t ns,
                                          const char *const *series, const double *values,
                                          const double *lo, const double *hi,
                                          struct bb_error *err)
{
    return clusters_chart(p, name, title, ylabel, nc, cl, ns, series, values, lo, hi, true, err);
}

static enum bb_status clusters_chart(struct bb_plot *p, const char *name, const char *title,
                               const char *ylabel, size_t nc, const char *const *clusters,
                               size_t ns, const char *const *series, const double *values,
                               const double *lo, const double *hi, bool logy,
                               struct bb_error *err)
{
    struct chart c;
    enum bb_status st = chart_open(&c, err);
    if (st)
        return st;
    bool nonneg = true;
    fputs("# cluster", c.d);
    for (size_t s = 0; s < ns; s++)
        fprintf(c.d, "\tseries%zu_value\tseries%zu_ci_low\tseries%zu_ci_high", s, s, s);
    fputc('\n', c.d);
    for (size_t k = 0; k < nc; k++) {
        label_cell(c.d, clusters[k]);
        for (size_t s = 0; s < ns; s++) {
            double v = values[k * ns + s];
            double l = lo ? lo[k * ns + s] : NAN, h = hi ? hi[k * ns + s] : NAN;
            /* histogram errorbars need both ends: no CI -> a zero-length bar */
            fputc('\t', c.d), num(c.d, v);
            fputc('\t', c.d), num(c.d, isnan(l) ? v : l);
            fputc('\t', c.d), num(c.d, isnan(h) ? v : h);
            if (v < 0 || l < 0)
                nonneg = false;
        }
        fputc('\n', c.d);
    }
    header(c.g, name, title, width_for(nc * ns, 30, 320, 2000), 560);
    rot_margin(c.g, nc, clusters);
    fputs("set ylabel ", c.g);
    q(c.g, ylabel);
    fprintf(c.g, "\nset style data histograms\nset style histogram errorbars gap 1.5 lw 1.2\n"
            "set style fill solid 0.8 border rgb '#333333'\nset boxwidth 0.9\n"
            "set xtics rotate by 35 right scale 0\nset xzeroaxis lt -1\n%s",
            nonneg ? "set yrange [0:*]\n" : "");
    static const char *const pal[] = {"#4c72b0", "#dd8452", "#55a868", "#c44e52",
                                      "#8172b3", "#937860", "#da8bc3", "#8c8c8c"};
    if (logy) { /* dots with whiskers on a log axis: values spanning decades stay readable */
        fprintf(c.g, "set style data points\nset logscale y\nset yrange [*:*]\n"
                "set grid ytics mytics lc rgb '#dddddd'\nset xrange [-0.6:%g]\n"
                "set offsets 0, 0, graph 0.05, graph 0.05\n", (double)nc - 0.4);
        fputs("plot ", c.g);
        size_t shown = 0;
        for (size_t s = 0; s < ns; s++) {
            bool any = false;
            for (size_t k = 0; k < nc && !any; k++)
                any = values[k * ns + s] > 0;
            if (!any)
                continue;
            double off = ns > 1 ? -0.25 + 0.5 * (double)s / (double)(ns - 1) : 0;
            fprintf(c.g, "%s'%s.dat' using ($0%+g):%zu:%zu:%zu%s with yerrorbars pt 7 ps 1.4 "
                    "lc rgb '%s' title ", shown ? ", \\\n     " : "", name, off, 2 + 3 * s,
                    3 + 3 * s, 4 + 3 * s, shown ? "" : ":xtic(1)", pal[s % 8]);
            q(c.g, series[s]);
            shown++;
        }
        fputs(shown ? "\n" : "NaN title 'no data'\n", c.g);
        return chart_finish(p, &c, name, err);
    }
    fputs("plot ", c.g);
    size_t shown = 0;
    for (size_t s = 0; s < ns; s++) {
        bool any = false; /* gnuplot refuses a histogram column without a valid point */
        for (size_t k = 0; k < nc && !any; k++)
            any = !isnan(values[k * ns + s]);
        if (!any)
            continue;
        fprintf(c.g, "%s'%s.dat' using %zu:%zu:%zu%s lc rgb '%s' title ",
                shown ? ", \\\n     " : "", name, 2 + 3 * s, 3 + 3 * s, 4 + 3 * s,
                shown ? "" : ":xtic(1)", pal[s % 8]);
        q(c.g, series[s]);
        shown++;
    }
    fputs(shown ? "\n" : "NaN title 'no data'\n", c.g);
    return chart_finish(p, &c, name, err);
}

/* Left margin (characters) that fits the longest of n labels (shortened). */
static int margin_for(size_t n, const char *const *labels, size_t max)
{
    size_t longest = 4;
    for (size_t i = 0; i < n; i++) {
        size_t l = labels[i] ? strlen(labels[i]) : 0;
        longest = l > longest ? l : longest;
    }
    return 3 + (int)(longest > max ? max : longest);
}

/* A text cell split at its first newline into two .dat columns. */
static void two_lines(FILE *f, const char *s)
{
    const char *nl = s ? strchr(s, '\n') : NULL;
    char first[200];
    if (!nl) {
        cell(f, s);
        fputs("\t-", f);
        return;
    }
    snprintf(first, sizeof first, "%.*s", (int)(nl - s < 199 ? nl - s : 199), s);
    cell(f, first);
    fputc('\t', f);
    cell(f, nl + 1);
}

enum bb_status bb_plot_chart_grid(struct bb_plot *p, const char *name, const struct bb_plot_grid *g,
                                  struct bb_error *err)
{
    static const char *const lev_rgb[4] = {"#d9d9d9", "#fdae6b", "#c44e52", "#6a51a3"};
    struct chart c;
    enum bb_status st = chart_open(&c, err);
    if (st)
        return st;
    size_t nl = g->n_levels > 4 ? 4 : g->n_levels;
    char sb[64];
    fputs("# x\ty\tlevel\ttext_line1\ttext_line2\n", c.d);
    for (size_t y = 0; y < g->ny; y++)
        for (size_t x = 0; x < g->nx; x++) {
            fprintf(c.d, "%zu\t%zu\t", x, y);
            num(c.d, g->level[y * g->nx + x]);
            fputc('\t', c.d);
            two_lines(c.d, g->text ? g->text[y * g->nx + x] : NULL);
            fputc('\n', c.d);
        }
    int lm = margin_for(g->ny, g->ynames, 36);
    int w = 160 + lm * 8 + (int)g->nx * 150, h = 190 + 34 * (int)(g->ny < 3 ? 3 : g->ny);
    /* the title centres over the tiles, right of a wide margin: keep it whole */
    int tw = lm * 8 + (int)(7.2 * (double)u8len(g->title)) + 120;
    w = w < tw ? tw : w;
    header(c.g, name, g->title, w < 700 ? 700 : w > 2200 ? 2200 : w, h > 4000 ? 4000 : h);
    fprintf(c.g, "unset grid\nset border 0\nset tics scale 0\nset lmargin %d\n"
            "set xrange [-0.5:%zu.5]\nset yrange [%zu.5:-0.5]\nset x2tics (", lm,
            g->nx ? g->nx - 1 : 0, g->ny ? g->ny - 1 : 0);
    for (size_t x = 0; x < g->nx; x++) {
        fputs(x ? ", " : "", c.g);
        q(c.g, shorten(g->xnames[x], sb, sizeof sb));
        fprintf(c.g, " %zu", x);
    }
    fputs(")\nunset xtics\nset x2range [-0.5:", c.g);
    fprintf(c.g, "%zu.5]\nset ytics (", g->nx ? g->nx - 1 : 0);
    for (size_t y = 0; y < g->ny; y++) {
        fputs(y ? ", " : "", c.g);
        q(c.g, shorten(g->ynames[y], sb, sizeof sb));
        fprintf(c.g, " %zu", y);
    }
    fputs(")\nset xlabel ", c.g);
    q(c.g, g->xlabel ? g->xlabel : "");
    fputs("\nset ylabel ", c.g);
    q(c.g, g->ylabel ? g->ylabel : "");
    fputs("\nset style fill solid 1.0 border rgb '#ffffff'\n", c.g);
    if (nl) {
        fputs("unset colorbox\nlevel_rgb(l) = ", c.g);
        for (size_t k = 0; k < nl; k++)
            fprintf(c.g, "l == %zu ? 0x%s : ", k, lev_rgb[k] + 1);
        fputs("0xffffff\n", c.g);
        fprintf(c.g, "plot '%s.dat' using 1:2:(0.5):(0.5):(level_rgb($3)) with boxxyerror "
                "lc rgb variable", name);
    } else {
        fprintf(c.g, "set palette defined (0 '#f7fbff', 1 '#9ecae1', 2 '#4292c6')\n"
                "set cbrange [%.6g:%.6g]\nset cblabel ", g->lo, g->hi > g->lo ? g->hi : g->lo + 1);
        q(c.g, g->cblabel ? g->cblabel : "");
        fprintf(c.g, "\nset colorbox vertical\nset rmargin 16\n"
                "plot '%s.dat' using 1:2:(0.5):(0.5):3 with boxxyerror lc palette", name);
    }
    fputs(", \\\n     '' using 1:2:4 with labels offset 0,0.45 font ',10', \\\n"
          "     '' using 1:2:5 with labels offset 0,-0.55 font ',9' tc rgb '#333333'", c.g);
    for (size_t k = 0; k < nl; k++) {
        fprintf(c.g, ", \\\n     NaN with boxes lc rgb '%s' title ", lev_rgb[k]);
        q(c.g, g->level_names[k] ? g->level_names[k] : "");
    }
    fputs("\n", c.g);
    return chart_finish(p, &c, name, err);
}

enum bb_status bb_plot_chart_diverging(struct bb_plot *p, const char *name, const char *title,
                                       const char *xlabel, size_t n, const char *const *labels,
                                       const double *value, const double *lo, const double *hi,
                                       const char *neg_name, const char *pos_name,
                                       struct bb_error *err)
{
    struct chart c;
    enum bb_status st = chart_open(&c, err);
    if (st)
        return st;
    double xmax = 0;
    fputs("# y\tpair\tvalue\tci_low\tci_high\n", c.d);
    for (size_t i = 0; i < n; i++) {
        char sb[200];
        fprintf(c.d, "%zu\t", i);
        cell(c.d, shorten_to(labels[i], sb, sizeof sb, 60));
        fputc('\t', c.d), num(c.d, value[i]);
        fputc('\t', c.d), num(c.d, lo ? lo[i] : NAN);
        fputc('\t', c.d), num(c.d, hi ? hi[i] : NAN);
        fputc('\n', c.d);
        const double e[3] = {value[i], lo ? lo[i] : NAN, hi ? hi[i] : NAN};
        for (int k = 0; k < 3; k++)
            if (!isnan(e[k]) && !isinf(e[k]) && fabs(e[k]) > xmax)
                xmax = fabs(e[k]);
    }
    xmax = xmax > 0 ? xmax * 1.15 : 1;
    int lm = margin_for(n, labels, 60);
    header(c.g, name, title, 1000 + 7 * (lm > 30 ? lm - 30 : 0), 200 + 30 * (int)(n < 4 ? 4 : n));
    fputs("set xlabel ", c.g);
    q(c.g, xlabel);
    fprintf(c.g, "\nset lmargin %d\nset xrange [%.6g:%.6g]\nset yrange [%zu.6:-0.6]\n"
            "set ytics scale 0\nset grid xtics noytics lc rgb '#dddddd'\n"
            "set style fill solid 0.8 border rgb '#333333'\n"
            "set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb '#000000' lw 1.5\n"
            "side(v) = v < 0 ? 0xc44e52 : 0x4c72b0\n"
            "lo(v, l) = (l == l) ? l : v\nhi(v, h) = (h == h) ? h : v\n",
            lm, -xmax, xmax, n ? n - 1 : 0);
    fprintf(c.g, "plot '%s.dat' using ($3/2):1:(abs($3)/2):(0.32):(side($3)):ytic(2) "
            "with boxxyerror lc rgb variable, \\\n"
            "     '' using 3:1:(lo($3,$4)):(hi($3,$5)) with xerrorbars pt 7 ps 0.5 "
            "lc rgb '#222222' lw 1.2, \\\n     NaN with boxes lc rgb '#c44e52' title ", name);
    q(c.g, neg_name);
    fputs(", \\\n     NaN with boxes lc rgb '#4c72b0' title ", c.g);
    q(c.g, pos_name);
    fputs(", \\\n     NaN with lines lc rgb '#222222' lw 1.2 title 'whisker: 95% CI'\n", c.g);
    return chart_finish(p, &c, name, err);
}

/* ---- likelihood tasks ---------------------------------------------------------- */

enum bb_status bb_plot_chart_refdots(struct bb_plot *p, const char *name,
                                     const struct bb_plot_refdots *r, struct bb_error *err)
{
    static const char *const colours[] = {"#4c72b0", "#dd8452", "#55a868", "#c44e52",
                                          "#8172b3", "#937860"};
    struct chart c;
    enum bb_status st = chart_open(&c, err);
    if (st)
        return st;
    size_t n = r->n, ns = r->ns ? r->ns : 1, longest = 0;
    double lo = r->ref, hi = r->ref;
    fputs("# y\tlabel", c.d);
    for (size_t s = 0; s < ns; s++)
        fprintf(c.d, "\tvalue%zu\tci_low%zu\tci_high%zu", s, s, s);
    fputc('\n', c.d);
    for (size_t i = 0; i < n; i++) {
        fprintf(c.d, "%zu\t", i);
        label_cell(c.d, r->labels[i]);
        for (size_t s = 0; s < ns; s++) {
            size_t k = i * ns + s;
            double v = r->value[k], l = r->lo ? r->lo[k] : NAN, h = r->hi ? r->hi[k] : NAN;
            fputc('\t', c.d), num(c.d, v);
            fputc('\t', c.d), num(c.d, l);
            fputc('\t', c.d), num(c.d, h);
            for (int t = 0; t < 3; t++) {
                double x = t == 0 ? v : t == 1 ? l : h;
                if (!isnan(x) && !isinf(x))
                    lo = fmin(lo, x), hi = fmax(hi, x);
            }
        }
        fputc('\n', c.d);
        if (r->labels[i] && strlen(r->labels[i]) > longest)
            longest = strlen(r->labels[i]);
    }
    if (r->has_range)
        lo = fmin(lo, r->xmin), hi = fmax(hi, r->xmax);
    double pad = (hi - lo) * 0.06 + 1e-9;
    int lm = 4 + (int)((double)((longest > 28 ? 28 : longest) + 8) * 0.7);
    header(c.g, name, r->title, 1000, 220 + 30 * (int)((n < 4 ? 4 : n) * (ns > 1 ? 1.4 : 1.0)));
    fputs("set xlabel ", c.g);
    q(c.g, r->xlabel);
    fprintf(c.g, "\nset lmargin %d\nset xrange [%.9g:%.9g]\nset yrange [%zu.7:-0.7]\n"
            "set ytics scale 0\nset grid xtics noytics lc rgb '#dddddd'\n"
            "set arrow from %.9g, graph 0 to %.9g, graph 1 nohead lc rgb '#333333' dt 2 lw 1.5\n"
            "lo(v, l) = (l == l) ? l : v\nhi(v, h) = (h == h) ? h : v\n",
            lm > 40 ? 40 : lm, lo - pad, hi + pad, n ? n - 1 : 0, r->ref, r->ref);
    fputs("plot ", c.g);
    for (size_t s = 0; s < ns; s++) {
        double off = ns > 1 ? ((double)s - (double)(ns - 1) / 2.0) * 0.5 / (double)ns : 0;
        size_t col = 3 + 3 * s;
        fprintf(c.g,
                "%s'%s.dat' using %zu:($1%+.3f):(lo($%zu,$%zu)):(hi($%zu,$%zu))%s with xerrorbars "
                "pt 7 ps 1.2 lc rgb '%s' title ",
                s ? ", \\\n     " : "", name, col, off, col, col + 1, col, col + 2,
                s == 0 ? ":ytic(2)" : "", colours[s % 6]);
        q(c.g, r->series && r->series[s] ? r->series[s] : "");
    }
    fputs(", \\\n     NaN with lines lc rgb '#333333' dt 2 lw 1.5 title ", c.g);
    q(c.g, r->ref_label ? r->ref_label : "ideal");
    fputc('\n', c.g);
    return chart_finish(p, &c, name, err);
}

enum bb_status bb_plot_chart_reliability(struct bb_plot *p, const char *name, const char *title,
                                         const char *xlabel, int n_bins, const long *count,
                                         const double *conf, const double *acc,
                                         struct bb_error *err)
{
    struct chart c;
    enum bb_status st = chart_open(&c, err);
    if (st)
        return st;
    fputs("# bin_low\tbin_high\tcount\tmean_confidence\taccuracy\n", c.d);
    for (int b = 0; b < n_bins; b++) {
        fprintf(c.d, "%.9g\t%.9g\t%ld\t", (double)b / n_bins, (double)(b + 1) / n_bins, count[b]);
        num(c.d, conf[b]);
        fputc('\t', c.d);
        num(c.d, acc[b]);
        fputc('\n', c.d);
    }
    header(c.g, name, title, 800, 640);
    fputs("set xlabel ", c.g);
    q(c.g, xlabel);
    fputs("\nset ylabel 'accuracy in the bin'\n"
          "set xrange [0:1]\nset yrange [0:1.1]\nset xtics 0.1\nset ytics 0.1\n"
          "set grid xtics ytics lc rgb '#dddddd'\nset style fill solid 0.55 border rgb '#4c72b0'\n",
          c.g);
    fprintf(c.g,
            "plot '%s.dat' using (($1 + $2) / 2):5:(($2 - $1) * 0.92) with boxes "
            "lc rgb '#4c72b0' title 'accuracy of the bin', \\\n"
            "     x with lines dt 2 lw 1.5 lc rgb '#555555' title 'perfect calibration', \\\n"
            "     '%s.dat' using 4:5 with points pt 7 ps 1 lc rgb '#c44e52' "
            "title 'mean confidence of the bin', \\\n"
            "     '%s.dat' using (($1 + $2) / 2):($3 > 0 ? $5 + 0.035 : 1/0):(sprintf('%%d', $3)) "
            "with labels font ',9' notitle\n",
            name, name, name);
    return chart_finish(p, &c, name, err);
}
