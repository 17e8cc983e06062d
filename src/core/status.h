/* status.h: the one error convention of biasbench.
 * Every fallible function returns enum bb_status and fills an optional
 * struct bb_error with a message that names the file, field and problem. */
#ifndef BB_STATUS_H
#define BB_STATUS_H

#include <stddef.h>

enum bb_status {
    BB_OK = 0,
    BB_E_USAGE,       /* bad command-line arguments                      -> exit 2 */
    BB_E_INPUT,       /* malformed file, unknown name, bad value          -> exit 2 */
    BB_E_IO,          /* missing file, read/write error                   -> exit 2 */
    BB_E_NODEVICE,    /* no OpenCL platform, device selection matches none -> exit 2 */
    BB_E_UNSUPPORTED, /* model/op/feature not supported                   -> exit 2 */
    BB_E_DEVICE,      /* a device that exists failed (alloc, build, enqueue) -> exit 3 */
    BB_E_NOMEM,       /* host allocation failed                           -> exit 3 */
    BB_E_INTERNAL,    /* a bug                                            -> exit 3 */
    BB_E_GATE,        /* a CI gate failed                                 -> exit 1 */
    BB_E_INTERRUPTED  /* SIGINT/SIGTERM/SIGHUP (the handler exits 128 + sig) -> exit 130 */
};

struct bb_error {
    enum bb_status code;
    const char *src_file; /* where in biasbench the error was raised */
    int src_line;
    char msg[1024];       /* "file.json: field 'x': expected ..., found ..." */
};

/* Record an error (printf-style message) and return code. err may be NULL. */
enum bb_status bb_fail_at(struct bb_error *err, enum bb_status code,
                          const char *src_file, int src_line,
                          const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
#define bb_fail(err, code, ...) bb_fail_at((err), (code), __FILE__, __LINE__, __VA_ARGS__)

/* Prefix an existing error message with context ("loading model X: ..."). */
void bb_error_prefix(struct bb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void bb_error_clear(struct bb_error *err);
const char *bb_status_name(enum bb_status s);
/* Process exit code for a status, as DESIGN.md's decisions define them. */
int bb_status_exit_code(enum bb_status s);

#endif
