/* runlock.c: the run directory's lock (runlock.h): flock on a lock file that
 * names its holder, unlinked on release and by the interrupt handler. */
#include "runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fileout.h"
#include "core/log.h"

/* The holder line of a lock file: "pid <N> started <UTC time>", or "". */
static void read_holder(int fd, char *buf, size_t n)
{
    ssize_t got = pread(fd, buf, n - 1, 0);
    buf[got > 0 ? got : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
}

/* The file at lk->path is still the one fd has open (a finishing run unlinks
 * it after we opened it: then our lock guards nothing). */
static int same_file(int fd, const char *path)
{
    struct stat a, b;
    return !fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* We hold the flock, so whoever wrote the file has died (or released it):
 * say so when it names another pid, then write ours. */
static enum bb_status claim(struct bb_runlock *lk, struct bb_error *err)
{
    char old[256], line[128], when[32];
    read_holder(lk->fd, old, sizeof old);
    long pid = 0;
    if (sscanf(old, "pid %ld", &pid) == 1 && pid != (long)getpid())
        bb_warn("%s: taking over a stale lock (%s: that process %s)", lk->path, old,
                kill((pid_t)pid, 0) && errno == ESRCH ? "is no longer running"
                                                      : "no longer holds it");
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int len = snprintf(line, sizeof line, "pid %ld started %s\n", (long)getpid(), when);
    if (ftruncate(lk->fd, 0) || pwrite(lk->fd, line, (size_t)len, 0) != len)
        return bb_fail(err, BB_E_IO, "%s: cannot write the lock file: %s", lk->path,
                       strerror(errno));
    return BB_OK;
}

enum bb_status bb_runlock_acquire(struct bb_runlock *lk, const char *dir, struct bb_error *err)
{
    lk->fd = -1;
    if (snprintf(lk->path, sizeof lk->path, "%s/%s", dir, BB_RUNLOCK_NAME) >= (int)sizeof lk->path)
        return bb_fail(err, BB_E_USAGE, "%s: run folder name too long", dir);
    for (int tries = 0; tries < 16; tries++) {
        int fd = open(lk->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return bb_fail(err, BB_E_IO, "%s: cannot create the run's lock file: %s", lk->path,
                           strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB)) {
            int e = errno;
            char holder[256];
            read_holder(fd, holder, sizeof holder);
            close(fd);
            if (e == EWOULDBLOCK)
                return bb_fail(err, BB_E_USAGE, "%s is in use by another biasbench run (%s; lock "
                               "file %s); wait for it to end or choose another --out", dir,
                               holder[0] ? holder : "holder unknown", lk->path);
            return bb_fail(err, BB_E_IO, "%s: cannot lock: %s", lk->path, strerror(e));
        }
        if (!same_file(fd, lk->path)) { /* released and removed meanwhile: lock the new one */
            close(fd);
            continue;
        }
        lk->fd = fd;
        bb_fileout_remove_on_signal(lk->path, 1);
        enum bb_status st = claim(lk, err);
        if (st)
            bb_runlock_release(lk);
        return st;
    }
    return bb_fail(err, BB_E_IO, "%s: the lock file keeps being replaced; is another run "
                   "starting in %s over and over?", lk->path, dir);
}

void bb_runlock_release(struct bb_runlock *lk)
{
    if (lk->fd < 0)
        return;
    /* unlink first, while we still hold the lock: a waiting run then sees a
       new file (same_file) rather than locking the one we removed */
    unlink(lk->path);
    bb_fileout_remove_on_signal(lk->path, 0);
    close(lk->fd);
    lk->fd = -1;
}
