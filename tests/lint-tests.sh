#!/bin/sh
# lint-tests.sh: a TAP test (make check) that refuses test points which
# cannot fail. Three rules, one point each; every offender is listed as
# "# FILE:LINE: text". Checks the tests/*-t.sh shell tests and the tests/*.c
# test sources (or the files given as arguments).
set -u
S=${srcdir:-.}
. "$S/tests/tap.sh"

if [ $# -gt 0 ]; then files="$*"; else files=$(ls "$S"/tests/*-t.sh "$S"/tests/*.c); fi
shells= csrc=
for f in $files; do
  case $f in *.sh) shells="$shells $f" ;; *.c) csrc="$csrc $f" ;; esac
done
echo "1..3"

# Rule 1: a shell loop that can `break` followed by `ok $?`. `break` returns
# 0, so the status `ok` sees is the break's, not the check's: a failure that
# ends the loop early passes (tests/gate-t.sh had one). Keep a flag or count
# in the loop and test it. Flagged: `ok $?` on the line of a `done`, or on
# the next line, when that loop's body holds a `break`.
bad=$(for f in $shells; do
  awk -v F="$f" '
    { line = $0; gsub(/"[^"]*"/, "\"\"", line); gsub(/\047[^\047]*\047/, "", line)
      sub(/(^|[[:space:]])#.*/, "", line) }        # quoted text and comments aside
    line ~ /(^|[;&|[:space:]])(for|while|until)[[:space:]]/ { depth++; brk[depth] = 0 }
    line ~ /(^|[;&|[:space:]])break([;&|[:space:]]|$)/ && depth { brk[depth] = 1 }
    line ~ /(^|[;&|[:space:]])done([;&|[:space:]]|$)/ && depth {
      last_done = NR; last_brk = brk[depth]; depth--
    }
    $0 ~ /(^|[;&|[:space:]])ok[[:space:]]+"?\$\?/ && last_brk && (NR == last_done || NR == last_done + 1) {
      printf "%s:%d: %s\n", F, NR, $0
    }' "$f"
done)
[ -z "$bad" ]; ok $? "no shell test passes 'ok \$?' the status of a loop that can break"
[ -z "$bad" ] || printf '%s\n' "$bad" | sed 's/^/#   /'

# Rule 2: a C test point whose condition is a literal true, ok(1, ...) or
# ok(true, ...), passes whatever the code does. Record a real condition, or
# skip() (which fails under CI) when there is nothing to check.
bad=$(grep -nE '(^|[^_[:alnum:]])ok[[:space:]]*\([[:space:]]*(1|true|!0)[[:space:]]*[,)]' $csrc /dev/null |
      sed 's/^/#   /')
[ -z "$bad" ]; ok $? "no C test calls ok(1, ...) or ok(true, ...)"
[ -z "$bad" ] || printf '%s\n' "$bad"

# Rule 3: a test file that asserts nothing (no ok, is_int, is_double,
# is_string, contains or golden_* check in C; no ok/check/expect/bad/skip in
# shell) only shows that it ran. tests/gate-tap.sh is not a *-t.sh: it
# passes gate's own TAP through.
bad=
for f in $files; do
  case $f in
    *-t.c) re='(^|[^_[:alnum:]])(ok|is_int|is_double|is_string|contains|golden_[a-z0-9_]*check[a-z_]*)[[:space:]]*\(' ;;
    *-t.sh) re='(^|[;&|[:space:]])(ok|check|expect|bad)[[:space:]]' ;;
    *) continue ;;
  esac
  grep -qE "$re" "$f" || bad="$bad
#   $f: no assertion"
done
[ -z "$bad" ]; ok $? "every test file makes at least one assertion"
[ -z "$bad" ] || printf '%s\n' "$bad" | sed '/^$/d'
[ "$fails" = 0 ]
