/* fault.h: fault injection for tests (docs/fault-injection.md). With the
 * environment variable BIASBENCH_FAULT=KIND:N the Nth call of KIND fails, with
 * KIND:@N the first call from the Nth distinct call site of KIND (sites are
 * numbered in the order the run first reaches them); BIASBENCH_FAULT=count
 * fails nothing and prints, at exit, the calls and sites each kind reached.
 * The hooks sit where the real call is made: OpenCL buffer allocation,
 * program build, kernel enqueue and clFinish (src/backend/opencl.c), the
 * project's own malloc/calloc/realloc/aligned_alloc/strdup/strndup calls
 * (linker --wrap, src/core/fault_malloc.c, the biasbench binary only),
 * result-file writes and renames (src/core/fileout.c) and dataset opens
 * (src/suite/dataset.c). Unset, a hook costs one load and one branch;
 * configure --disable-fault-injection compiles them out. */
#ifndef BB_FAULT_H
#define BB_FAULT_H

#include <stdbool.h>

#include "config.h"
#include "status.h"

enum bb_fault_kind {
    BB_FAULT_CL_ALLOC,     /* clCreateBuffer: CL_MEM_OBJECT_ALLOCATION_FAILURE */
    BB_FAULT_CL_BUILD,     /* clBuildProgram: CL_OUT_OF_HOST_MEMORY */
    BB_FAULT_CL_ENQUEUE,   /* clEnqueueNDRangeKernel: CL_OUT_OF_RESOURCES */
    BB_FAULT_CL_FINISH,    /* clFinish: CL_OUT_OF_RESOURCES */
    BB_FAULT_MALLOC,       /* the project's own allocation calls: NULL, ENOMEM */
    BB_FAULT_WRITE,        /* flushing a result file: ENOSPC */
    BB_FAULT_RENAME,       /* renaming a result file into place: EIO */
    BB_FAULT_DATASET_OPEN, /* opening a dataset file: EIO */
    BB_FAULT_KINDS
};

/* -1: BIASBENCH_FAULT not read yet (hooks stay inert), 0: unset, 1: armed. */
extern int bb_fault_state;

/* Read BIASBENCH_FAULT once at start-up (main). A malformed value is a usage
 * error; "count" registers the report printed at exit. */
enum bb_status bb_fault_init(struct bb_error *err);
/* The kind's name in BIASBENCH_FAULT ("cl-alloc", ...), NULL past the last. */
const char *bb_fault_kind_name(enum bb_fault_kind kind);
/* Count one call of kind from site (any pointer that tells call sites apart);
 * true when this call must fail. */
bool bb_fault_check(enum bb_fault_kind kind, const void *site);

#ifdef BB_NO_FAULT_INJECTION
#define bb_fault(kind, site) false
#else
#define bb_fault(kind, site) (bb_fault_state > 0 && bb_fault_check((kind), (site)))
#endif

/* The site of a hook inside a helper: the helper's caller. */
#define BB_CALLER __builtin_return_address(0)

/* For calls that return an error code: when the hook fires and *rc is
 * still success (0), set *rc = fail. */
static inline void bb_fault_rc(enum bb_fault_kind kind, const void *site, int *rc, int fail)
{
    if (bb_fault(kind, site) && *rc == 0)
        *rc = fail;
}

#endif
