/* runlock.h: one run per run directory. `run` holds an exclusive flock(2) on
 * DIR/.biasbench.lock (which names its pid and start time) while it writes
 * DIR; a second run aimed at the same DIR refuses with a message naming the
 * holder instead of interleaving its files. The kernel drops the lock when
 * its process dies, so a lock file left by a killed run is stale by
 * construction: it is taken over with a warning naming the dead pid. */
#ifndef BB_RUNLOCK_H
#define BB_RUNLOCK_H

#include "core/status.h"

#define BB_RUNLOCK_NAME ".biasbench.lock"

struct bb_runlock {
    int fd; /* -1 when not held */
    char path[4200];
};

/* Lock dir (which exists) for this process; BB_E_USAGE when another process holds it. */
enum bb_status bb_runlock_acquire(struct bb_runlock *lk, const char *dir, struct bb_error *err);
/* Remove the lock file and drop the lock; safe on a lock never acquired (fd -1). */
void bb_runlock_release(struct bb_runlock *lk);

#endif
