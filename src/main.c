/* main.c: biasbench command-line entry: global options and subcommand dispatch only. */
#include "config.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--version")) {
        printf("biasbench %s (%s)\n", PACKAGE_VERSION, BB_COMMIT);
        return 0;
    }
    fprintf(stderr, "usage: biasbench <command> [options]\n");
    return 2;
}
