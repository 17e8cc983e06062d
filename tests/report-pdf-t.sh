#!/bin/sh
# report-pdf-t.sh: report.html printed to PDF by headless Chromium, as a
# reader's "print to PDF" would (issue 13). The report is the one `report`
# rebuilds from tests/data/oldrun (the default suite's run, no model needed).
# The PDF is A4 with a sane page count. Page one holds the findings summary
# and nothing else, and the contents start page two. Every page says "page N
# of M", no page shows the browser's header or footer (its file:// URL), no
# page is empty, and no text runs into the right margin (a clipped table).
# At 1280 px no table, chart or code block is wider than the text column.
# Needs chromium (or $BB_CHROMIUM), pdfinfo and pdftotext (poppler-utils):
# the test skips without them, except under CI=true, where it fails.
set -u
B=${BIASBENCH:-./biasbench}
S=${srcdir:-.}
n=0
fails=0
ok() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}

CHROME=${BB_CHROMIUM:-}
if [ -z "$CHROME" ]; then
    for c in chromium chromium-browser google-chrome; do
        if command -v "$c" >/dev/null 2>&1; then CHROME=$c; break; fi
    done
fi
missing=
[ -n "$CHROME" ] && command -v "$CHROME" >/dev/null 2>&1 || missing=" chromium"
for t in pdfinfo pdftotext; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
if [ -n "$missing" ]; then
    if [ "${CI:-}" = true ]; then
        echo "1..1"
        echo "not ok 1 - CI=true: missing:$missing (scripts/setup.sh installs them)"
        exit 1
    fi
    echo "1..0 # SKIP missing:$missing (apt-get install chromium poppler-utils)"
    exit 0
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/bb-pdf-XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "1..11"
# headless Chromium: its own profile, no sandbox (root in containers), no GPU
chrome() {
    timeout 90 "$CHROME" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --user-data-dir="$T/profile" "$@" 2>>"$T/chrome.err"
}

R=$T/run
mkdir "$R" && cp -R "$S/tests/data/oldrun/." "$R/" && chmod -R u+w "$R"
"$B" report --suite "$S/suites/default.yaml" "$R" >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" = 0 ] && [ -s "$R/report.html" ]
ok $? "report: rebuilt from tests/data/oldrun (exit $rc)"

chrome --print-to-pdf="$T/r.pdf" "file://$R/report.html" >/dev/null; rc=$?
[ "$rc" = 0 ] && [ -s "$T/r.pdf" ]
ok $? "chromium --print-to-pdf writes the PDF (exit $rc)"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/chrome.err" | tail -5

pdfinfo "$T/r.pdf" >"$T/info" 2>&1
pages=$(sed -n 's/^Pages: *//p' "$T/info")
pages=${pages:-0}
grep -q '^Page size:.*(A4)' "$T/info"
ok $? "A4 pages (the print stylesheet's @page)"
[ "$pages" -ge 8 ] && [ "$pages" -le 40 ]
ok $? "$pages pages: between 8 and 40 (the default suite's report; 23 when this test was written)"

page() { pdftotext -f "$1" -l "$1" -layout "$T/r.pdf" - 2>/dev/null; }
page 1 >"$T/p1"
grep -q 'Findings summary' "$T/p1" && grep -q 'Caveats that matter most' "$T/p1" &&
    ! grep -q 'Contents\|1\. Header' "$T/p1"
ok $? "page 1: the findings summary, alone"
[ "$pages" -ge 2 ] && page 2 | grep -q '^ *Contents *$'
ok $? "page 2 starts with the contents"

# every page: "page i of N" in its margin, no browser header or footer, text
bad_num= bad_url= bad_empty=
i=1
while [ "$i" -le "$pages" ]; do
    page "$i" >"$T/p"
    grep -q "page $i of $pages" "$T/p" || bad_num="$bad_num $i"
    grep -q 'file://' "$T/p" && bad_url="$bad_url $i"
    # more than a margin's title and page number: 80 characters at least
    chars=$(grep -v "page $i of $pages" "$T/p" | tr -d ' \n\f' | wc -c)
    [ "$chars" -ge 80 ] || bad_empty="$bad_empty $i"
    i=$((i + 1))
done
[ "$pages" -gt 0 ] && [ -z "$bad_num" ]
ok $? "every page says 'page N of $pages'${bad_num:+ (not on:$bad_num)}"
[ "$pages" -gt 0 ] && [ -z "$bad_url" ]
ok $? "no page shows the browser's header or footer (file:// URL)${bad_url:+ (on:$bad_url)}"
[ "$pages" -gt 0 ] && [ -z "$bad_empty" ]
ok $? "no empty page${bad_empty:+ (nearly empty:$bad_empty)}"

# Chromium shrinks every page to fit content wider than the page (a wide
# table): the median word box of the 9.5 pt body text, about 11 pt high, then
# drops (to 7.4 pt with one 8-column unbreakable table); and text cut at the
# page edge would leave words in the right margin (12 mm = 34 pt)
pdftotext -bbox "$T/r.pdf" "$T/bbox.html" 2>/dev/null
awk -v hf="$T/heights" '
     match($0, /<page width="[0-9.]+"/) { w = substr($0, RSTART + 13, RLENGTH - 14) + 0; pg++ }
     match($0, /yMin="[0-9.]+" xMax="[0-9.]+" yMax="[0-9.]+"/) {
         split(substr($0, RSTART, RLENGTH), a, "\"")
         print a[6] - a[2] > hf
         if (a[4] > w - 20 && ++out <= 3)
             printf "#   page %d: a word ends at %.0f of %.0f pt\n", pg, a[4], w
     }
     END { exit out > 0 || pg == 0 }' "$T/bbox.html" >"$T/edge"; edge=$?
median=$(sort -n "$T/heights" 2>/dev/null |
    awk '{ v[NR] = $1 } END { if (NR) printf "%.1f", v[int((NR + 1) / 2)] }')
[ "$edge" = 0 ] && awk -v m="${median:-0}" 'BEGIN { exit !(m >= 10) }'
ok $? "printed at full size (median word height ${median:-?} pt >= 10), no text in the right margin"
cat "$T/edge"

# 1280 px: a copy of the page with a probe script (the report itself has none)
cat >"$T/probe.js" <<'EOF'
<script>
window.addEventListener('load', function () {
  var b = document.body, cs = getComputedStyle(b), out = [];
  var right = b.getBoundingClientRect().right - parseFloat(cs.paddingRight);
  document.querySelectorAll('table, pre, figure, img').forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.right > right + 0.5 || e.scrollWidth > e.clientWidth + 1)
      out.push(e.tagName.toLowerCase() + ' ' + Math.round(r.right) + ' > ' + Math.round(right));
  });
  var p = document.createElement('pre');
  p.id = 'probe';
  p.textContent = 'probe: ' + out.length + ' wide: ' + out.slice(0, 3).join('; ');
  b.appendChild(p);
});
</script>
</body>
EOF
awk -v f="$T/probe.js" '/<\/body>/ { while ((getline l < f) > 0) print l; next } { print }' \
    "$R/report.html" >"$R/probe.html"
chrome --window-size=1280,900 --virtual-time-budget=5000 --dump-dom "file://$R/probe.html" \
    >"$T/dom" </dev/null
line=$(grep -o 'probe: [0-9]* wide:[^<]*' "$T/dom")
[ -n "$line" ] && [ "${line#probe: 0 }" != "$line" ]
ok $? "1280 px: no table, chart or code block wider than the text column (${line:-no probe output})"

exit $fails
