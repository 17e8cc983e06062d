/* log.c: stderr logging with levels and a one-line progress bar (terminal only). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static enum bb_log_level g_level = BB_LOG_WARN;

void bb_log_set_level(enum bb_log_level level) { g_level = level; }
enum bb_log_level bb_log_get_level(void) { return g_level; }

void bb_log(enum bb_log_level level, const char *fmt, ...)
{
    static const char *const prefix[] = {"error", "warning", "info", "debug"};
    if (level > g_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "biasbench: %s: ", prefix[level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void bb_status_line(const char *fmt, ...)
{
    if (g_level < BB_LOG_WARN)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("biasbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    fflush(stderr);
    va_end(ap);
}

double bb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void bb_progress_start(struct bb_progress *p, const char *label, size_t total)
{
    p->label = label;
    p->total = total;
    p->done = 0;
    p->t_start = bb_now();
    p->t_last_draw = 0;
    p->active = g_level >= BB_LOG_WARN && isatty(STDERR_FILENO);
    p->plain = g_level >= BB_LOG_WARN && !p->active;
    p->t_last_draw = p->t_start;
}

/* One plain line: label done/total (pct), elapsed, estimate left. */
static void progress_line(struct bb_progress *p, double now)
{
    double el = now - p->t_start;
    double rate = el > 0 ? (double)p->done / el : 0;
    double left = rate > 0 && p->total > p->done ? (double)(p->total - p->done) / rate : 0;
    fprintf(stderr, "biasbench:   %s: %zu/%zu (%.0f%%), %.0f s elapsed, about %.0f s left\n",
            p->label, p->done, p->total, p->total ? 100.0 * (double)p->done / (double)p->total : 0,
            el, left);
    fflush(stderr);
}

static void progress_draw(struct bb_progress *p)
{
    double el = bb_now() - p->t_start;
    double rate = el > 0 ? (double)p->done / el : 0;
    double left = rate > 0 && p->total > p->done ? (double)(p->total - p->done) / rate : 0;
    int width = 30, fill = p->total ? (int)(width * (double)p->done / (double)p->total) : 0;
    fprintf(stderr, "\r%s [%.*s%*s] %zu/%zu  %.1f/s  %.0fs left ", p->label, fill,
            "##############################", width - fill, "", p->done, p->total, rate, left);
    fflush(stderr);
}

void bb_progress_update(struct bb_progress *p, size_t done)
{
    p->done = done;
    if (p->plain) {
        double now = bb_now();
        if (now - p->t_last_draw >= BB_PROGRESS_PLAIN_S && done < p->total) {
            p->t_last_draw = now;
            progress_line(p, now);
        }
        return;
    }
    if (!p->active)
        return;
    double now = bb_now();
    if (now - p->t_last_draw < 0.1 && done < p->total)
        return;
    p->t_last_draw = now;
    progress_draw(p);
}

void bb_progress_end(struct bb_progress *p)
{
    p->plain = false;
    if (!p->active)
        return;
    progress_draw(p);
    fputc('\n', stderr);
    p->active = false;
}
