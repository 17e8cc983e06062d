#!/bin/sh
# download-http-t.sh: `biasbench fetch ORG/NAME` and `--model ORG/NAME` end to
# end against tests/httpd-fake, a local HTTP server on 127.0.0.1 that this test
# starts (HF_ENDPOINT points biasbench at it) and that can lie: sha256 checks
# against the repository listing and X-Linked-Etag, a weights file cut off and
# resumed with Range (and a server that ignores Range or answers it with 416), a
# server that lies about sizes, a redirect loop, listings with '../' and
# absolute names (refused, nothing written outside the model folder), a 10 GB
# config.json (refused by the per-kind size limit), a truncated config (no half
# file), a second fetch into the same folder (locked). TLS: against `openssl
# s_server` with a self-signed certificate, verification fails, trusting the
# certificate through BIASBENCH_CA_BUNDLE works, a certificate for another host
# name fails, and no environment variable turns verification off.
set -u
S=$(cd "${srcdir:-.}" && pwd)
. "$S/tests/tap.sh"
B=${BIASBENCH:-./biasbench}
case $B in /*) ;; *) B=$PWD/$B ;; esac
H=${top_builddir:-.}/tests/httpd-fake
case $H in /*) ;; *) H=$PWD/$H ;; esac
[ -x "$H" ] || bail_or_skip_all "$H not built (make check builds it)"
T=$(mktemp -d "${TMPDIR:-/tmp}/bb-http-XXXXXX")
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
unset HF_TOKEN BIASBENCH_CA_BUNDLE
export BIASBENCH_CONNECT_TIMEOUT=60 # covers the TLS handshake: generous for a loaded CI machine
echo "1..71"

# ---- the fake hub ---------------------------------------------------------------------
HUB=$T/hub
M=$T/models
mkdir -p "$HUB" "$M"
"$H" "$HUB" "$T/port" "$T/requests.log" 60 &
pids="$pids $!"
i=0
while [ ! -s "$T/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/port" ] || { echo "Bail out! httpd-fake did not start"; exit 1; }
export HF_ENDPOINT="http://127.0.0.1:$(cat "$T/port")"

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { wc -c <"$1" | tr -d ' '; }
# repo NAME: the files of a small model under $HUB/org/NAME/resolve/main
repo() {
  r=$HUB/org/$1/resolve/main
  mkdir -p "$r/1_Pooling"
  printf '{"model_type": "bert"}\n' >"$r/config.json"
  printf '{"model": {"type": "WordPiece"}}\n' >"$r/tokenizer.json"
  printf '{"pooling_mode_mean_tokens": true}\n' >"$r/1_Pooling/config.json"
  yes "biasbench weights $1" | head -c 300000 >"$r/model.safetensors"
}
# listing NAME [EXTRA-ENTRY...]: the repository listing of what repo NAME holds
listing() {
  name=$1; shift
  r=$HUB/org/$name/resolve/main
  mkdir -p "$HUB/api/models/org/$name/tree"
  {
    printf '[{"type": "directory", "oid": "0", "size": 0, "path": "1_Pooling"}'
    for f in $(cd "$r" && find . \( -type f -o -type l \) ! -name '*.hdr' | sed 's|^\./||' | sort); do
      case $f in
      *.safetensors) printf ',\n {"type": "file", "oid": "1", "size": %s, "path": "%s", "lfs": {"oid": "%s", "size": %s, "pointerSize": 134}}' \
          "$(size "$r/$f")" "$f" "$(sha "$r/$f")" "$(size "$r/$f")" ;;
      *) printf ',\n {"type": "file", "oid": "1", "size": %s, "path": "%s"}' "$(size "$r/$f")" "$f" ;;
      esac
    done
    for e in "$@"; do printf ',\n %s' "$e"; done
    printf ']\n'
  } >"$HUB/api/models/org/$name/tree/main"
}
# fetch NAME [ARGS...]: biasbench fetch --dest $M/NAME org/NAME; rc in $rc, stderr in $T/err
fetch() {
  name=$1; shift
  "$B" fetch --dest "$M/$name" "$@" "org/$name" >"$T/out" 2>"$T/err"; rc=$?
}
said() { grep -qF -- "$1" "$T/err" || { sed 's/^/#   /' "$T/err" | tail -4; return 1; }; }
gone() { [ ! -e "$M/$1" ] && [ ! -e "$M/$1.part" ]; }
requested() { grep -qF -- "$1" "$T/requests.log"; }

# ---- a good repository -----------------------------------------------------------------
repo good; listing good
printf 'X-Linked-Etag: "%s"\nX-Linked-Size: 300000\n' "$(sha "$HUB/org/good/resolve/main/model.safetensors")" \
  >"$HUB/org/good/resolve/main/model.safetensors.hdr"
fetch good
[ "$rc" = 0 ]; ok $? "a well-formed repository: fetched (exit $rc)"
cmp -s "$M/good/model.safetensors" "$HUB/org/good/resolve/main/model.safetensors" &&
  cmp -s "$M/good/1_Pooling/config.json" "$HUB/org/good/resolve/main/1_Pooling/config.json"
ok $? "... the weights and 1_Pooling/config.json arrive byte for byte"
grep -qF "$(sha "$M/good/model.safetensors")  model.safetensors" "$M/good/.biasbench-source" &&
  grep -qF "repository listing" "$M/good/.biasbench-source"
ok $? "... .biasbench-source records the weights' sha256 and that the listing was used"
[ ! -e "$M/good.part" ] && [ ! -e "$M/good/.lock" ] && [ -z "$(find "$M/good" -name '*.incomplete')" ]
ok $? "... no temporary folder, lock or .incomplete file left"
requested "GET /api/models/org/good/tree/main?recursive=true"; ok $? "... the listing was asked for first"
[ "$(grep "/org/good/resolve/" "$T/requests.log" | tail -1 | cut -d' ' -f2)" = /org/good/resolve/main/model.safetensors ]
ok $? "... and the weights last (small files fail fast)"
fetch good
[ "$rc" = 2 ] && said "already exists"; ok $? "fetching into an existing model folder: refused (exit $rc)"

# like huggingface.co: the weights' answer is a 302 to a CDN that carries X-Linked-Etag/-Size
repo cdn; listing cdn
mkdir -p "$HUB/cdn"; mv "$HUB/org/cdn/resolve/main/model.safetensors" "$HUB/cdn/blob-cdn"
printf '@status 302\nLocation: /cdn/blob-cdn\nX-Linked-Etag: "%s"\nX-Linked-Size: 300000\n' \
  "$(sha "$HUB/cdn/blob-cdn")" >"$HUB/org/cdn/resolve/main/model.safetensors.hdr"
fetch cdn
[ "$rc" = 0 ] && cmp -s "$M/cdn/model.safetensors" "$HUB/cdn/blob-cdn" && requested "GET /cdn/blob-cdn"
ok $? "weights behind a redirect to a CDN, as on huggingface.co: fetched (exit $rc)"
repo cdnbad; listing cdnbad
mv "$HUB/org/cdnbad/resolve/main/model.safetensors" "$HUB/cdn/blob-cdnbad"
printf '@status 302\nLocation: /cdn/blob-cdnbad\nX-Linked-Etag: "%s"\n' "$(printf y | sha256sum | cut -d' ' -f1)" \
  >"$HUB/org/cdnbad/resolve/main/model.safetensors.hdr"
fetch cdnbad
[ "$rc" = 2 ] && said "X-Linked-Etag is $(printf y | sha256sum | cut -d' ' -f1)"
ok $? "... an X-Linked-Etag on the redirect (not on the CDN's answer) is checked too (exit $rc)"

# ---- sha256 --------------------------------------------------------------------------------
repo badsha; listing badsha
printf 'changed' | dd of="$HUB/org/badsha/resolve/main/model.safetensors" bs=1 seek=1000 conv=notrunc 2>/dev/null
fetch badsha
[ "$rc" = 2 ] && said "sha256 mismatch: expected"; ok $? "weights that do not match the listing's sha256: refused (exit $rc)"
gone badsha; ok $? "... no model folder and no partial folder left"
repo etag; listing etag
printf 'X-Linked-Etag: "%s"\n' "$(printf x | sha256sum | cut -d' ' -f1)" >"$HUB/org/etag/resolve/main/model.safetensors.hdr"
fetch etag
[ "$rc" = 2 ] && said "X-Linked-Etag"; ok $? "an X-Linked-Etag that contradicts the listing: refused (exit $rc)"
gone etag; ok $? "... nothing left"
repo noapi-etag   # no listing: the header alone is checked
printf 'X-Linked-Etag: %s\n' "$(printf x | sha256sum | cut -d' ' -f1)" >"$HUB/org/noapi-etag/resolve/main/model.safetensors.hdr"
fetch noapi-etag
[ "$rc" = 2 ] && said "sha256 mismatch"; ok $? "without a listing, a wrong X-Linked-Etag still refuses the file (exit $rc)"
gone noapi-etag; ok $? "... nothing left"
repo noapi
fetch noapi
[ "$rc" = 0 ] && cmp -s "$M/noapi/model.safetensors" "$HUB/org/noapi/resolve/main/model.safetensors"
ok $? "a server without the listing API: the usual file names are fetched (exit $rc)"
said "no repository listing"; ok $? "... and the log says there was no listing"

# ---- resume --------------------------------------------------------------------------------
repo resume; listing resume
printf '@length 300000\n@send 100000\n' >"$HUB/org/resume/resolve/main/model.safetensors.hdr"
fetch resume
[ "$rc" = 2 ] && said "cut off after 100000 bytes"; ok $? "weights cut off after 100000 of 300000 bytes: an error (exit $rc)"
said "run the same command again to resume"; ok $? "... which says the bytes are kept for a resume"
[ ! -e "$M/resume" ]; ok $? "... no model folder (nothing half-written under the real name)"
[ "$(size "$M/resume.part/model.safetensors.incomplete" 2>/dev/null)" = 100000 ]
ok $? "... the 100000 bytes wait in resume.part/model.safetensors.incomplete"
rm "$HUB/org/resume/resolve/main/model.safetensors.hdr"
: >"$T/requests.log"
fetch resume
[ "$rc" = 0 ]; ok $? "the same command again: fetched (exit $rc)"
requested "GET /org/resume/resolve/main/model.safetensors range=100000"; ok $? "... asking only for the rest (Range: bytes=100000-)"
cmp -s "$M/resume/model.safetensors" "$HUB/org/resume/resolve/main/model.safetensors"; ok $? "... and the joined file is byte for byte the original"
[ ! -e "$M/resume.part" ]; ok $? "... the partial folder is gone"

repo norange; listing norange
printf '@norange\n' >"$HUB/org/norange/resolve/main/model.safetensors.hdr"
mkdir -p "$M/norange.part"; yes garbage | head -c 5000 >"$M/norange.part/model.safetensors.incomplete"
: >"$T/requests.log"
fetch norange
[ "$rc" = 0 ] && requested "model.safetensors range=5000"; ok $? "a server that ignores Range: asked to resume (exit $rc) ..."
cmp -s "$M/norange/model.safetensors" "$HUB/org/norange/resolve/main/model.safetensors"; ok $? "... and the whole file is taken from its 200 answer, the old bytes dropped"
repo resumebad; listing resumebad
mkdir -p "$M/resumebad.part"; yes garbage | head -c 5000 >"$M/resumebad.part/model.safetensors.incomplete"
fetch resumebad
[ "$rc" = 2 ] && said "sha256 mismatch"; ok $? "a stale partial file (not a prefix of the weights): the joined file is refused (exit $rc)"
gone resumebad; ok $? "... and discarded, so the next run starts clean"
repo small; listing small
mkdir -p "$M/small.part"; cp "$HUB/org/small/resolve/main/model.safetensors" "$M/small.part/model.safetensors.incomplete"
: >"$T/requests.log"
fetch small
[ "$rc" = 0 ] && ! requested "/org/small/resolve/main/model.safetensors"
ok $? "a partial file that is already whole: verified, not asked for again (exit $rc)"
repo nores; listing nores
printf '@range416\n' >"$HUB/org/nores/resolve/main/model.safetensors.hdr"
mkdir -p "$M/nores.part"
head -c 5000 "$HUB/org/nores/resolve/main/model.safetensors" >"$M/nores.part/model.safetensors.incomplete"
: >"$T/requests.log"
fetch nores
[ "$rc" = 0 ] && requested "model.safetensors range=5000" && requested "model.safetensors range=-1"
ok $? "a server that answers the resume with HTTP 416: asked from byte 5000, then for the whole file (exit $rc)"
cmp -s "$M/nores/model.safetensors" "$HUB/org/nores/resolve/main/model.safetensors" &&
  [ ! -e "$M/nores.part" ]
ok $? "... the whole file arrives byte for byte and no partial is left"

# ---- lying servers ---------------------------------------------------------------------------
repo liar; listing liar
printf '@length 400000\n' >"$HUB/org/liar/resolve/main/model.safetensors.hdr"
fetch liar
[ "$rc" = 2 ] && said "the server sends 400000 bytes where the repository listing says 300000"
ok $? "a Content-Length that contradicts the listing: refused before the body (exit $rc)"
gone liar; ok $? "... nothing left"
repo shortsize   # no listing; X-Linked-Size promises more than comes
printf 'X-Linked-Size: 300001\n' >"$HUB/org/shortsize/resolve/main/model.safetensors.hdr"
fetch shortsize
[ "$rc" = 2 ] && said "X-Linked-Size says 300001"; ok $? "fewer bytes than X-Linked-Size: refused (exit $rc)"
gone shortsize; ok $? "... nothing left"
repo truncfg   # no listing: a config cut off mid-body cannot be verified, so it is not kept
printf '@length 500\n@send 10\n' >"$HUB/org/truncfg/resolve/main/config.json.hdr"
fetch truncfg
[ "$rc" = 2 ] && said "cut off after 10 bytes"; ok $? "a truncated config.json: an error (exit $rc)"
gone truncfg && [ -z "$(find "$M" -name 'config.json*' -path '*truncfg*')" ]; ok $? "... no half file anywhere"

repo loop; listing loop
rm "$HUB/org/loop/resolve/main/config.json"
printf '@status 302\nLocation: /org/loop/resolve/main/config.json\n' >"$HUB/org/loop/resolve/main/config.json.hdr"
listing loop '{"type": "file", "oid": "1", "size": 10, "path": "config.json"}'
fetch loop
[ "$rc" = 2 ] && said "more than 10 redirects"; ok $? "a redirect loop: stopped after 10 redirects (exit $rc)"
gone loop; ok $? "... nothing left"
[ "$(grep -c "GET /org/loop/resolve/main/config.json" "$T/requests.log")" -le 11 ]; ok $? "... at most 11 requests were made"

# ---- size limits --------------------------------------------------------------------------------
repo huge; listing huge
sed -i 's/"size": [0-9]*, "path": "config.json"/"size": 10737418240, "path": "config.json"/' "$HUB/api/models/org/huge/tree/main"
: >"$T/requests.log"
fetch huge
[ "$rc" = 2 ] && said "config.json is 10 GiB, over the 4 MiB limit"; ok $? "a listing that says config.json is 10 GB: refused (exit $rc)"
! requested "/resolve/"; ok $? "... before any file is asked for"
gone huge; ok $? "... nothing left"
repo hugecl   # no listing: the server announces 10 GB for config.json
printf '@length 10737418240\n' >"$HUB/org/hugecl/resolve/main/config.json.hdr"
fetch hugecl
[ "$rc" = 2 ] && said "announces 10737418240 bytes (Content-Length), over the 4 MiB limit for config.json"
ok $? "a 10 GB Content-Length for config.json: refused (exit $rc)"
gone hugecl; ok $? "... nothing left"

# ---- hostile names in the listing --------------------------------------------------------------
repo dotdot
listing dotdot '{"type": "file", "oid": "1", "size": 5, "path": "../evil/config.json"}'
: >"$T/requests.log"
fetch dotdot
[ "$rc" = 2 ] && said "path '../evil/config.json': a '..' component would leave the model folder"
ok $? "a listing with ../evil/config.json: refused (exit $rc)"
gone dotdot && [ ! -e "$M/evil" ] && [ ! -e "$T/evil" ]; ok $? "... nothing written inside or outside the models folder"
! requested "/resolve/"; ok $? "... and no file was downloaded"
repo dotdot2
listing dotdot2 '{"type": "file", "oid": "1", "size": 5, "path": "2_Dense/../../../evil/config.json"}'
fetch dotdot2
[ "$rc" = 2 ] && said "'..' component"; ok $? "a module path that climbs out (2_Dense/../../../evil/config.json): refused (exit $rc)"
gone dotdot2 && [ ! -e "$T/evil" ]; ok $? "... nothing written"
repo abs
listing abs "{\"type\": \"file\", \"oid\": \"1\", \"size\": 5, \"path\": \"$T/abs-evil/config.json\"}"
fetch abs
[ "$rc" = 2 ] && said "an absolute path would leave the model folder"; ok $? "a listing with an absolute path: refused (exit $rc)"
gone abs && [ ! -e "$T/abs-evil" ]; ok $? "... nothing written there"
repo esc
listing esc '{"type": "file", "oid": "1", "size": 5, "path": "a\u001b[2Jb.txt"}'
fetch esc
[ "$rc" = 2 ] && said "path 'a?[2Jb.txt': a control character" && ! grep -q "$(printf '\033')" "$T/err"
ok $? "a listed name with an escape character: refused, and the message shows it as '?' (exit $rc)"
repo twice
listing twice '{"type": "file", "oid": "1", "size": 5, "path": "config.json"}'
fetch twice
[ "$rc" = 2 ] && said "config.json is listed twice"; ok $? "a file listed twice: refused (exit $rc)"
repo modules
mkdir -p "$HUB/org/modules/resolve/main/2_Dense"; printf '{"in_features": 384}\n' >"$HUB/org/modules/resolve/main/2_Dense/config.json"
printf 'hi\n' >"$HUB/org/modules/resolve/main/README.md"
listing modules
fetch modules
[ "$rc" = 0 ] && cmp -s "$M/modules/2_Dense/config.json" "$HUB/org/modules/resolve/main/2_Dense/config.json"
ok $? "a listed module config (2_Dense/config.json) lands in its folder (exit $rc)"
[ ! -e "$M/modules/README.md" ]; ok $? "... files biasbench does not use are not fetched"
repo nolfs; listing nolfs
sed -i 's/"lfs": {"oid": "[0-9a-f]*"/"lfs": {"oid": "not-a-sha"/' "$HUB/api/models/org/nolfs/tree/main"
fetch nolfs
[ "$rc" = 2 ] && said "'lfs.oid': expected a sha256"; ok $? "a listing whose lfs.oid is not a sha256: refused (exit $rc)"
repo noweights; rm "$HUB/org/noweights/resolve/main/model.safetensors"; listing noweights
: >"$T/requests.log"
fetch noweights
[ "$rc" = 2 ] && said "the repository has no model.safetensors" && ! requested "/resolve/"
ok $? "a listing without model.safetensors: an error before any download (exit $rc)"

# ---- a second fetch into the same folder ---------------------------------------------------------
mkdir -p "$M/locked.part"; : >"$M/locked.part/.lock"
flock "$M/locked.part/.lock" "$B" fetch --dest "$M/locked" org/good >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" = 2 ] && said "another biasbench fetch is filling this folder"; ok $? "a second fetch while one holds the folder's lock: refused (exit $rc)"
[ -d "$M/locked.part" ]; ok $? "... and the other fetch's folder is left alone"

# ---- --model ORG/NAME, with the real MiniLM served by the fake hub --------------------------------
MINI=$(find_model all-MiniLM-L6-v2 model.safetensors) # M names the fetch folder here
if [ -n "$MINI" ]; then
  r=$HUB/org/all-MiniLM-L6-v2/resolve/main
  mkdir -p "$r/1_Pooling"
  for f in config.json tokenizer.json vocab.txt tokenizer_config.json special_tokens_map.json modules.json \
    sentence_bert_config.json 1_Pooling/config.json model.safetensors; do
    [ -f "$MINI/$f" ] && ln -s "$MINI/$f" "$r/$f"
  done
  listing all-MiniLM-L6-v2
  BIASBENCH_CACHE=$T/cache "$B" embed --backend ref --model org/all-MiniLM-L6-v2 "a doctor and a nurse" \
    >"$T/hub.csv" 2>"$T/err"; rc=$?
  [ "$rc" = 0 ]; ok $? "--model org/all-MiniLM-L6-v2 downloads the model from the hub and embeds (exit $rc)"
  [ "$(head -1 "$T/hub.csv" | tr ',' '\n' | grep -c '^e[0-9]')" = 384 ] && [ "$(wc -l <"$T/hub.csv")" = 2 ]
  ok $? "... one row of 384 numbers"
  same=0
  for f in $(cd "$r" && find . -type l | sed 's|^\./||'); do
    cmp -s "$T/cache/models/all-MiniLM-L6-v2/$f" "$MINI/$f" || same=1
  done
  [ "$same" = 0 ] && [ -f "$T/cache/models/all-MiniLM-L6-v2/modules.json" ]
  ok $? "... and every file in the cache is byte for byte the original (so is the model)"
else
  skip "all-MiniLM-L6-v2 not found (scripts/setup.sh fetches it): --model ORG/NAME download"
  skip "all-MiniLM-L6-v2 not found: one row of 384 numbers"
  skip "all-MiniLM-L6-v2 not found: the cached files"
fi

# ---- TLS ------------------------------------------------------------------------------------------
# tls_server MODE DIR CERT KEY: openssl s_server -WWW or -HTTP serving DIR; sets TLS_PORT.
# Each server has its own output file (a stale ACCEPT line must not give the last one's port).
ntls=0
tls_server() {
  ntls=$((ntls + 1)); out=$T/tls.$ntls.out
  (cd "$2" && exec openssl s_server -accept 127.0.0.1:0 -cert "$3" -key "$4" "$1" -naccept 20 \
    >"$out" 2>&1) &
  pids="$pids $!"
  i=0
  while ! grep -q '^ACCEPT' "$out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  TLS_PORT=$(sed -n 's/^ACCEPT 127\.0\.0\.1://p' "$out")
}
if command -v openssl >/dev/null 2>&1; then
  W=$T/www
  repo tls; listing tls
  mkdir -p "$W/api/models/org/tls/tree" "$W/org"
  cp -r "$HUB/org/tls" "$W/org/"
  cp "$HUB/api/models/org/tls/tree/main" "$W/api/models/org/tls/tree/main?recursive=true"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other.example -addext "subjectAltName=DNS:other.example" \
    -keyout "$T/key2.pem" -out "$T/cert2.pem" 2>/dev/null
  tls_server -WWW "$W" "$T/cert.pem" "$T/key.pem"
  if [ -n "$TLS_PORT" ]; then
    HF_ENDPOINT=https://127.0.0.1:$TLS_PORT fetch tls
    [ "$rc" = 2 ] && said "TLS verification failed"; ok $? "https with a self-signed certificate: refused (exit $rc)"
    gone tls; ok $? "... nothing left"
    HF_ENDPOINT=https://127.0.0.1:$TLS_PORT CURL_INSECURE=1 BIASBENCH_INSECURE=1 BIASBENCH_TLS_VERIFY=0 \
      HF_HUB_DISABLE_SSL_VERIFICATION=1 GIT_SSL_NO_VERIFY=1 PYTHONHTTPSVERIFY=0 CURL_CA_BUNDLE= fetch tls
    [ "$rc" = 2 ] && said "TLS verification failed"; ok $? "... and still refused with every usual 'insecure' variable set (exit $rc)"
    HF_ENDPOINT=https://127.0.0.1:$TLS_PORT BIASBENCH_CA_BUNDLE=$T/cert.pem fetch tls
    [ "$rc" = 0 ] && cmp -s "$M/tls/model.safetensors" "$W/org/tls/resolve/main/model.safetensors"
    ok $? "trusting that certificate with BIASBENCH_CA_BUNDLE: fetched over https (exit $rc)"
  else
    skip "openssl s_server did not start: $(head -c 200 "$out")"; skip "TLS: nothing left"
    skip "TLS: insecure variables"; skip "TLS: CA bundle"
  fi
  # -HTTP: each file is a whole answer; config.json redirects to the plain-http server
  W2=$T/www2
  mkdir -p "$W2/api/models/org/good/tree" "$W2/org/good/resolve/main"
  { printf 'HTTP/1.0 200 ok\r\nContent-Type: application/json\r\n\r\n'; cat "$HUB/api/models/org/good/tree/main"; } \
    >"$W2/api/models/org/good/tree/main?recursive=true"
  printf 'HTTP/1.0 302 Found\r\nLocation: %s/org/good/resolve/main/config.json\r\n\r\n' "$HF_ENDPOINT" \
    >"$W2/org/good/resolve/main/config.json"
  tls_server -HTTP "$W2" "$T/cert.pem" "$T/key.pem"
  if [ -n "$TLS_PORT" ]; then
    : >"$T/requests.log"
    HF_ENDPOINT=https://127.0.0.1:$TLS_PORT BIASBENCH_CA_BUNDLE=$T/cert.pem \
      "$B" fetch --dest "$M/downgrade" org/good >"$T/out" 2>"$T/err"; rc=$?
    [ "$rc" = 2 ] && said "refused: a redirect away from https"; ok $? "an https answer that redirects to plain http: refused (exit $rc)"
    [ ! -e "$M/downgrade" ] && ! requested "GET /org/good/resolve/main/config.json"; ok $? "... the http URL was never asked for"
  else
    skip "openssl s_server -HTTP did not start (https to http redirect)"; skip "https to http: no request"
  fi
  tls_server -WWW "$W" "$T/cert2.pem" "$T/key2.pem"
  if [ -n "$TLS_PORT" ]; then
    HF_ENDPOINT=https://127.0.0.1:$TLS_PORT BIASBENCH_CA_BUNDLE=$T/cert2.pem fetch tls2
    [ "$rc" = 2 ] && said "TLS verification failed"; ok $? "a trusted certificate for another host name: refused (exit $rc)"
  else
    skip "openssl s_server did not start (host name check)"
  fi
else
  for w in "self-signed" "nothing left" "insecure variables" "CA bundle" "https to http" "no request" "host name"; do
    skip "openssl not installed (ca-certificates brings it): TLS $w"
  done
fi
exit $((fails > 0))
