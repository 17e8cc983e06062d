/* fileout.h: result files written atomically: to a temporary name beside the
 * target, renamed into place on commit, and removed if the process is
 * interrupted (SIGINT, SIGTERM, SIGHUP) — so a result file is complete or absent.
 * A target that exists and is not a regular file (/dev/null, a FIFO) is
 * written in place: renaming over it would replace the device. */
#ifndef BB_FILEOUT_H
#define BB_FILEOUT_H

#include <stdio.h>

#include "status.h"

struct bb_fileout {
    FILE *fp;
    char path[4096];     /* final name */
    char tmp_path[4096]; /* temporary name while writing */
};

/* Install SIGINT/SIGTERM/SIGHUP handlers that delete open temporaries (and the
 * paths given to bb_fileout_remove_on_signal) and exit with 128 + the signal
 * number (130, 143, 129). */
void bb_fileout_install_signal_handlers(void);
/* Also delete path (a lock file) if a signal ends the process (on = 1), or no
 * longer (on = 0). */
void bb_fileout_remove_on_signal(const char *path, int on);
/* Open path's temporary for writing ("-" writes to stdout directly). */
enum bb_status bb_fileout_open(struct bb_fileout *fo, const char *path, struct bb_error *err);
/* Flush, close and rename into place. */
enum bb_status bb_fileout_commit(struct bb_fileout *fo, struct bb_error *err);
/* Close and delete the temporary (on any error path). Safe to call twice. */
void bb_fileout_abort(struct bb_fileout *fo);

#endif
