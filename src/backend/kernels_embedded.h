/* kernels_embedded.h: the OpenCL kernel sources compiled into the binary
 * (generated from the kernels folder by build-aux/embed-kernels.sh). */
#ifndef BB_KERNELS_EMBEDDED_H
#define BB_KERNELS_EMBEDDED_H

struct bb_embedded_kernel {
    const char *name;   /* file name, e.g. "matmul.cl" */
    const char *source;
};
/* Terminated by an entry whose name is NULL. */
extern const struct bb_embedded_kernel bb_embedded_kernels[];

#endif
