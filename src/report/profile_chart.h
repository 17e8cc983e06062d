/* profile_chart.h: the files `--profile` leaves in a run directory (or beside --output):
 * profile.csv (profile.h), profile.gp (a gnuplot script over it) and profile.svg (drawn when
 * gnuplot is there). */
#ifndef BB_PROFILE_CHART_H
#define BB_PROFILE_CHART_H

#include "core/profile.h"

/* Write dir/profile.csv and dir/profile.gp, then draw dir/profile.svg. No gnuplot, or gnuplot
 * failing, is a warning (the CSV and script are still there); a file that cannot be written is
 * BB_E_IO. */
enum bb_status bb_profile_write_files(const struct bb_profile *p, const char *dir,
                                      struct bb_error *err);

#endif
