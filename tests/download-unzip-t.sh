#!/bin/sh
# download-unzip-t.sh: scripts/setup.sh unpacks wheels and zip volumes only
# after checking every member: a name with a ".." component, an absolute name
# or a symbolic-link member refuses the whole archive (exit 1, a message naming
# the archive and the member) and nothing is written, inside or outside the
# destination. The crafted archives are tests/data/unzip/*.zip
# (make-fixtures.sh there says how they were made).
set -u
S=$(cd "${srcdir:-.}" && pwd)
. "$S/tests/tap.sh"
Z=$S/tests/data/unzip
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-unzip-XXXXXX")
trap 'rm -rf "$T"' EXIT
command -v unzip >/dev/null 2>&1 || bail_or_skip_all "unzip not installed (scripts/setup.sh installs it)"
echo "1..16"

# unpack ZIP DEST [MEMBER...]: run setup.sh's safe_unzip; rc in $rc, stderr in $T/err
unpack() {
  zip=$1 dest=$2; shift 2
  "$S/scripts/setup.sh" --safe-unzip "$zip" "$dest" "$@" >"$T/out" 2>"$T/err"; rc=$?
}
# files DIR: how many plain files are under DIR (0 when it does not exist)
files() { if [ -d "$1" ]; then find "$1" -type f | wc -l | tr -d ' '; else echo 0; fi; }

unpack "$Z/good.zip" "$T/good"
[ "$rc" = 0 ]; ok $? "a well-formed archive unpacks (exit $rc)"
[ "$(cat "$T/good/pkg/model/model.safetensors" 2>/dev/null)" = weights ]; ok $? "... its members land under the destination"
unpack "$Z/good.zip" "$T/one" 'pkg/model/config.json'
[ "$rc" = 0 ] && [ "$(files "$T/one")" = 1 ]; ok $? "member patterns still select what is unpacked"

unpack "$Z/dotdot.zip" "$T/dd/dest"
[ "$rc" = 1 ]; ok $? "a member named ../evil.txt: refused (exit $rc)"
grep -qF "dotdot.zip: refused" "$T/err" && grep -qF "../evil.txt" "$T/err"; ok $? "... the message names the archive and the member"
[ ! -e "$T/dd/evil.txt" ] && [ ! -e "$T/evil.txt" ]; ok $? "... nothing written outside the destination"
[ "$(files "$T/dd")" = 0 ]; ok $? "... nor inside it: the harmless member is not unpacked either"
unpack "$Z/dotdot.zip" "$T/dd2/dest" 'pkg/model/config.json'
[ "$rc" = 1 ] && [ "$(files "$T/dd2")" = 0 ]; ok $? "asking only for a harmless member still refuses the archive"

rm -rf /tmp/biasbench-unzip-evil
unpack "$Z/abs.zip" "$T/abs"
[ "$rc" = 1 ]; ok $? "a member named /tmp/biasbench-unzip-evil/abs.txt: refused (exit $rc)"
grep -qF "/tmp/biasbench-unzip-evil/abs.txt" "$T/err"; ok $? "... the message names the member"
[ ! -e /tmp/biasbench-unzip-evil ]; ok $? "... nothing written at the absolute path"
[ "$(files "$T/abs")" = 0 ]; ok $? "... nor inside the destination (unzip would have stripped the / and written it)"

unpack "$Z/symlink.zip" "$T/ln"
[ "$rc" = 1 ]; ok $? "a symbolic-link member: refused (exit $rc)"
grep -qF "symbolic-link" "$T/err" && grep -qF "pkg/link" "$T/err"; ok $? "... the message says so and names it"
[ ! -L "$T/ln/pkg/link" ] && [ "$(files "$T/ln")" = 0 ]; ok $? "... no link and no file written"

printf 'not a zip\n' >"$T/junk.whl"
unpack "$T/junk.whl" "$T/junk"
[ "$rc" = 1 ] && grep -qF "junk.whl: not a readable zip archive" "$T/err"; ok $? "a file that is not a zip: a clear error (exit $rc)"
exit $((fails > 0))
