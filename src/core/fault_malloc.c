/* fault_malloc.c: the malloc hook of fault injection (fault.h). The biasbench
 * binary is linked with -Wl,--wrap=malloc (and calloc, realloc, aligned_alloc,
 * strdup, strndup), so every call of these in the project's own objects comes
 * here; calls made inside libraries (libyaml, jansson, PoCL, libc's own
 * getline, asprintf, ...) do not. The call site is the caller's return address. */
#include <errno.h>
#include <stddef.h>

#include "fault.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

/* true (errno ENOMEM) when this call must fail; the site is the wrapper's caller */
#define FAIL_HERE() (bb_fault(BB_FAULT_MALLOC, BB_CALLER) ? (errno = ENOMEM, 1) : 0)

void *__wrap_malloc(size_t n)
{
    return FAIL_HERE() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
    return FAIL_HERE() ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    return FAIL_HERE() ? NULL : __real_realloc(p, n);
}

void *__wrap_aligned_alloc(size_t a, size_t n)
{
    return FAIL_HERE() ? NULL : __real_aligned_alloc(a, n);
}

char *__wrap_strdup(const char *s)
{
    return FAIL_HERE() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return FAIL_HERE() ? NULL : __real_strndup(s, n);
}
