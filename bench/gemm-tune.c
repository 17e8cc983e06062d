/* gemm-tune.c: standalone tuning harness for kernels/matmul.cl. It builds
 * the kernel with given tile sizes, packs random weights the way
 * src/backend/opencl_matmul.c does, times the kernel on the first OpenCL
 * device and checks the result against OpenBLAS. Not part of the tool.
 *
 * build: make bench/gemm-tune in a build directory (an EXTRA_PROGRAM when
 *        OpenBLAS is found), or by hand from the source tree:
 *        gcc -O2 -std=c11 -D_GNU_SOURCE -DCL_TARGET_OPENCL_VERSION=120 bench/gemm-tune.c \
 *          -o gemm-tune -lOpenCL $(pkg-config --cflags --libs openblas) -lm
 * run:   POCL_AFFINITY=1 ./gemm-tune [-t MR,NR,VW,KU] [-l L0] [-s f32|f16]
 *          [-r launches] [-n runs] [-k kernels/matmul.cl] [-D "extra opts"] m n k [m n k ...] */
#include <CL/cl.h>
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CK(call)                                                                \
    do {                                                                        \
        cl_int rc_ = (call);                                                    \
        if (rc_ != CL_SUCCESS) {                                                \
            fprintf(stderr, "%s:%d: %s failed: %d\n", __FILE__, __LINE__, #call, rc_); \
            exit(1);                                                            \
        }                                                                       \
    } while (0)

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void nap(void)
{
    struct timespec t = {0, 150 * 1000 * 1000};
    nanosleep(&t, NULL);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc(len + 1);
    if (fread(s, 1, len, f) != (size_t)len)
        exit(1);
    s[len] = 0;
    fclose(f);
    return s;
}

/* float -> IEEE half, round to nearest even (normal range only is enough here) */
static uint16_t f2h(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int e = (int)((x >> 23) & 0xff) - 127 + 15;
    uint32_t mant = x & 0x7fffff;
    if (e <= 0)
        return sign;
    if (e >= 31)
        return sign | 0x7c00;
    uint32_t h = sign | (e << 10) | (mant >> 13);
    uint32_t rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        h++;
    return h;
}

static float h2f(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, mant = h & 0x3ff, x;
    if (e == 0)
        x = sign; /* flush subnormals: not produced by f2h above */
    else
        x = sign | ((e - 15 + 127) << 23) | (mant << 13);
    float f;
    memcpy(&f, &x, 4);
    return f;
}

int main(int argc, char **argv)
{
    int MR = 4, NR = 16, VW = 8, KU = 4, runs = 7, reps = 10, f16 = 0, l0 = 1, flags = 0;
#ifdef BB_SRCDIR
    const char *kpath = BB_SRCDIR "/kernels/matmul.cl", *extra = "";
#else
    const char *kpath = "kernels/matmul.cl", *extra = "";
#endif
    int ai = 1;
    for (; ai < argc && argv[ai][0] == '-'; ai += 2) {
        const char *v = argv[ai + 1];
        switch (argv[ai][1]) {
        case 't': sscanf(v, "%d,%d,%d,%d", &MR, &NR, &VW, &KU); break;
        case 'l': l0 = atoi(v); break;
        case 's': f16 = !strcmp(v, "f16"); break;
        case 'r': reps = atoi(v); break;
        case 'n': runs = atoi(v); break;
        case 'k': kpath = v; break;
        case 'D': extra = v; break;
        case 'f': flags = atoi(v); break; /* 1 bias, 2 residual, 4 gelu */
        default: fprintf(stderr, "bad option %s\n", argv[ai]); return 2;
        }
    }
    cl_platform_id plat;
    cl_device_id dev;
    CK(clGetPlatformIDs(1, &plat, NULL));
    CK(clGetDeviceIDs(plat, CL_DEVICE_TYPE_ALL, 1, &dev, NULL));
    char dname[256];
    CK(clGetDeviceInfo(dev, CL_DEVICE_NAME, sizeof dname, dname, NULL));
    cl_int rc;
    cl_context ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &rc);
    CK(rc);
    cl_command_queue q = clCreateCommandQueue(ctx, dev, 0, &rc);
    CK(rc);
    char *src = read_file(kpath);
    cl_program prog = clCreateProgramWithSource(ctx, 1, (const char **)&src, NULL, &rc);
    CK(rc);
    char opts[512];
    snprintf(opts, sizeof opts, "-cl-std=CL1.2 -DBB_MM_MR=%d -DBB_MM_NR=%d -DBB_MM_VW=%d -DBB_MM_KU=%d %s",
             MR, NR, VW, KU, extra);
    double tb = now();
    rc = clBuildProgram(prog, 1, &dev, opts, NULL, NULL);
    if (rc != CL_SUCCESS) {
        char log[65536];
        clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, sizeof log, log, NULL);
        fprintf(stderr, "build failed (%d):\n%s\n", rc, log);
        return 1;
    }
    tb = now() - tb;
    cl_kernel kern = clCreateKernel(prog, f16 ? "bb_matmul_f16" : "bb_matmul_f32", &rc);
    CK(rc);
    printf("# %s  opts: %s  local0=%d storage=%s flags=%d build %.2fs\n", dname, opts, l0,
           f16 ? "f16" : "f32", flags, tb);
    printf("%6s %6s %6s %10s %10s %10s %8s %6s %8s\n", "m", "n", "k", "GFLOP/s", "min-max",
           "maxerr", "BLAS", "ratio", "GF/cpu-s");
    srand(1);
    for (; ai + 2 < argc; ai += 3) {
        int m = atoi(argv[ai]), n = atoi(argv[ai + 1]), k = atoi(argv[ai + 2]);
        int np = (n + NR - 1) / NR;
        float *x = malloc(sizeof(float) * m * k), *w = malloc(sizeof(float) * n * k);
        float *bias = malloc(sizeof(float) * n), *res = malloc(sizeof(float) * m * n);
        float *out = malloc(sizeof(float) * m * n), *ref = malloc(sizeof(float) * m * n);
        for (long i = 0; i < (long)m * k; i++)
            x[i] = rand() / (float)RAND_MAX * 2 - 1;
        for (long i = 0; i < (long)n * k; i++)
            w[i] = (rand() / (float)RAND_MAX * 2 - 1) * 0.1f;
        for (int i = 0; i < n; i++)
            bias[i] = rand() / (float)RAND_MAX - 0.5f;
        for (long i = 0; i < (long)m * n; i++)
            res[i] = rand() / (float)RAND_MAX - 0.5f;
        if (f16)
            for (long i = 0; i < (long)n * k; i++)
                w[i] = h2f(f2h(w[i]));
        size_t esz = f16 ? 2 : 4, pbytes = (size_t)np * NR * k * esz;
        void *packed = calloc(1, pbytes);
        for (int p = 0; p < np; p++)
            for (int kk = 0; kk < k; kk++)
                for (int j = 0; j < NR; j++) {
                    int col = p * NR + j;
                    float v = col < n ? w[(size_t)col * k + kk] : 0.0f;
                    size_t o = ((size_t)p * k + kk) * NR + j;
                    if (f16)
                        ((uint16_t *)packed)[o] = f2h(v);
                    else
                        ((float *)packed)[o] = v;
                }
        cl_mem bx = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof(float) * m * k, x, &rc);
        CK(rc);
        cl_mem bw = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, pbytes, packed, &rc);
        CK(rc);
        cl_mem bb = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof(float) * n, bias, &rc);
        CK(rc);
        cl_mem br = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof(float) * m * n, res, &rc);
        CK(rc);
        cl_mem bo = clCreateBuffer(ctx, CL_MEM_WRITE_ONLY, sizeof(float) * m * n, NULL, &rc);
        CK(rc);
        CK(clSetKernelArg(kern, 0, sizeof(cl_mem), &bx));
        CK(clSetKernelArg(kern, 1, sizeof(cl_mem), &bw));
        CK(clSetKernelArg(kern, 2, sizeof(cl_mem), &bb));
        CK(clSetKernelArg(kern, 3, sizeof(cl_mem), &br));
        CK(clSetKernelArg(kern, 4, sizeof(cl_mem), &bo));
        CK(clSetKernelArg(kern, 5, sizeof(int), &m));
        CK(clSetKernelArg(kern, 6, sizeof(int), &n));
        CK(clSetKernelArg(kern, 7, sizeof(int), &k));
        CK(clSetKernelArg(kern, 8, sizeof(int), &flags));
        size_t mblocks = (m + MR - 1) / MR;
        size_t local[2] = {l0, 1}, global[2] = {(mblocks + l0 - 1) / l0 * l0, np};
        CK(clEnqueueNDRangeKernel(q, kern, 2, NULL, global, local, 0, NULL, NULL));
        CK(clFinish(q));
        double gf[64], bl[64], ra[64], cg[64];
        for (int r = 0; r < runs && r < 64; r++) {
            double t = now(), tc = cpu_now();
            for (int i = 0; i < reps; i++)
                CK(clEnqueueNDRangeKernel(q, kern, 2, NULL, global, local, 0, NULL, NULL));
            CK(clFinish(q));
            gf[r] = 2.0 * m * n * k * reps / (now() - t) * 1e-9;
            cg[r] = 2.0 * m * n * k * reps / (cpu_now() - tc) * 1e-9;
            nap(); /* let the other runtime's spinning threads park */
            t = now();
            for (int i = 0; i < reps; i++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, x, k, w, k, 0,
                            ref, n);
            bl[r] = 2.0 * m * n * k * reps / (now() - t) * 1e-9;
            ra[r] = gf[r] / bl[r];
            nap();
        }
        CK(clEnqueueReadBuffer(q, bo, CL_TRUE, 0, sizeof(float) * m * n, out, 0, NULL, NULL));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, x, k, w, k, 0, ref, n);
        double maxerr = 0, scale = 0;
        for (long i = 0; i < (long)m * n; i++) {
            double v = ref[i];
            if (flags & 1)
                v += bias[i % n];
            if (flags & 4)
                v = 0.5 * v * (1 + erf(v * M_SQRT1_2));
            if (flags & 2)
                v += res[i];
            ref[i] = v;
            if (fabs(v) > scale)
                scale = fabs(v);
        }
        for (long i = 0; i < (long)m * n; i++) {
            double e = fabs(out[i] - ref[i]) / (scale > 0 ? scale : 1);
            if (!(e <= maxerr))
                maxerr = e; /* NaN sticks */
        }
        int nr = runs < 64 ? runs : 64;
        qsort(gf, nr, sizeof gf[0], cmp_double);
        qsort(bl, nr, sizeof bl[0], cmp_double);
        qsort(ra, nr, sizeof ra[0], cmp_double);
        qsort(cg, nr, sizeof cg[0], cmp_double);
        printf("%6d %6d %6d %10.1f %4.0f-%-5.0f %10.2e %8.1f %6.2f %8.1f\n", m, n, k, gf[nr / 2],
               gf[0], gf[nr - 1], maxerr, bl[nr / 2], ra[nr / 2], cg[nr / 2]);
        fflush(stdout);
        clReleaseMemObject(bx);
        clReleaseMemObject(bw);
        clReleaseMemObject(bb);
        clReleaseMemObject(br);
        clReleaseMemObject(bo);
        free(x), free(w), free(bias), free(res), free(out), free(ref), free(packed);
    }
    clReleaseKernel(kern);
    clReleaseProgram(prog);
    clReleaseCommandQueue(q);
    clReleaseContext(ctx);
    free(src);
    return 0;
}
