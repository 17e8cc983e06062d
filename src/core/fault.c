/* fault.c: the fault-injection switch (fault.h, docs/fault-injection.md):
 * parse BIASBENCH_FAULT, count calls and distinct call sites per kind, and
 * say which call fails. No allocation here: the malloc hook calls in. */
#include "fault.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SITE_SLOTS 8192 /* per kind; a site past a full table counts as a call only */

int bb_fault_state = -1;

static const char *const kind_names[BB_FAULT_KINDS] = {
    "cl-alloc", "cl-build", "cl-enqueue", "cl-finish", "malloc", "write", "rename",
    "dataset-open",
};

struct kind_count {
    unsigned long calls, sites;
    const void *slot[SITE_SLOTS]; /* open addressing: the sites seen */
};

static struct kind_count g_count[BB_FAULT_KINDS];
static int g_kind = -1;        /* the kind that fails, -1 in count mode */
static unsigned long g_target; /* its call number or site number, from 1 */
static int g_by_site;          /* target names a site (KIND:@N) */
static int g_fired;

const char *bb_fault_kind_name(enum bb_fault_kind kind)
{
    return (unsigned)kind < BB_FAULT_KINDS ? kind_names[kind] : NULL;
}

/* true when site is new for this kind (and records it). */
static int new_site(struct kind_count *c, const void *site)
{
    size_t h = ((uintptr_t)site * (uintptr_t)0x9E3779B97F4A7C15ull) >> 7;
    for (size_t i = 0; i < SITE_SLOTS; i++) {
        const void **s = &c->slot[(h + i) % SITE_SLOTS];
        if (*s == site)
            return 0;
        if (!*s) {
            *s = site;
            return 1;
        }
    }
    return 0;
}

/* One line on stderr without allocating (this runs inside the malloc hook). */
static void say_fired(enum bb_fault_kind kind, unsigned long call, unsigned long site_no,
                      const void *site)
{
    char line[256];
    Dl_info info;
    unsigned long off = 0;
    if (dladdr(site, &info) && info.dli_fbase)
        off = (unsigned long)((uintptr_t)site - (uintptr_t)info.dli_fbase);
    int n = snprintf(line, sizeof line,
                     "biasbench: fault injection: %s call %lu (site %lu, %p, offset %#lx in its "
                     "object) fails\n", kind_names[kind], call, site_no, site, off);
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line) < 0)
        return;
}

bool bb_fault_check(enum bb_fault_kind kind, const void *site)
{
    if (bb_fault_state <= 0 || (unsigned)kind >= BB_FAULT_KINDS)
        return false;
    struct kind_count *c = &g_count[kind];
    c->calls++;
    int fresh = new_site(c, site);
    c->sites += (unsigned long)fresh;
    if (g_fired || (int)kind != g_kind)
        return false;
    if (g_by_site ? !(fresh && c->sites == g_target) : c->calls != g_target)
        return false;
    g_fired = 1;
    say_fired(kind, c->calls, c->sites, site);
    return true;
}

static void report_counts(void)
{
    for (int k = 0; k < BB_FAULT_KINDS; k++)
        fprintf(stderr, "biasbench: fault count: %s calls %lu sites %lu\n", kind_names[k],
                g_count[k].calls, g_count[k].sites);
}

static void report_unfired(void)
{
    if (!g_fired)
        fprintf(stderr, "biasbench: fault injection: %s %s%lu was never reached (%lu calls, %lu "
                "sites)\n", kind_names[g_kind], g_by_site ? "site " : "call ", g_target,
                g_count[g_kind].calls, g_count[g_kind].sites);
}

enum bb_status bb_fault_init(struct bb_error *err)
{
    const char *v = getenv("BIASBENCH_FAULT");
    bb_fault_state = 0;
    if (!v || !*v)
        return BB_OK;
#ifdef BB_NO_FAULT_INJECTION
    return bb_fail(err, BB_E_USAGE, "BIASBENCH_FAULT is set, but this biasbench was configured "
                   "with --disable-fault-injection");
#endif
    if (!strcmp(v, "count")) {
        bb_fault_state = 1;
        atexit(report_counts);
        return BB_OK;
    }
    const char *colon = strchr(v, ':');
    for (int k = 0; colon && k < BB_FAULT_KINDS; k++)
        if ((size_t)(colon - v) == strlen(kind_names[k]) && !strncmp(v, kind_names[k], colon - v))
            g_kind = k;
    const char *num = colon ? colon + 1 : "";
    g_by_site = *num == '@';
    num += g_by_site;
    char *end;
    errno = 0;
    unsigned long n = *num >= '0' && *num <= '9' ? strtoul(num, &end, 10) : 0;
    if (g_kind < 0 || !n || errno || *end)
        return bb_fail(err, BB_E_USAGE, "BIASBENCH_FAULT: expected 'count', KIND:N or KIND:@N "
                       "(N from 1; KIND one of cl-alloc, cl-build, cl-enqueue, cl-finish, malloc, "
                       "write, rename, dataset-open), found '%s'", v);
    g_target = n;
    bb_fault_state = 1;
    atexit(report_unfired);
    return BB_OK;
}
