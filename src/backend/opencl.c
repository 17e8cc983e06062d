/* opencl.c: the OpenCL backend: platform/device selection, context and in-order queue, one
 * program per group of kernel files (the encoder's, the decoder's) built when a kernel of it
 * is first needed (with an on-disk binary cache, LRU-bounded), kernel-time profiling,
 * zero-copy buffers on CPU devices, and the non-GEMM ops (embed, layernorm, attention, pool).
 * The GEMM is opencl_matmul.c's, the decoder ops (rmsnorm, rope, attn_causal, ...)
 * opencl_decoder.c's. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "backend/cl_cache.h"
#include "backend/kernels_embedded.h"
#include "backend/opencl_internal.h"
#include "core/fault.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/sha256.h"

#define LOCAL_1D 64 /* fixed local size: PoCL compiles again for each new one */
#define HUGE_PAGE (2u << 20) /* zero-copy buffers this large go on transparent huge pages */
#define MAX_KERNELS 64

/* ---- errors ----------------------------------------------------------- */

const char *bb_cl_error_name(cl_int rc)
{
    switch (rc) {
#define E(x) case x: return #x;
    E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE)
    E(CL_COMPILER_NOT_AVAILABLE) E(CL_MEM_OBJECT_ALLOCATION_FAILURE) E(CL_OUT_OF_RESOURCES)
    E(CL_OUT_OF_HOST_MEMORY) E(CL_PROFILING_INFO_NOT_AVAILABLE) E(CL_MEM_COPY_OVERLAP)
    E(CL_IMAGE_FORMAT_MISMATCH) E(CL_IMAGE_FORMAT_NOT_SUPPORTED) E(CL_BUILD_PROGRAM_FAILURE)
    E(CL_MAP_FAILURE) E(CL_MISALIGNED_SUB_BUFFER_OFFSET)
    E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST) E(CL_COMPILE_PROGRAM_FAILURE)
    E(CL_LINKER_NOT_AVAILABLE) E(CL_LINK_PROGRAM_FAILURE) E(CL_DEVICE_PARTITION_FAILED)
    E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
    E(CL_INVALID_VALUE) E(CL_INVALID_DEVICE_TYPE) E(CL_INVALID_PLATFORM) E(CL_INVALID_DEVICE)
    E(CL_INVALID_CONTEXT) E(CL_INVALID_QUEUE_PROPERTIES) E(CL_INVALID_COMMAND_QUEUE)
    E(CL_INVALID_HOST_PTR) E(CL_INVALID_MEM_OBJECT) E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
    E(CL_INVALID_IMAGE_SIZE) E(CL_INVALID_SAMPLER) E(CL_INVALID_BINARY)
    E(CL_INVALID_BUILD_OPTIONS) E(CL_INVALID_PROGRAM) E(CL_INVALID_PROGRAM_EXECUTABLE)
    E(CL_INVALID_KERNEL_NAME) E(CL_INVALID_KERNEL_DEFINITION) E(CL_INVALID_KERNEL)
    E(CL_INVALID_ARG_INDEX) E(CL_INVALID_ARG_VALUE) E(CL_INVALID_ARG_SIZE)
    E(CL_INVALID_KERNEL_ARGS) E(CL_INVALID_WORK_DIMENSION) E(CL_INVALID_WORK_GROUP_SIZE)
    E(CL_INVALID_WORK_ITEM_SIZE) E(CL_INVALID_GLOBAL_OFFSET) E(CL_INVALID_EVENT_WAIT_LIST)
    E(CL_INVALID_EVENT) E(CL_INVALID_OPERATION) E(CL_INVALID_GL_OBJECT)
    E(CL_INVALID_BUFFER_SIZE) E(CL_INVALID_MIP_LEVEL) E(CL_INVALID_GLOBAL_WORK_SIZE)
    E(CL_INVALID_PROPERTY) E(CL_INVALID_IMAGE_DESCRIPTOR) E(CL_INVALID_COMPILER_OPTIONS)
    E(CL_INVALID_LINKER_OPTIONS) E(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef E
    case -69: return "CL_INVALID_PIPE_SIZE";
    case -70: return "CL_INVALID_DEVICE_QUEUE";
    case -71: return "CL_INVALID_SPEC_ID";
    case -72: return "CL_MAX_SIZE_RESTRICTION_EXCEEDED";
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    }
    return "CL_UNKNOWN_ERROR";
}

enum bb_status bb_cl_check_at(struct bb_error *err, cl_int rc, const char *call, const char *file,
                              int line)
{
    if (rc == CL_SUCCESS)
        return BB_OK;
    return bb_fail_at(err, BB_E_DEVICE, file, line, "%s failed: %s (%d)", call,
                      bb_cl_error_name(rc), (int)rc);
}

/* ---- device enumeration and selection -------------------------------- */

struct cl_dev {
    cl_platform_id platform;
    cl_device_id device;
    int pi, di;             /* platform index, device index within it */
    cl_device_type type;
    char name[256], platform_name[256];
};

static void dev_str(cl_device_id d, cl_device_info what, char *out, size_t n)
{
    out[0] = '\0';
    if (clGetDeviceInfo(d, what, n, out, NULL) != CL_SUCCESS)
        snprintf(out, n, "?");
    out[n - 1] = '\0';
}

static void platform_str(cl_platform_id p, cl_platform_info what, char *out, size_t n)
{
    out[0] = '\0';
    if (clGetPlatformInfo(p, what, n, out, NULL) != CL_SUCCESS)
        snprintf(out, n, "?");
    out[n - 1] = '\0';
}

static const char *type_name(cl_device_type t)
{
    return t & CL_DEVICE_TYPE_GPU ? "GPU"
           : t & CL_DEVICE_TYPE_ACCELERATOR ? "accelerator"
           : t & CL_DEVICE_TYPE_CPU ? "CPU" : "other";
}

/* Every device of every platform, flat. No platform -> BB_E_NODEVICE. */
static enum bb_status enum_devices(struct cl_dev **out, int *count, struct bb_error *err)
{
    cl_platform_id plats[16];
    cl_uint np = 0;
    *out = NULL;
    *count = 0;
    cl_int rc = clGetPlatformIDs(16, plats, &np);
    if (rc == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (rc == CL_SUCCESS && np == 0))
        return bb_fail(err, BB_E_NODEVICE,
                       "no OpenCL platform found (install an ICD such as pocl-opencl-icd, "
                       "check /etc/OpenCL/vendors)");
    if (rc != CL_SUCCESS)
        return bb_cl_check(err, rc, "clGetPlatformIDs");
    if (np > 16)
        np = 16;
    struct cl_dev *devs = NULL;
    int n = 0;
    for (cl_uint p = 0; p < np; p++) {
        cl_device_id ids[64];
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 64, ids, &nd) != CL_SUCCESS)
            continue; /* CL_DEVICE_NOT_FOUND: a platform without devices */
        if (nd > 64)
            nd = 64;
        struct cl_dev *grown = realloc(devs, (size_t)(n + (int)nd) * sizeof *devs);
        if (!grown) {
            free(devs);
            return bb_fail(err, BB_E_NOMEM, "out of memory listing OpenCL devices");
        }
        devs = grown;
        for (cl_uint d = 0; d < nd; d++) {
            struct cl_dev *e = &devs[n++];
            memset(e, 0, sizeof *e);
            e->platform = plats[p];
            e->device = ids[d];
            e->pi = (int)p;
            e->di = (int)d;
            if (clGetDeviceInfo(ids[d], CL_DEVICE_TYPE, sizeof e->type, &e->type, NULL))
                e->type = 0;
            dev_str(ids[d], CL_DEVICE_NAME, e->name, sizeof e->name);
            platform_str(plats[p], CL_PLATFORM_NAME, e->platform_name, sizeof e->platform_name);
        }
    }
    if (n == 0) {
        free(devs);
        return bb_fail(err, BB_E_NODEVICE,
                       "no OpenCL device found on %u platform(s) (check the ICD in "
                       "/etc/OpenCL/vendors)",
                       np);
    }
    *out = devs;
    *count = n;
    return BB_OK;
}

