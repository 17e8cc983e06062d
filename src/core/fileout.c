/* fileout.c: atomic result files (temp + rename) with cleanup on interrupt. */
#include "fileout.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"

#define MAX_OPEN 64

/* Temporaries currently open, for the signal handler (async-signal-safe unlink). */
static char g_open[MAX_OPEN][4096];
static volatile sig_atomic_t g_used[MAX_OPEN];

static void on_signal(int sig)
{
    for (int i = 0; i < MAX_OPEN; i++)
        if (g_used[i])
            unlink(g_open[i]);
    signal(sig, SIG_DFL);
    _exit(128 + sig);
}

void bb_fileout_install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static void track(const char *tmp, int on)
{
    for (int i = 0; i < MAX_OPEN; i++) {
        if (on && !g_used[i]) {
            snprintf(g_open[i], sizeof g_open[i], "%s", tmp);
            g_used[i] = 1;
            return;
        }
        if (!on && g_used[i] && !strcmp(g_open[i], tmp)) {
            g_used[i] = 0;
            return;
        }
    }
}

void bb_fileout_remove_on_signal(const char *path, int on)
{
    track(path, on);
}

enum bb_status bb_fileout_open(struct bb_fileout *fo, const char *path, struct bb_error *err)
{
    memset(fo, 0, sizeof *fo);
    if (!strcmp(path, "-")) {
        fo->fp = stdout;
        snprintf(fo->path, sizeof fo->path, "-");
        return BB_OK;
    }
    snprintf(fo->path, sizeof fo->path, "%s", path);
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        /* a device, FIFO or terminal (/dev/null, /dev/stdout): write in place,
         * never rename over it */
        fo->fp = fopen(path, "w");
        if (!fo->fp)
            return bb_fail(err, BB_E_IO, "%s: cannot write: %s", path, strerror(errno));
        return BB_OK;
    }
    snprintf(fo->tmp_path, sizeof fo->tmp_path, "%s.tmp.%ld", path, (long)getpid());
    fo->fp = fopen(fo->tmp_path, "w");
    if (!fo->fp)
        return bb_fail(err, BB_E_IO, "%s: cannot write: %s", path, strerror(errno));
    track(fo->tmp_path, 1);
    return BB_OK;
}

enum bb_status bb_fileout_commit(struct bb_fileout *fo, struct bb_error *err)
{
    if (!fo->fp)
        return bb_fail(err, BB_E_INTERNAL, "%s: committed twice", fo->path);
    if (fo->fp == stdout) {
        fo->fp = NULL;
        return fflush(stdout) ? bb_fail(err, BB_E_IO, "stdout: write failed") : BB_OK;
    }
    if (!fo->tmp_path[0]) { /* written in place */
        int bad = ferror(fo->fp) | fclose(fo->fp);
        fo->fp = NULL;
        return bad ? bb_fail(err, BB_E_IO, "%s: write failed", fo->path) : BB_OK;
    }
    /* e: the first failure's errno; the fault hooks (fault.h) stand for a full
       disk while flushing and an I/O error while renaming */
    const void *site = BB_CALLER;
    const char *what = "write";
    int e = 0;
    if (ferror(fo->fp) || fflush(fo->fp) || fsync(fileno(fo->fp)))
        e = errno ? errno : EIO;
    else if (bb_fault(BB_FAULT_WRITE, site))
        e = ENOSPC;
    if (fclose(fo->fp) && !e)
        e = errno ? errno : EIO;
    fo->fp = NULL;
    if (!e && (what = "rename into place", bb_fault(BB_FAULT_RENAME, site)))
        e = EIO;
    if (!e && rename(fo->tmp_path, fo->path))
        e = errno ? errno : EIO;
    if (e) {
        unlink(fo->tmp_path);
        track(fo->tmp_path, 0);
        return bb_fail(err, BB_E_IO, "%s: %s failed: %s", fo->path, what, strerror(e));
    }
    track(fo->tmp_path, 0);
    return BB_OK;
}

void bb_fileout_abort(struct bb_fileout *fo)
{
    if (fo->fp && fo->fp != stdout) {
        fclose(fo->fp);
        if (fo->tmp_path[0]) {
            unlink(fo->tmp_path);
            track(fo->tmp_path, 0);
        }
    }
    fo->fp = NULL;
}
