/* log.h: levelled logging to stderr and TTY-aware progress bars. */
#ifndef BB_LOG_H
#define BB_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum bb_log_level { BB_LOG_QUIET = -1, BB_LOG_ERROR = 0, BB_LOG_WARN, BB_LOG_INFO, BB_LOG_DEBUG };

void bb_log_set_level(enum bb_log_level level);
enum bb_log_level bb_log_get_level(void);
void bb_log(enum bb_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define bb_error_log(...) bb_log(BB_LOG_ERROR, __VA_ARGS__)
#define bb_warn(...) bb_log(BB_LOG_WARN, __VA_ARGS__)
#define bb_info(...) bb_log(BB_LOG_INFO, __VA_ARGS__)
#define bb_debug(...) bb_log(BB_LOG_DEBUG, __VA_ARGS__)

/* A plain status line on stderr ("biasbench: ..."), shown unless -q: what
 * CI logs need to not look stuck (task start and end). */
void bb_status_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress on stderr: a bar redrawn in place when stderr is a terminal;
 * otherwise (CI logs) a plain line every BB_PROGRESS_PLAIN_S seconds. */
#define BB_PROGRESS_PLAIN_S 30.0
struct bb_progress {
    const char *label;
    size_t total, done;
    double t_start, t_last_draw;
    bool active;
    bool plain; /* not a terminal: periodic lines */
};
void bb_progress_start(struct bb_progress *p, const char *label, size_t total);
void bb_progress_update(struct bb_progress *p, size_t done);
void bb_progress_end(struct bb_progress *p);

/* Monotonic wall clock in seconds. */
double bb_now(void);

#endif