/* "auto": the first GPU, else accelerator, else CPU, else the first device. */
static int pick_auto(const struct cl_dev *devs, int n)
{
    const cl_device_type pref[3] = {CL_DEVICE_TYPE_GPU, CL_DEVICE_TYPE_ACCELERATOR,
                                    CL_DEVICE_TYPE_CPU};
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < n; i++)
            if (devs[i].type & pref[t])
                return i;
    return 0;
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return true;
    return false;
}

/* Index into devs of the device sel names, or -1. */
static int match_selector(const struct cl_dev *devs, int n, const char *sel)
{
    if (!sel || !*sel || !strcasecmp(sel, "auto"))
        return pick_auto(devs, n);
    const char *colon = strchr(sel, ':');
    if (all_digits(sel, strlen(sel))) {
        long i = strtol(sel, NULL, 10);
        return i < n ? (int)i : -1;
    }
    if (colon && all_digits(sel, (size_t)(colon - sel)) &&
        all_digits(colon + 1, strlen(colon + 1))) {
        long p = strtol(sel, NULL, 10), d = strtol(colon + 1, NULL, 10);
        for (int i = 0; i < n; i++)
            if (devs[i].pi == p && devs[i].di == d)
                return i;
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (contains_nocase(devs[i].name, sel) || contains_nocase(devs[i].platform_name, sel))
            return i;
    return -1;
}

static enum bb_status no_match(const struct cl_dev *devs, int n, const char *sel,
                               struct bb_error *err)
{
    char list[768] = "";
    size_t len = 0;
    for (int i = 0; i < n && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%d (%d:%d) %s [%s]",
                                i ? "; " : "", i, devs[i].pi, devs[i].di, devs[i].name,
                                devs[i].platform_name);
    return bb_fail(err, BB_E_NODEVICE,
                   "OpenCL device selector '%s' matches no device (use 'auto', an index N, "
                   "P:D, or part of a device/platform name); available: %s",
                   sel, list);
}

enum bb_status bb_opencl_list_devices(FILE *out, struct bb_error *err)
{
    struct cl_dev *devs;
    int n;
    enum bb_status st = enum_devices(&devs, &n, err);
    if (st)
        return st;
    int last_p = -1;
    for (int i = 0; i < n; i++) {
        const struct cl_dev *e = &devs[i];
        char vendor[256], driver[256], version[256], pver[256];
        cl_uint cu = 0;
        cl_ulong gmem = 0, maxalloc = 0;
        if (e->pi != last_p) {
            platform_str(e->platform, CL_PLATFORM_VERSION, pver, sizeof pver);
            fprintf(out, "platform %d: %s (%s)\n", e->pi, e->platform_name, pver);
            last_p = e->pi;
        }
        dev_str(e->device, CL_DEVICE_VENDOR, vendor, sizeof vendor);
        dev_str(e->device, CL_DRIVER_VERSION, driver, sizeof driver);
        dev_str(e->device, CL_DEVICE_VERSION, version, sizeof version);
        clGetDeviceInfo(e->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
        clGetDeviceInfo(e->device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof gmem, &gmem, NULL);
        clGetDeviceInfo(e->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof maxalloc, &maxalloc, NULL);
        fprintf(out,
                "  device %d (%d:%d): %s\n    vendor %s, driver %s, %s, type %s, "
                "%u compute units, global memory %.1f GiB, max allocation %.1f GiB\n",
                i, e->pi, e->di, e->name, vendor, driver, version, type_name(e->type), cu,
                (double)gmem / (1 << 30), (double)maxalloc / (1 << 30));
    }
    int a = pick_auto(devs, n);
    fprintf(out, "auto selects: device %d (%d:%d) %s [%s]\n", a, devs[a].pi, devs[a].di,
            devs[a].name, devs[a].platform_name);
    free(devs);
    return BB_OK;
}

static void fill_info(struct bb_device_info *info, cl_platform_id p, cl_device_id d)
{
    cl_uint cu = 0;
    cl_ulong gmem = 0, maxalloc = 0;
    dev_str(d, CL_DEVICE_NAME, info->name, sizeof info->name);
    dev_str(d, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    dev_str(d, CL_DRIVER_VERSION, info->driver, sizeof info->driver);
    dev_str(d, CL_DEVICE_VERSION, info->version, sizeof info->version);
    platform_str(p, CL_PLATFORM_NAME, info->platform, sizeof info->platform);
    clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
    clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof gmem, &gmem, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof maxalloc, &maxalloc, NULL);
    info->compute_units = (int)cu;
    info->global_mem = gmem;
    info->max_alloc = maxalloc;
}

/* ---- programs: one per group of kernel files, built on first use, binary-cached -----------
 * The kernel files a model family launches are built together as one program (common.cl, then
 * the files in the group's order), the first time one of their kernels is asked for: an
 * encoder never builds the decoder's kernels, nor a decoder the encoder-only ones. Why groups
 * and not one program per file or per kernel: PoCL preprocesses (for its cache key) and, when
 * cold, parses its 0.9 MB opencl-c.h once per program, about 0.2 s of CPU per program cold and
 * 0.03-0.07 s warm, while unused kernels of a program cost it little (it compiles a kernel's
 * machine code at its first launch); see docs/performance.md. A file outside every group
 * gets a program of its own. When a group fails to compile, its files are built one program
 * each instead, so the error names the broken file and the other files' kernels still run. */

#define MAX_FILES 16
#define MAX_GROUPS 4
#define GROUP_FILES 6

/* Kernel files that use another file's helpers, built together with it (in a file's own
 * program; a group lists the helper file first). */
static const char *const needs[][2] = {{"matmul_quant.cl", "matmul.cl"}};

/* The groups: a kernel is built with the first group that has its file, or with a group
 * already built that has it (GPT-2's LayerNorm comes with the decoder's program). */
static const struct group_def {
    const char *name;
    const char *files[GROUP_FILES]; /* NULL-terminated when shorter */
    /* the work-group functions PoCL compiles into a prebuilt binary besides the generic one
     * (POCL_BINARY_SPECIALIZE_WG, its cache folders' names): the local sizes this group's
     * launches use on a CPU (LOCAL_1D, the f32 GEMM's 1, the decoder's 16) at grid offset 0
     * and small grids, i.e. what a first run's first batch launches */
    const char *pocl_specs;
} groups[] = {
    {"encoder", {"embed.cl", "layernorm.cl", "matmul.cl", "attention.cl", "pool.cl"},
     "64-1-1-goffs0-smallgrid,1-1-1-goffs0-smallgrid"},
    {"decoder", {"decoder.cl", "layernorm.cl", "matmul.cl", "matmul_quant.cl"},
     "64-1-1-goffs0-smallgrid,16-1-1-goffs0-smallgrid,1-1-1-goffs0-smallgrid"},
};
#define N_GROUPS ((int)(sizeof groups / sizeof groups[0]))
_Static_assert(sizeof groups / sizeof groups[0] <= MAX_GROUPS, "raise MAX_GROUPS");

struct cl_prog {
    char name[64];   /* "encoder", or a file's "attention.cl" */
    char *src;       /* what is built: common.cl, then the files, each after #line */
    cl_program prog; /* NULL until built */
    bool failed;     /* its source did not compile (a group: build its files one by one) */
};

struct cl_file {
    char name[64];     /* "attention.cl" */
    char *own;         /* the file's own text (kernel lookup searches only this) */
    bool in[MAX_GROUPS]; /* member of groups[g] */
};

/* A group program building on a thread of its own (bb_backend_prepare), beside the model load. */
struct bg_build {
    struct bb_cl *cl;
    struct cl_prog *p;
    pthread_t thread;
    bool pending; /* started, not joined yet */
};

struct progs {
    int n;                          /* kernel files (common.cl aside) */
    struct cl_file f[MAX_FILES];
    struct cl_prog alone[MAX_FILES]; /* f[i] as a program of its own */
    struct cl_prog group[MAX_GROUPS];
    char options[1024];
    char cdir[4096];   /* binary cache folder; "" disables it */
    char pdir[4096];   /* prebuilt kernels (read only, from `make`); "" when none */
    char origin[4200]; /* where the sources came from, for messages */
    int built, loaded; /* programs built from source / loaded from the binary cache */
    struct bg_build bg[MAX_GROUPS];
};

/* Read a whole file into a malloc'd NUL-terminated string. */
static enum bb_status read_text(const char *path, char **out, struct bb_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return bb_fail(err, BB_E_IO, "cannot read kernel source %s: %s", path, strerror(errno));
    enum bb_status st = BB_OK;
    size_t cap = 1 << 14, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len < cap - 1)
            break;
        char *g = realloc(buf, cap *= 2);
        if (!g) {
            free(buf);
            buf = NULL;
        } else {
            buf = g;
        }
    }
    if (!buf)
        st = bb_fail(err, BB_E_NOMEM, "out of memory reading %s", path);
    else if (ferror(f))
        st = bb_fail(err, BB_E_IO, "cannot read kernel source %s: read error", path);
    fclose(f);
    if (st) {
        free(buf);
        return st;
    }
    buf[len] = '\0';
    *out = buf;
    return BB_OK;
}

