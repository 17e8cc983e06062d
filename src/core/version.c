/* version.c: the package version and the build's git commit (src/commit.h is
 * written by make on every build, and only touched when the commit changes). */
#include "config.h"

#include "version.h"

#include "commit.h"

const char *bb_version(void) { return PACKAGE_VERSION; }
const char *bb_build_commit(void) { return BB_BUILD_COMMIT; }
