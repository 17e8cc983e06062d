/* shard.c: job selection for `biasbench run --shard K/N` (see shard.h). */
#include "shard.h"

#include <errno.h>
#include <stdlib.h>

enum bb_status bb_shard_parse(const char *opt, const char *arg, unsigned *k, unsigned *n,
                              struct bb_error *err)
{
    char *end;
    errno = 0;
    unsigned long a = strtoul(arg, &end, 10), b = 0;
    bool good = !errno && end != arg && *end == '/' && arg[0] != '-';
    if (good) {
        const char *p = end + 1;
        b = strtoul(p, &end, 10);
        good = !errno && end != p && !*end && *p != '-' && b >= 1 && b <= 100000 && a < b;
    }
    if (!good)
        return bb_fail(err, BB_E_USAGE,
                       "%s: expected K/N with 0 <= K < N (e.g. 0/4 ... 3/4), "
                       "found '%s'",
                       opt, arg);
    *k = (unsigned)a;
    *n = (unsigned)b;
    return BB_OK;
}

bool bb_shard_owns(size_t job, unsigned k, unsigned n)
{
    return n == 0 || job % n == k;
}

json_t *bb_shard_manifest(unsigned k, unsigned n, bool by_model, const bool *mine, size_t n_models,
                          size_t n_tasks)
{
    json_t *o = json_object(), *jobs = json_array();
    json_object_set_new(o, "index", json_integer(k));
    json_object_set_new(o, "count", json_integer(n));
    json_object_set_new(o, "by", json_string(by_model ? "model" : "job"));
    for (size_t m = 0; m < n_models; m++)
        for (size_t t = 0; t < n_tasks; t++)
            if (mine[m * n_tasks + t]) {
                json_t *j = json_array();
                json_array_append_new(j, json_integer((json_int_t)t));
                json_array_append_new(j, json_integer((json_int_t)m));
                json_array_append_new(jobs, j);
            }
    json_object_set_new(o, "jobs", jobs);
    return o;
}