/* The text of kernel file name: the embedded copy, or dir/name. */
static enum bb_status kernel_text(const char *dir, const char *name, char **out,
                                  struct bb_error *err)
{
    if (dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        return read_text(path, out, err);
    }
    for (const struct bb_embedded_kernel *k = bb_embedded_kernels; k->name; k++)
        if (!strcmp(k->name, name))
            return (*out = strdup(k->source)) ? BB_OK
                                              : bb_fail(err, BB_E_NOMEM, "out of memory");
    return bb_fail(err, BB_E_INTERNAL, "kernel file %s is not embedded", name);
}

/* Append "#line 1 \"name\"\n" + text to the growing source. */
static enum bb_status append_source(char **src, size_t *len, const char *name, const char *text,
                                    struct bb_error *err)
{
    size_t add = strlen(name) + strlen(text) + 32;
    char *g = realloc(*src, *len + add);
    if (!g)
        return bb_fail(err, BB_E_NOMEM, "out of memory assembling kernel sources");
    *src = g;
    *len += (size_t)snprintf(g + *len, add, "#line 1 \"%s\"\n%s\n", name, text);
    return BB_OK;
}

static int file_index(const struct progs *ps, const char *name)
{
    for (int i = 0; i < ps->n; i++)
        if (!strcmp(ps->f[i].name, name))
            return i;
    return -1;
}

/* ps->alone[i].src = common.cl, the files f[i] needs, then f[i]. */
static enum bb_status assemble_alone(struct progs *ps, int i, const char *common,
                                     struct bb_error *err)
{
    struct cl_prog *p = &ps->alone[i];
    size_t len = 0;
    snprintf(p->name, sizeof p->name, "%s", ps->f[i].name);
    enum bb_status st = append_source(&p->src, &len, "common.cl", common, err);
    for (size_t k = 0; k < sizeof needs / sizeof needs[0] && !st; k++) {
        int h = strcmp(needs[k][0], p->name) ? -1 : file_index(ps, needs[k][1]);
        if (h >= 0)
            st = append_source(&p->src, &len, ps->f[h].name, ps->f[h].own, err);
    }
    return st ? st : append_source(&p->src, &len, p->name, ps->f[i].own, err);
}

/* ps->group[g].src = common.cl, then the group's files that exist, in its order. */
static enum bb_status assemble_group(struct progs *ps, int g, const char *common,
                                     struct bb_error *err)
{
    struct cl_prog *p = &ps->group[g];
    size_t len = 0;
    snprintf(p->name, sizeof p->name, "%s", groups[g].name);
    enum bb_status st = append_source(&p->src, &len, "common.cl", common, err);
    for (int k = 0; k < GROUP_FILES && groups[g].files[k] && !st; k++) {
        int i = file_index(ps, groups[g].files[k]);
        if (i < 0)
            continue;
        ps->f[i].in[g] = true;
        st = append_source(&p->src, &len, ps->f[i].name, ps->f[i].own, err);
    }
    return st;
}

/* Read every kernel file (no build yet): a missing file fails here, with BB_E_IO. */
static enum bb_status load_sources(struct progs *ps, const char *dir, struct bb_error *err)
{
    char *common = NULL;
    enum bb_status st = kernel_text(dir, "common.cl", &common, err);
    for (const struct bb_embedded_kernel *k = bb_embedded_kernels; k->name && !st; k++) {
        if (!strcmp(k->name, "common.cl"))
            continue;
        if (ps->n == MAX_FILES || strlen(k->name) >= sizeof ps->f[0].name) {
            st = bb_fail(err, BB_E_INTERNAL, "too many kernel files (or name too long): %s",
                         k->name);
            break;
        }
        struct cl_file *f = &ps->f[ps->n++];
        snprintf(f->name, sizeof f->name, "%s", k->name);
        st = kernel_text(dir, k->name, &f->own, err);
    }
    for (int i = 0; i < ps->n && !st; i++)
        st = assemble_alone(ps, i, common, err);
    for (int g = 0; g < N_GROUPS && !st; g++)
        st = assemble_group(ps, g, common, err);
    free(common);
    if (!st && ps->n == 0)
        st = bb_fail(err, BB_E_INTERNAL, "no kernel sources are embedded");
    return st;
}

static enum bb_status build_failed(struct bb_cl *cl, cl_program prog, cl_int rc,
                                   const struct cl_prog *p, const char *origin,
                                   struct bb_error *err)
{
    char *log = NULL;
    size_t n = 0;
    if (clGetProgramBuildInfo(prog, cl->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &n) ==
            CL_SUCCESS && n > 0 && (log = malloc(n + 1)) &&
        clGetProgramBuildInfo(prog, cl->device, CL_PROGRAM_BUILD_LOG, n, log, NULL) ==
            CL_SUCCESS)
        log[n] = '\0';
    else if (log)
        log[0] = '\0';
    bb_fail(err, BB_E_DEVICE,
            "OpenCL program build failed (%s, kernels from %s; failing file: %s); build log:\n%s",
            bb_cl_error_name(rc), origin, p->name, log && log[0] ? log : "(empty)");
    free(log);
    return BB_E_DEVICE;
}

static enum bb_status build_from_source(struct bb_cl *cl, struct cl_prog *p, const char *options,
                                        const char *origin, struct bb_error *err)
{
    cl_int rc;
    const char *src = p->src;
    p->prog = clCreateProgramWithSource(cl->ctx, 1, &src, NULL, &rc);
    if (rc != CL_SUCCESS) {
        p->prog = NULL;
        return bb_cl_check(err, rc, "clCreateProgramWithSource");
    }
    rc = clBuildProgram(p->prog, 1, &cl->device, options, NULL, NULL);
    bb_fault_rc(BB_FAULT_CL_BUILD, __func__, &rc, CL_OUT_OF_HOST_MEMORY);
    enum bb_status st = BB_OK;
    p->failed = rc == CL_BUILD_PROGRAM_FAILURE || rc == CL_COMPILE_PROGRAM_FAILURE ||
                rc == CL_INVALID_BUILD_OPTIONS;
    if (p->failed)
        st = build_failed(cl, p->prog, rc, p, origin, err);
    else
        st = bb_cl_check(err, rc, "clBuildProgram");
    if (st) {
        clReleaseProgram(p->prog);
        p->prog = NULL;
    }
    return st;
}

/* Try the cached binary; false (program left NULL) when missing or unusable. */
static bool build_from_cache(struct bb_cl *cl, struct cl_prog *p, const char *dir, uint64_t key)
{
    unsigned char *bin;
    size_t len;
    if (!bb_cl_cache_load(dir, key, &bin, &len))
        return false;
    cl_int rc, status = CL_SUCCESS;
    const unsigned char *bins[1] = {bin};
    p->prog = clCreateProgramWithBinary(cl->ctx, 1, &cl->device, &len, bins, &status, &rc);
    if (rc == CL_SUCCESS && status == CL_SUCCESS)
        rc = clBuildProgram(p->prog, 1, &cl->device, NULL, NULL, NULL);
    bb_fault_rc(BB_FAULT_CL_BUILD, __func__, &rc, CL_OUT_OF_HOST_MEMORY);
    free(bin);
    if (rc == CL_SUCCESS && status == CL_SUCCESS)
        return true;
    bb_warn("ignoring an unusable kernel binary for %s in %s (%s); rebuilding", p->name, dir,
            bb_cl_error_name(rc != CL_SUCCESS ? rc : status));
    if (p->prog)
        clReleaseProgram(p->prog);
    p->prog = NULL;
    return false;
}

