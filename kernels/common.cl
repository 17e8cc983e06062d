/* common.cl: helpers shared by every kernel file (prepended to each program). */
