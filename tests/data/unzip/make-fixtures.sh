#!/bin/sh
# make-fixtures.sh: how the crafted archives beside this script were made (run
# by hand, not by make check; needs Info-ZIP zip and perl). Each hostile name
# is first stored under a harmless name of the same length, then the name is
# patched in the local header and the central directory (the CRC covers only
# the content, so the archive stays valid).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
cd "$w"
mkdir -p pkg/model XX
printf 'weights\n' >pkg/model/model.safetensors
printf '{}\n' >pkg/model/config.json
printf 'evil\n' >XX/evil.txt
mkdir -p tmp/biasbench-unzip-evilX
printf 'evil\n' >tmp/biasbench-unzip-evilX/abs.txt
rm -f "$here"/*.zip
zip -qX "$here/good.zip" pkg/model/model.safetensors pkg/model/config.json
zip -qX "$w/dotdot.zip" pkg/model/config.json XX/evil.txt
perl -0777 -pe 's{XX/evil\.txt}{../evil.txt}g' "$w/dotdot.zip" >"$here/dotdot.zip"
zip -qX "$w/abs.zip" pkg/model/config.json tmp/biasbench-unzip-evilX/abs.txt
perl -0777 -pe 's{tmp/biasbench-unzip-evilX/}{/tmp/biasbench-unzip-evil/}g' "$w/abs.zip" >"$here/abs.zip"
ln -s /tmp pkg/link
zip -qXy "$here/symlink.zip" pkg/model/config.json pkg/link