static void cache_store(struct cl_prog *p, const char *dir, uint64_t key)
{
    size_t len = 0;
    unsigned char *bin = NULL;
    struct bb_error err = {0};
    if (clGetProgramInfo(p->prog, CL_PROGRAM_BINARY_SIZES, sizeof len, &len, NULL) ||
        len == 0 || !(bin = malloc(len)) ||
        clGetProgramInfo(p->prog, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL)) {
        bb_warn("kernel binary cache: the device gave no program binary for %s", p->name);
    } else if (bb_cl_cache_store(dir, key, bin, len, &err) ||
               bb_cl_cache_trim(dir, bb_cl_cache_limit(), key, &err)) {
        bb_warn("kernel binary cache: %s", err.msg);
    }
    free(bin);
}

static uint64_t cache_key(const struct bb_cl *cl, const char *src, const char *options)
{
    char s[1024];
    uint64_t h = bb_cl_cache_hash_str(BB_FNV64_INIT, src);
    h = bb_cl_cache_hash_str(h, options);
    const cl_device_info dinfo[3] = {CL_DEVICE_NAME, CL_DRIVER_VERSION, CL_DEVICE_VERSION};
    for (int i = 0; i < 3; i++) {
        dev_str(cl->device, dinfo[i], s, sizeof s);
        h = bb_cl_cache_hash_str(h, s);
    }
    platform_str(cl->platform, CL_PLATFORM_VERSION, s, sizeof s);
    return bb_cl_cache_hash_str(h, s);
}

/* PoCL keeps built programs in its own cache (POCL_CACHE_DIR, keyed by source and options),
 * and asking it for a binary makes it compile every kernel of the program up front: a MiniLM
 * cold start took 5.0 s of CPU storing binaries, 2.7 s not; the warm start 0.22 s with them,
 * 0.37 s without (docs/performance.md). So on PoCL the per-user cache is not used unless
 * BIASBENCH_KERNEL_BINARIES=1 (for many short runs); an explicit folder always is. */
static bool caches_itself(const struct bb_cl *cl)
{
    char name[256];
    platform_str(cl->platform, CL_PLATFORM_NAME, name, sizeof name);
    return strstr(name, "Portable Computing Language") != NULL;
}

static void cache_dir_of(const struct bb_cl *cl, const struct bb_backend_opts *opts, char *out,
                         size_t n)
{
    if (opts && opts->cache_dir) {
        snprintf(out, n, "%s", opts->cache_dir);
        return;
    }
    out[0] = '\0';
    const char *keep = getenv("BIASBENCH_KERNEL_BINARIES");
    if (caches_itself(cl) && !(keep && !strcmp(keep, "1")))
        return;
    bb_paths_cache_dir(out, n);
    strncat(out, "/kernels", n - strlen(out) - 1);
}

/* ---- prebuilt kernels -------------------------------------------------------------------
 * `make` stores every group program's binary for the machine's default OpenCL device in
 * kernels-prebuilt/ beside the binary (`biasbench cache kernels`), and `make install` copies
 * them to $(pkglibdir)/kernels. A first run then loads the program instead of compiling it
 * (on PoCL: no front end, no built-in library to link, no work-group functions to generate at
 * the first launch: a MiniLM cold start 0.26 s instead of 2.8 s, docs/performance.md). The
 * entries are keyed like the binary cache (source, options, device, driver), so a different
 * device, driver or kernel source misses and builds from source as before. Read only; never
 * written or trimmed at run time. BIASBENCH_PREBUILT_KERNELS names another folder, or `off`. */
static void prebuilt_dir_of(char *out, size_t n)
{
    const char *env = getenv("BIASBENCH_PREBUILT_KERNELS");
    out[0] = '\0';
    if (env && *env) {
        if (strcmp(env, "off"))
            snprintf(out, n, "%s", env);
        return;
    }
    char exe[3900], cand[4096];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0)
        return;
    exe[k] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(cand, sizeof cand, "%s/kernels-prebuilt", exe); /* the build tree */
    if (!bb_path_is_dir(cand))
        snprintf(cand, sizeof cand, "%s/kernels", BB_PKGLIBDIR); /* installed */
    if (bb_path_is_dir(cand))
        snprintf(out, n, "%s", cand);
}

/* Read the kernel sources and settle the build options and cache folder; builds nothing. */
static enum bb_status programs_init(struct bb_cl *cl, const struct bb_backend_opts *opts,
                                    struct bb_error *err)
{
    const char *dir = opts && opts->kernel_dir && *opts->kernel_dir ? opts->kernel_dir : NULL;
    const char *env = getenv("BIASBENCH_KERNEL_DIR");
    if (!dir && env && *env)
        dir = env;
    struct progs *ps = calloc(1, sizeof *ps);
    if (!ps)
        return bb_fail(err, BB_E_NOMEM, "out of memory creating the OpenCL backend");
    cl->progs = ps;
    /* -w: PoCL prints "N warnings generated." on stderr for every cold build
     * (float16 ABI notes on AVX2); a failed build still returns its errors */
    snprintf(ps->options, sizeof ps->options, "-cl-std=CL1.2 -w %s",
             bb_cl_matmul_build_options(cl));
    snprintf(ps->origin, sizeof ps->origin, "%s", dir ? dir : "the embedded copies");
    cache_dir_of(cl, opts, ps->cdir, sizeof ps->cdir);
    if (!(opts && opts->no_prebuilt))
        prebuilt_dir_of(ps->pdir, sizeof ps->pdir);
    enum bb_status st = load_sources(ps, dir, err);
    if (!st && dir) { /* the build id names the embedded kernels; a folder's need a hash */
        struct bb_sha256 h;
        uint8_t d[BB_SHA256_DIGEST_LEN];
        bb_sha256_init(&h);
        for (int i = 0; i < ps->n; i++) /* each file as built alone, #line names included */
            bb_sha256_update(&h, ps->alone[i].src, strlen(ps->alone[i].src) + 1);
        bb_sha256_final(&h, d);
        bb_sha256_to_hex(d, cl->be->info.kernel_sha256);
    }
    return st;
}

static double thread_cpu(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
        return 0.0;
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Build (or load from the cache) one program; time and outcome go to the device info. */
static enum bb_status program_build(struct bb_cl *cl, struct cl_prog *p, struct bb_error *err)
{
    struct progs *ps = cl->progs;
    double t0 = bb_now(), c0 = thread_cpu();
    uint64_t key = cache_key(cl, p->src, ps->options);
    bool hit = ps->cdir[0] && build_from_cache(cl, p, ps->cdir, key);
    bool pre = !hit && ps->pdir[0] && build_from_cache(cl, p, ps->pdir, key);
    hit = hit || pre;
    enum bb_status st = BB_OK;
    if (!hit) {
        st = build_from_source(cl, p, ps->options, ps->origin, err);
        if (!st && ps->cdir[0])
            cache_store(p, ps->cdir, key);
    }
    double dt = bb_now() - t0;
    if (st)
        return st;
    hit ? ps->loaded++ : ps->built++;
    cl->build_seconds += dt;
    cl->cache_hit = ps->built == 0;
    cl->be->info.build_seconds = cl->build_seconds;
    cl->be->info.program_cached = cl->cache_hit;
    bb_debug("OpenCL program %s %s in %.3f s (%.3f s CPU)", p->name,
             pre ? "loaded from the prebuilt kernels" : hit ? "loaded from cache" : "built", dt,
             thread_cpu() - c0);
    return BB_OK;
}

/* Is name a whole identifier in text? */
static bool has_ident(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *s = strstr(text, name); s; s = strstr(s + 1, name)) {
        bool before = s > text && (isalnum((unsigned char)s[-1]) || s[-1] == '_');
        bool after = isalnum((unsigned char)s[n]) || s[n] == '_';
        if (!before && !after)
            return true;
    }
    return false;
}

