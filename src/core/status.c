/* status.c: error recording, status names and the status -> exit code map. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum bb_status bb_fail_at(struct bb_error *err, enum bb_status code,
                          const char *src_file, int src_line,
                          const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    err->src_file = src_file;
    err->src_line = src_line;
    return code;
}

void bb_error_prefix(struct bb_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char head[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t hl = strlen(head);
    if (hl + 2 >= sizeof err->msg)
        hl = sizeof err->msg - 3;
    memcpy(err->msg, head, hl);
    memcpy(err->msg + hl, ": ", 2);
    size_t room = sizeof err->msg - hl - 3;
    size_t ol = strnlen(old, room);
    memcpy(err->msg + hl + 2, old, ol);
    err->msg[hl + 2 + ol] = 0;
}

void bb_error_clear(struct bb_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

const char *bb_status_name(enum bb_status s)
{
    switch (s) {
    case BB_OK: return "ok";
    case BB_E_USAGE: return "usage error";
    case BB_E_INPUT: return "input error";
    case BB_E_IO: return "i/o error";
    case BB_E_NODEVICE: return "no such device";
    case BB_E_UNSUPPORTED: return "unsupported";
    case BB_E_DEVICE: return "device failure";
    case BB_E_NOMEM: return "out of memory";
    case BB_E_INTERNAL: return "internal error";
    case BB_E_GATE: return "gate failed";
    case BB_E_INTERRUPTED: return "interrupted";
    }
    return "unknown status";
}

int bb_status_exit_code(enum bb_status s)
{
    switch (s) {
    case BB_OK: return 0;
    case BB_E_GATE: return 1;
    case BB_E_USAGE: case BB_E_INPUT: case BB_E_IO:
    case BB_E_NODEVICE: case BB_E_UNSUPPORTED: return 2;
    case BB_E_DEVICE: case BB_E_NOMEM: case BB_E_INTERNAL: return 3;
    case BB_E_INTERRUPTED: return 130;
    }
    return 3;
}
