# tap.sh: TAP helpers for the shell tests (sourced, POSIX sh), the shell side
# of tests/tap.c.
#   ok STATUS DESCRIPTION   one test point: "ok" when STATUS is 0
#   in_ci                   true under CI: CI is set, not empty, and neither
#                           "false" nor "0" (the one rule; tests/tap.c's
#                           test_in_ci() applies the same)
#   skip WHY                outside CI a skipped point ("ok N # SKIP WHY");
#                           under CI a failed one: nothing skips in CI
#   expect CODE TEXT DESCRIPTION -- ARGS...
#                           run "$B" ARGS (stdout to $T/out, stderr to $T/err):
#                           one point, exit status CODE and TEXT in stderr
#   bail_or_skip_all WHY    a missing model or data before any point: Bail out!
#                           under CI, else "1..0 # SKIP WHY"; exits
#   find_model NAME FILE    prints the folder NAME holding FILE ($BIASBENCH_MODELS
#                           first, then the model cache), or nothing
#   minilm_path             M = the all-MiniLM-L6-v2 folder, empty when there is none
#                           (the test decides what to skip); $cache = the cache's root
#   find_minilm             minilm_path; none: bail_or_skip_all
n=0
fails=0
skips=0
ok() {
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}
in_ci() {
  case ${CI:-} in "" | false | 0) return 1 ;; *) return 0 ;; esac
}
skip() {
  if in_ci; then
    ok 1 "$1 (a skip, and CI=${CI} allows none)"
  else
    n=$((n + 1)); skips=$((skips + 1)); echo "ok $n # SKIP $1"
  fi
}
expect() {
  code=$1 want=$2 what=$3; shift 4
  "$B" "$@" >"$T/out" 2>"$T/err"; rc=$?
  if [ "$rc" = "$code" ] && grep -qF -- "$want" "$T/err"; then ok 0 "$what (exit $rc)"
  else
    ok 1 "$what"; echo "#   wanted exit $code and stderr containing: $want"
    echo "#   got exit $rc:"; sed 's/^/#   /' "$T/err" | tail -5
  fi
}
bail_or_skip_all() {
  if in_ci; then echo "Bail out! $1 (CI=${CI})"; exit 1; fi
  echo "1..0 # SKIP $1"; exit 0
}
find_model() {
  for d in "${BIASBENCH_MODELS:-/nonexistent}/$1" \
           "${BIASBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/biasbench}/models/$1"; do
    [ -f "$d/$2" ] && echo "$d" && return
  done
}
minilm_path() {
  cache=${BIASBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/biasbench}
  M=$(find_model all-MiniLM-L6-v2 model.safetensors)
}
find_minilm() {
  minilm_path
  [ -n "$M" ] || bail_or_skip_all "all-MiniLM-L6-v2 not found (scripts/setup.sh fetches it)"
}