/* ---- building ahead: bb_backend_prepare ---------------------------------------------------
 * On a cold start the group program's build (PoCL: about 1 s of CPU, most of it loading its
 * built-in library) and the model's load (reading and packing the weights) do not depend on
 * each other, so the model names its kernel set before it loads and the program builds on a
 * thread of its own meanwhile. The first kernel asked for joins the thread (program_of); a
 * build that failed there is simply tried again in the caller's thread, which then reports
 * it as without the hint (a compile error: the group marked failed, its files built alone).
 * Not with fault injection armed (its call counts must not depend on thread timing), nor
 * with BIASBENCH_BUILD_AHEAD=0 (to measure the difference). */
static void *background_main(void *arg)
{
    struct bg_build *b = arg;
    struct bb_error err = {0};
    if (!program_build(b->cl, b->p, &err))
        return NULL;
    if (b->p->failed) /* as program_of says it when the build is not ahead */
        bb_warn("OpenCL program %s failed to compile; building its kernel files one program "
                "each", b->p->name);
    else
        bb_debug("OpenCL program %s: the build ahead failed (%s); the first launch retries it",
                 b->p->name, err.msg);
    return NULL;
}

static void background_join(struct progs *ps)
{
    for (int g = 0; ps && g < MAX_GROUPS; g++)
        if (ps->bg[g].pending) {
            pthread_join(ps->bg[g].thread, NULL);
            ps->bg[g].pending = false;
        }
}

static void cl_prepare(struct bb_backend *be, enum bb_kernel_set set)
{
    struct bb_cl *cl = bb_cl_of(be);
    struct progs *ps = cl->progs;
    const char *name = set == BB_KERNELS_DECODER ? "decoder" : "encoder";
    const char *env = getenv("BIASBENCH_BUILD_AHEAD");
    if (bb_fault_state > 0 || (env && !strcmp(env, "0")))
        return;
    for (int g = 0; g < N_GROUPS; g++) {
        struct bg_build *b = &ps->bg[g];
        if (strcmp(groups[g].name, name) || b->pending || ps->group[g].prog ||
            ps->group[g].failed)
            continue;
        background_join(ps); /* another group's build ahead, if any, first */
        b->cl = cl;
        b->p = &ps->group[g];
        b->pending = !pthread_create(&b->thread, NULL, background_main, b);
    }
}

/* The group program to build file i with: one already built that has it, else the first
 * that has it and has not failed to compile; NULL: none (the file is built alone). */
static struct cl_prog *group_of(struct progs *ps, int i)
{
    struct cl_prog *first = NULL;
    for (int g = 0; g < N_GROUPS; g++) {
        if (!ps->f[i].in[g])
            continue;
        if (ps->group[g].prog)
            return &ps->group[g];
        if (!first && !ps->group[g].failed)
            first = &ps->group[g];
    }
    return first;
}

/* The built program that has kernel `name`: its file's group (built now if need be), or its
 * file alone (a file outside every group, or one of a group that failed to compile). */
static enum bb_status program_of(struct bb_cl *cl, const char *name, cl_program *out,
                                 struct bb_error *err)
{
    struct progs *ps = cl->progs;
    background_join(ps); /* one build at a time: this thread's may touch the counters */
    int i = 0;
    while (i < ps->n && !has_ident(ps->f[i].own, name))
        i++;
    if (i == ps->n)
        return bb_fail(err, BB_E_INTERNAL, "no kernel file defines kernel %s", name);
    struct cl_prog *p = ps->alone[i].prog ? &ps->alone[i] : group_of(ps, i);
    enum bb_status st = p && !p->prog ? program_build(cl, p, err) : BB_OK;
    if (p && p->failed && p != &ps->alone[i]) {
        bb_warn("OpenCL program %s failed to compile; building its kernel files one program "
                "each", p->name);
        p = NULL;
    } else if (st) {
        return st;
    }
    if (!p) {
        p = &ps->alone[i];
        if (!p->prog && (st = program_build(cl, p, err)))
            return st;
    }
    *out = p->prog;
    return BB_OK;
}

static void program_free(struct cl_prog *p)
{
    if (p->prog)
        clReleaseProgram(p->prog);
    free(p->src);
}

static void programs_free(struct progs *ps)
{
    background_join(ps);
    for (int i = 0; ps && i < ps->n; i++) {
        program_free(&ps->alone[i]);
        free(ps->f[i].own);
    }
    for (int g = 0; ps && g < MAX_GROUPS; g++)
        program_free(&ps->group[g]);
    free(ps);
}

/* ---- kernels and launches --------------------------------------------- */

struct kernel_table {
    int n;
    char names[MAX_KERNELS][64];
    cl_kernel k[MAX_KERNELS];
};

enum bb_status bb_cl_kernel(struct bb_cl *cl, const char *name, cl_kernel *out,
                            struct bb_error *err)
{
    struct kernel_table *t = cl->kernels;
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->names[i], name)) {
            *out = t->k[i];
            return BB_OK;
        }
    if (t->n == MAX_KERNELS || strlen(name) >= sizeof t->names[0])
        return bb_fail(err, BB_E_INTERNAL, "kernel table full or name too long: %s", name);
    cl_program prog = NULL;
    enum bb_status st = program_of(cl, name, &prog, err);
    if (st)
        return st;
    cl_int rc;
    cl_kernel k = clCreateKernel(prog, name, &rc);
    if (rc != CL_SUCCESS)
        return bb_fail(err, BB_E_DEVICE, "clCreateKernel(%s) failed: %s (%d)", name,
                       bb_cl_error_name(rc), (int)rc);
    snprintf(t->names[t->n], sizeof t->names[0], "%s", name);
    t->k[t->n++] = k;
    *out = k;
    return BB_OK;
}

/* ---- profiling (--profile, BIASBENCH_PROFILE=1) ---------------------------
 * Every launch gets an event; every PROF_BATCH launches (and when the profile is
 * taken) the events are waited for and their device time (CL_PROFILING_COMMAND_START
 * to _END) summed per kernel name and global size of the last dimension (for
 * the GEMMs: the weight's panel count, so each weight shape is one row).
 * bb_backend_profile hands the rows out; with BIASBENCH_PROFILE the table also
 * goes to stderr when the backend is freed. */
#define PROF_BATCH 1024
#define PROF_ROWS 256
struct prof_row {
    char name[64];
    size_t g;
    long count;
    double ns;
};
struct prof {
    bool at_exit; /* BIASBENCH_PROFILE: print the table when the backend is freed */
    int n, rows;
    cl_event ev[PROF_BATCH];
    cl_kernel k[PROF_BATCH];
    size_t g[PROF_BATCH];
    struct prof_row row[PROF_ROWS];
    double t0;
};

