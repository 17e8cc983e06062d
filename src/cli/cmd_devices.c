/* cmd_devices.c: `biasbench devices`: list OpenCL platforms and devices. */
#include <getopt.h>
#include <stdio.h>

#include "backend/backend.h"
#include "cli.h"

static const char usage_text[] =
    "usage: biasbench devices\n\n"
    "List every OpenCL platform and device (name, vendor, driver, compute units,\n"
    "global memory, largest allocation) and say which one --device auto picks.\n";

int bb_cmd_devices(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {0}};
    int opt;
    optind = 1;
    if ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
        return bb_cli_usage(opt, usage_text);
    if (bb_cli_no_operands("devices", argc, argv))
        return 2;
    struct bb_error err = {0};
    enum bb_status st = bb_opencl_list_devices(stdout, &err);
    return st ? bb_cli_fail("devices", st, &err) : 0;
}
