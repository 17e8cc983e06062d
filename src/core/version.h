/* version.h: what build this is: the package version and the git commit the
 * binary was built from (read at build time, so it never goes stale). */
#ifndef BB_VERSION_H
#define BB_VERSION_H

/* "0.1.0" */
const char *bb_version(void);
/* Short commit hash, with "-dirty" when the tree had uncommitted changes;
 * "unknown" outside a git checkout. */
const char *bb_build_commit(void);

#endif