static double prof_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void prof_drain(struct prof *p)
{
    if (!p->n)
        return;
    clWaitForEvents((cl_uint)p->n, p->ev);
    for (int i = 0; i < p->n; i++) {
        cl_ulong a = 0, b = 0;
        clGetEventProfilingInfo(p->ev[i], CL_PROFILING_COMMAND_START, sizeof a, &a, NULL);
        clGetEventProfilingInfo(p->ev[i], CL_PROFILING_COMMAND_END, sizeof b, &b, NULL);
        clReleaseEvent(p->ev[i]);
        char name[64] = "?";
        clGetKernelInfo(p->k[i], CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
        name[sizeof name - 1] = '\0';
        int j = 0;
        while (j < p->rows && (strcmp(p->row[j].name, name) || p->row[j].g != p->g[i]))
            j++;
        if (j == p->rows) {
            if (p->rows == PROF_ROWS)
                j = PROF_ROWS - 1; /* overflow lands in the last row */
            else {
                p->rows++;
                snprintf(p->row[j].name, sizeof p->row[j].name, "%s", name);
                p->row[j].g = p->g[i];
            }
        }
        p->row[j].count++;
        p->row[j].ns += b > a ? (double)(b - a) : 0.0;
    }
    p->n = 0;
}

static int prof_cmp(const void *a, const void *b)
{
    const struct bb_profile_row *ra = a, *rb = b;
    double x = ra->ms, y = rb->ms;
    return (x < y) - (x > y);
}

/* The rows so far as a bb_profile, most time first. */
static enum bb_status prof_take(struct prof *p, struct bb_profile *out, struct bb_error *err)
{
    prof_drain(p);
    memset(out, 0, sizeof *out);
    out->rows = calloc(p->rows ? (size_t)p->rows : 1, sizeof *out->rows);
    if (!out->rows)
        return bb_fail(err, BB_E_NOMEM, "out of memory for the kernel profile");
    for (int j = 0; j < p->rows; j++) {
        struct bb_profile_row *r = &out->rows[j];
        snprintf(r->kernel, sizeof r->kernel, "%s", p->row[j].name);
        r->g_last = (long)p->row[j].g;
        r->launches = p->row[j].count;
        r->ms = p->row[j].ns / 1e6;
        out->kernel_ms += r->ms;
    }
    out->n = (size_t)p->rows;
    qsort(out->rows, out->n, sizeof *out->rows, prof_cmp);
    out->wall_ms = p->t0 > 0 ? (prof_now() - p->t0) * 1e3 : 0.0;
    return BB_OK;
}

static enum bb_status cl_profile(struct bb_backend *be, struct bb_profile *out,
                                 struct bb_error *err)
{
    struct prof *p = bb_cl_of(be)->prof;
    if (!p)
        return bb_fail(err, BB_E_USAGE, "kernel profile asked of an OpenCL backend created "
                       "without profiling");
    return prof_take(p, out, err);
}

static void prof_report(struct prof *p)
{
    struct bb_profile pr;
    if (prof_take(p, &pr, NULL) == BB_OK)
        bb_profile_print(stderr, &pr);
    bb_profile_free(&pr);
}

static const char *cl_kname(cl_kernel k, char *buf)
{
    buf[0] = '\0';
    clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, 64, buf, NULL);
    buf[63] = '\0';
    return buf;
}

enum bb_status bb_cl_launch(struct bb_cl *cl, cl_kernel k, cl_uint dims, const size_t *global,
                            const size_t *local, struct bb_error *err)
{
    return bb_cl_launch_at(cl, k, dims, NULL, global, local, err);
}

enum bb_status bb_cl_launch_at(struct bb_cl *cl, cl_kernel k, cl_uint dims, const size_t *offset,
                               const size_t *global, const size_t *local, struct bb_error *err)
{
    struct prof *p = cl->prof;
    char kn[64];
    cl_int rc;
    if (p) {
        if (p->n == PROF_BATCH)
            prof_drain(p);
        if (p->t0 == 0)
            p->t0 = prof_now();
        rc = clEnqueueNDRangeKernel(cl->queue, k, dims, offset, global, local, 0, NULL,
                                    &p->ev[p->n]);
        if (rc == CL_SUCCESS) {
            p->k[p->n] = k;
            /* GEMMs keep their weight's panel count; other kernels one row each */
            bool gemm = dims > 1 && !strncmp(cl_kname(k, kn), "bb_matmul", 9);
            p->g[p->n++] = gemm ? global[dims - 1] : 0;
        }
    } else {
        rc = clEnqueueNDRangeKernel(cl->queue, k, dims, offset, global, local, 0, NULL, NULL);
    }
    bb_fault_rc(BB_FAULT_CL_ENQUEUE, k, &rc, CL_OUT_OF_RESOURCES);
    if (rc == CL_SUCCESS)
        return BB_OK;
    char name[128] = "?";
    clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
    name[sizeof name - 1] = '\0';
    return bb_fail(err, BB_E_DEVICE, "clEnqueueNDRangeKernel(%s) failed: %s (%d)", name,
                   bb_cl_error_name(rc), (int)rc);
}

/* bb_cl_run (opencl_internal.h) */
enum bb_status bb_cl_run(struct bb_cl *cl, const char *name, const struct bb_cl_arg *args,
                         int nargs, cl_uint dims, const size_t *global, const size_t *local,
                         struct bb_error *err)
{
    cl_kernel k;
    enum bb_status st = bb_cl_kernel(cl, name, &k, err);
    if (st)
        return st;
    size_t g[3];
    for (cl_uint d = 0; d < dims; d++) {
        if (global[d] == 0)
            return BB_OK; /* nothing to do */
        g[d] = (global[d] + local[d] - 1) / local[d] * local[d];
    }
    for (int i = 0; i < nargs; i++) {
        cl_int rc = clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].ptr);
        if (rc != CL_SUCCESS)
            return bb_fail(err, BB_E_DEVICE, "clSetKernelArg(%s, %d) failed: %s (%d)", name, i,
                           bb_cl_error_name(rc), (int)rc);
    }
    return bb_cl_launch(cl, k, dims, g, local, err);
}

/* ---- buffers ---------------------------------------------------------- */

static void CL_CALLBACK free_host(cl_mem mem, void *host)
{
    (void)mem;
    free(host);
}

enum bb_status bb_cl_buffer_new(struct bb_cl *cl, size_t bytes, struct bb_buffer **out,
                                struct bb_error *err)
{
    *out = NULL;
    size_t alloc = ((bytes ? bytes : 1) + 4095) / 4096 * 4096;
    struct bb_buffer *b = calloc(1, sizeof *b);
    void *host = NULL;
    cl_int rc;
    if (!b)
        return bb_fail(err, BB_E_NOMEM, "out of memory allocating a buffer");
    if (cl->is_cpu) { /* zero-copy: the device works on this host memory */
        /* weights: 2 MiB pages where the kernel allows (THP "madvise"), 1/512 of the page
         * faults of a start (MiniLM: about 22,000 fewer) and of the GEMMs' TLB misses */
        bool huge = alloc >= HUGE_PAGE;
        if (huge)
            alloc = (alloc + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        host = aligned_alloc(huge ? HUGE_PAGE : 4096, alloc);
#ifdef MADV_HUGEPAGE
        if (host && huge)
            madvise(host, alloc, MADV_HUGEPAGE); /* advice only: its failure changes nothing */
#endif
        if (!host) {
            free(b);
            return bb_fail(err, BB_E_NOMEM, "cannot allocate %zu bytes of host memory", alloc);
        }
        b->mem = clCreateBuffer(cl->ctx, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR, alloc, host,
                                &rc);
    } else {
        b->mem = clCreateBuffer(cl->ctx, CL_MEM_READ_WRITE, alloc, NULL, &rc);
    }
    bb_fault_rc(BB_FAULT_CL_ALLOC, BB_CALLER, &rc, CL_MEM_OBJECT_ALLOCATION_FAILURE);
    if (rc == CL_SUCCESS && host)
        rc = clSetMemObjectDestructorCallback(b->mem, free_host, host);
    if (rc != CL_SUCCESS) {
        if (b->mem)
            clReleaseMemObject(b->mem);
        free(host);
        free(b);
        return bb_fail(err, BB_E_DEVICE, "clCreateBuffer(%zu bytes) failed: %s (%d)", bytes,
                       bb_cl_error_name(rc), (int)rc);
    }
    b->be = cl->be;
    b->bytes = bytes;
    b->host = host;
    *out = b;
    return BB_OK;
}

static enum bb_status cl_buffer_alloc(struct bb_backend *be, size_t bytes, struct bb_buffer **out,
                                      struct bb_error *err)
{
    return bb_cl_buffer_new(bb_cl_of(be), bytes, out, err);
}

static size_t cl_buffer_bytes(const struct bb_buffer *buf) { return buf->bytes; }

/* The host memory of a zero-copy buffer is freed by the destructor callback
 * once the device is done with it. */
static void cl_buffer_free(struct bb_backend *be, struct bb_buffer *buf)
{
    (void)be;
    clReleaseMemObject(buf->mem);
    free(buf);
}

static enum bb_status cl_upload(struct bb_backend *be, struct bb_buffer *dst, size_t offset,
                                const void *src, size_t bytes, struct bb_error *err)
{
    if (!bytes)
        return BB_OK;
    /* Blocking: the caller may reuse src as soon as this returns. */
    return bb_cl_check(err, clEnqueueWriteBuffer(bb_cl_of(be)->queue, dst->mem, CL_TRUE, offset,
                                                 bytes, src, 0, NULL, NULL),
                       "clEnqueueWriteBuffer");
}

static enum bb_status cl_download(struct bb_backend *be, struct bb_buffer *src, size_t offset,
                                  void *dst, size_t bytes, struct bb_error *err)
{
    if (!bytes)
        return BB_OK;
    return bb_cl_check(err, clEnqueueReadBuffer(bb_cl_of(be)->queue, src->mem, CL_TRUE, offset,
                                                bytes, dst, 0, NULL, NULL),
                       "clEnqueueReadBuffer");
}

static enum bb_status cl_sync(struct bb_backend *be, struct bb_error *err)
{
    cl_int rc = clFinish(bb_cl_of(be)->queue);
    bb_fault_rc(BB_FAULT_CL_FINISH, BB_CALLER, &rc, CL_OUT_OF_RESOURCES);
    return bb_cl_check(err, rc, "clFinish");
}

static enum bb_status cl_weight_upload(struct bb_backend *be, const void *src,
                                       enum bb_dtype src_dtype, int n, int k,
                                       enum bb_dtype storage, struct bb_weight *out,
                                       struct bb_error *err)
{
    if (bb_dtype_is_quant(storage))
        return src_dtype == storage
                   ? bb_cl_quant_weight_upload(bb_cl_of(be), src, storage, n, k, out, err)
                   : bb_fail(err, BB_E_UNSUPPORTED, "weight upload: %s storage from %s source",
                             bb_dtype_name(storage), bb_dtype_name(src_dtype));
    return bb_cl_matmul_weight_upload(bb_cl_of(be), src, src_dtype, n, k, storage, out, err);
}

/* f32 activations everywhere; matmul and get_rows take f32, f16 and every quantised weight
 * (opencl_matmul.c, opencl_quant.c). */
static bool cl_supports_op(struct bb_backend *be, enum bb_op_kind op, enum bb_dtype dtype)
{
    (void)be;
    if (op == BB_OP_MATMUL || op == BB_OP_GET_ROWS)
        return dtype == BB_F32 || dtype == BB_F16 || bb_dtype_is_quant(dtype);
    if (dtype != BB_F32)
        return false;
    switch (op) {
    case BB_OP_EMBED: case BB_OP_MATMUL: case BB_OP_LAYERNORM: case BB_OP_ATTENTION:
    case BB_OP_POOL: case BB_OP_GET_ROWS:
        return true;
    case BB_OP_RMSNORM: case BB_OP_ROPE: case BB_OP_ATTN_CAUSAL: case BB_OP_KV_STORE:
    case BB_OP_GLU: case BB_OP_LOGPROBS: case BB_OP_COPY_ROWS: /* opencl_decoder.c */
        return true;
    case BB_OP_COUNT:
        break;
    }
    return false;
}

/* ---- ops -------------------------------------------------------------- */

static enum bb_status cl_embed(struct bb_backend *be, struct bb_buffer *ids, struct bb_buffer *pos,
                               struct bb_buffer *type_ids, struct bb_buffer *word,
                               struct bb_buffer *pos_emb, struct bb_buffer *type_emb,
                               struct bb_buffer *out, int n_tok, int c, struct bb_error *err)
{
    size_t nt = (size_t)n_tok, cc = (size_t)c;
    struct bb_buffer *types = type_ids ? type_ids : ids;
    int n_word = (int)(word->bytes / 4 / cc), n_pos = (int)(pos_emb->bytes / 4 / cc);
    int n_type = (int)(type_emb->bytes / 4 / cc);
    const struct bb_cl_arg args[] = {
        BB_CL_MEM(ids),      BB_CL_MEM(pos),  BB_CL_MEM(types),  BB_CL_INT(type_ids != NULL),
        BB_CL_MEM(word),     BB_CL_MEM(pos_emb), BB_CL_MEM(type_emb), BB_CL_MEM(out),
        BB_CL_INT(n_tok),    BB_CL_INT(c),    BB_CL_INT(n_word), BB_CL_INT(n_pos),
        BB_CL_INT(n_type)};
    const size_t global[2] = {cc, nt}, local[2] = {LOCAL_1D, 1};
    return bb_cl_run(bb_cl_of(be), "bb_embed", args, 13, 2, global, local, err);
}

static enum bb_status cl_matmul(struct bb_backend *be, struct bb_buffer *x,
                                const struct bb_weight *w, struct bb_buffer *bias,
                                struct bb_buffer *residual, struct bb_buffer *out, int m,
                                enum bb_act act, struct bb_error *err)
{
    if (bb_dtype_is_quant(w->dtype))
        return bb_cl_quant_matmul(bb_cl_of(be), x, w, bias, residual, out, m, act, err);
    return bb_cl_matmul(bb_cl_of(be), x, w, bias, residual, out, m, act, err);
}

static enum bb_status cl_get_rows(struct bb_backend *be, const struct bb_weight *w,
                                  struct bb_buffer *ids, struct bb_buffer *out, int n,
                                  bool accumulate, struct bb_error *err)
{
    return bb_cl_get_rows(bb_cl_of(be), w, ids, out, n, accumulate, err);
}

static enum bb_status cl_layernorm(struct bb_backend *be, struct bb_buffer *x,
                                   struct bb_buffer *gamma, struct bb_buffer *beta,
                                   struct bb_buffer *out, int m, int c, float eps,
                                   struct bb_error *err)
{
    size_t mm = (size_t)m;
    const struct bb_cl_arg args[] = {BB_CL_MEM(x),   BB_CL_MEM(gamma), BB_CL_MEM(beta),
                                     BB_CL_MEM(out), BB_CL_INT(m),     BB_CL_INT(c),
                                     BB_CL_FLT(eps)};
    const size_t global[1] = {mm}, local[1] = {LOCAL_1D};
    return bb_cl_run(bb_cl_of(be), "bb_layernorm_rows", args, 7, 1, global, local, err);
}

static enum bb_status cl_attention(struct bb_backend *be, struct bb_buffer *qkv,
                                   struct bb_buffer *lengths, struct bb_buffer *pos_bias,
                                   struct bb_buffer *out, int b, int t, int n_head, int head_dim,
                                   float scale, struct bb_error *err)
{
    if (head_dim > 128)
        return bb_fail(err, BB_E_UNSUPPORTED,
                       "opencl attention: head_dim %d is larger than the kernel's 128", head_dim);
    size_t bb = (size_t)b, tt = (size_t)t, nh = (size_t)n_head;
    if (bb * nh * tt > INT_MAX)
        return bb_fail(err, BB_E_UNSUPPORTED, "opencl attention: batch too large");
    struct bb_buffer *bias = pos_bias ? pos_bias : qkv;
    const struct bb_cl_arg args[] = {
        BB_CL_MEM(qkv),      BB_CL_MEM(lengths), BB_CL_MEM(bias), BB_CL_INT(pos_bias != NULL),
        BB_CL_MEM(out),      BB_CL_INT(b),       BB_CL_INT(t),    BB_CL_INT(n_head),
        BB_CL_INT(head_dim), BB_CL_FLT(scale)};
    /* bb_attention_hd32 takes two query rows per work-item */
    size_t rows = head_dim == 32 ? (tt + 1) / 2 : tt;
    const size_t global[1] = {bb * nh * rows}, local[1] = {LOCAL_1D};
    const char *name = head_dim == 32    ? "bb_attention_hd32"
                       : head_dim == 64  ? "bb_attention_hd64"
                       : head_dim == 128 ? "bb_attention_hd128"
                                         : "bb_attention";
    return bb_cl_run(bb_cl_of(be), name, args, 10, 1, global, local, err);
}

static enum bb_status cl_pool(struct bb_backend *be, struct bb_buffer *x, struct bb_buffer *lengths,
                              struct bb_buffer *out, int b, int t, int c, enum bb_pool_mode mode,
                              bool normalize, struct bb_error *err)
{
    size_t bb = (size_t)b, cc = (size_t)c;
    enum bb_status st;
    struct bb_cl *cl = bb_cl_of(be);
    const struct bb_cl_arg pargs[] = {BB_CL_MEM(x),
                                      BB_CL_MEM(lengths),
                                      BB_CL_MEM(out),
                                      BB_CL_INT(b),
                                      BB_CL_INT(t),
                                      BB_CL_INT(c),
                                      BB_CL_INT(mode == BB_POOL_CLS)};
    const size_t g1[1] = {bb * cc}, g2[1] = {bb}, local[1] = {LOCAL_1D};
    st = bb_cl_run(cl, "bb_pool_rows", pargs, 7, 1, g1, local, err);
    if (st || !normalize)
        return st;
    const struct bb_cl_arg nargs[] = {BB_CL_MEM(out), BB_CL_INT(b), BB_CL_INT(c)};
    return bb_cl_run(cl, "bb_l2_normalize_rows", nargs, 3, 1, g2, local, err);
}

/* ---- creation and teardown -------------------------------------------- */

static void cl_free(struct bb_backend *be)
{
    struct bb_cl *cl = bb_cl_of(be);
    if (cl) {
        cl_int rc = cl->queue ? clFinish(cl->queue) : CL_SUCCESS;
        if (rc != CL_SUCCESS) /* teardown cannot fail: say so, then release all the same */
            bb_warn("OpenCL: clFinish before freeing the backend failed: %s (%d)",
                    bb_cl_error_name(rc), (int)rc);
        if (cl->prof) {
            struct prof *p = cl->prof;
            if (p->at_exit)
                prof_report(p);
            else
                prof_drain(p); /* release the events */
            free(p);
        }
        struct kernel_table *t = cl->kernels;
        for (int i = 0; t && i < t->n; i++)
            clReleaseKernel(t->k[i]);
        free(t);
        bb_cl_matmul_free(cl);
        programs_free(cl->progs);
        if (cl->queue)
            clReleaseCommandQueue(cl->queue);
        if (cl->ctx)
            clReleaseContext(cl->ctx);
        free(cl);
    }
    free(be);
}

static const struct bb_backend_vtable cl_vtable = {
    .name = "opencl",
    .free = cl_free,
    .buffer_alloc = cl_buffer_alloc,
    .buffer_free = cl_buffer_free,
    .buffer_bytes = cl_buffer_bytes,
    .upload = cl_upload,
    .download = cl_download,
    .sync = cl_sync,
    .weight_upload = cl_weight_upload,
    .supports_op = cl_supports_op,
    .profile = cl_profile,
    .prepare = cl_prepare,
    .embed = cl_embed,
    .matmul = cl_matmul,
    .layernorm = cl_layernorm,
    .attention = cl_attention,
    .pool = cl_pool,
    .rmsnorm = bb_cl_rmsnorm,
    .rope = bb_cl_rope,
    .attn_causal = bb_cl_attn_causal,
    .kv_store = bb_cl_kv_store,
    .glu = bb_cl_glu,
    .logprobs = bb_cl_logprobs,
    .copy_rows = bb_cl_copy_rows,
    .get_rows = cl_get_rows,
};

/* Context and in-order queue on the chosen device. */
static enum bb_status open_device(struct bb_cl *cl, const struct cl_dev *d, bool profile,
                                  struct bb_error *err)
{
    cl_int rc;
    cl->platform = d->platform;
    cl->device = d->device;
    cl->is_cpu = (d->type & CL_DEVICE_TYPE_CPU) != 0;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)d->platform, 0};
    cl->ctx = clCreateContext(props, 1, &d->device, NULL, NULL, &rc);
    if (rc != CL_SUCCESS) {
        cl->ctx = NULL;
        return bb_cl_check(err, rc, "clCreateContext");
    }
    const char *pe = getenv("BIASBENCH_PROFILE");
    bool at_exit = pe && *pe && strcmp(pe, "0");
    if ((profile || at_exit) && !(cl->prof = calloc(1, sizeof(struct prof))))
        return bb_fail(err, BB_E_NOMEM, "out of memory for the kernel profile");
    if (cl->prof)
        ((struct prof *)cl->prof)->at_exit = at_exit;
    cl->queue = clCreateCommandQueue(cl->ctx, d->device, cl->prof ? CL_QUEUE_PROFILING_ENABLE : 0,
                                     &rc);
    if (rc != CL_SUCCESS) {
        cl->queue = NULL;
        return bb_cl_check(err, rc, "clCreateCommandQueue");
    }
    return BB_OK;
}

enum bb_status bb_backend_opencl_create(const struct bb_backend_opts *opts,
                                        struct bb_backend **out, struct bb_error *err)
{
    *out = NULL;
    struct cl_dev *devs = NULL;
    int n = 0;
    const char *sel = opts && opts->device ? opts->device : "auto";
    enum bb_status st = enum_devices(&devs, &n, err);
    if (st)
        return st;
    int idx = match_selector(devs, n, sel);
    if (idx < 0) {
        st = no_match(devs, n, sel, err);
        free(devs);
        return st;
    }
    struct bb_backend *be = calloc(1, sizeof *be);
    struct bb_cl *cl = calloc(1, sizeof *cl);
    struct kernel_table *kt = calloc(1, sizeof *kt);
    if (!be || !cl || !kt) {
        free(be);
        free(cl);
        free(kt);
        free(devs);
        return bb_fail(err, BB_E_NOMEM, "out of memory creating the OpenCL backend");
    }
    be->vt = &cl_vtable;
    be->impl = cl;
    cl->be = be;
    cl->kernels = kt;
    fill_info(&be->info, devs[idx].platform, devs[idx].device);
    if ((st = open_device(cl, &devs[idx], opts && opts->profile, err)) ||
        (st = programs_init(cl, opts, err))) {
        bb_error_prefix(err, "OpenCL device '%s'", be->info.name);
        goto done;
    }
    bb_info("OpenCL device: %s (%s, %s); kernel programs built on first use", be->info.name,
            be->info.platform, be->info.version);
done:
    free(devs);
    if (st) {
        cl_free(be);
        return st;
    }
    *out = be;
    return BB_OK;
}

/* `biasbench cache kernels DIR`: build every group program for the device opts selects from
 * source (the prebuilt kernels and binary cache aside) and store each binary in dir, in the
 * binary cache's format; *n: programs stored. */
enum bb_status bb_opencl_prebuild(const struct bb_backend_opts *opts, const char *dir, int *n,
                                  struct bb_error *err)
{
    struct bb_backend_opts o = opts ? *opts : (struct bb_backend_opts){0};
    o.cache_dir = NULL;
    o.no_prebuilt = true;
    *n = 0;
    struct bb_backend *be = NULL;
    enum bb_status st = bb_backend_opencl_create(&o, &be, err);
    if (st)
        return st;
    struct bb_cl *cl = bb_cl_of(be);
    struct progs *ps = cl->progs;
    snprintf(ps->cdir, sizeof ps->cdir, "%s", dir); /* where program_build stores */
    bool own_specs = !getenv("POCL_BINARY_SPECIALIZE_WG"); /* else the caller's, for all */
    for (int g = 0; g < N_GROUPS && !st; g++) {
        if (own_specs) /* PoCL reads it when it writes the binary */
            setenv("POCL_BINARY_SPECIALIZE_WG", groups[g].pocl_specs, 1);
        st = program_build(cl, &ps->group[g], err);
        char path[4200]; /* program_build stored it (or loaded it from there): is it there? */
        bb_cl_cache_path(dir, cache_key(cl, ps->group[g].src, ps->options), path, sizeof path);
        if (!st && !bb_path_exists(path))
            st = bb_fail(err, BB_E_DEVICE, "%s: no binary stored for the %s program (see the "
                         "warnings above)", dir, ps->group[g].name);
        *n += !st;
    }
    if (own_specs)
        unsetenv("POCL_BINARY_SPECIALIZE_WG");
    bb_backend_free(be);
    return st;
}
