#!/bin/bash
# device-check.sh: biasbench on a GPU's OpenCL driver (NVIDIA here): devices, op tests,
# the MiniLM golden and embed throughput beside sentence-transformers on CUDA.
# Run from the repo root on the device machine with .dev/ carried, holding:
#   bin/{biasbench,ops.t,embed.t} built here, devlibs.tar.xz (their shared libraries),
#   model/ from bench/make-device-model.py (gzipped), data/stsb/stsb-en-test.csv.
set -u
D=$PWD/.dev; W=/tmp/bbw; mkdir -p $W/models/all-MiniLM-L6-v2
tar -C $W -xJf $D/devlibs.tar.xz; export LD_LIBRARY_PATH=$W/devlibs
cp -r $D/model/* $W/models/all-MiniLM-L6-v2/; gunzip -f $W/models/all-MiniLM-L6-v2/model.safetensors.gz
lib=$(ls /usr/local/nvidia/lib64/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 /usr/local/nvidia/lib/libnvidia-opencl.so.1 2>/dev/null | head -1)
[ -z "$lib" ] && lib=$(find / -name 'libnvidia-opencl.so.1' 2>/dev/null | head -1)
mkdir -p $W/icd; echo "$lib" > $W/icd/nvidia.icd; export OCL_ICD_VENDORS=$W/icd
echo "ICD: $lib"; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
export BIASBENCH_MODELS=$W/models BIASBENCH_DATA=$D/data BIASBENCH_CACHE=$W/cache srcdir=$PWD CI=true
B=$D/bin/biasbench
$B devices
echo "== ops.t"; $D/bin/ops.t > $W/ops.log 2>&1; echo "rc=$?"; grep -c '^ok' $W/ops.log; grep '^not ok' $W/ops.log | head; grep -iE 'worst|matmul.*err' $W/ops.log | head -5
echo "== embed.t"; $D/bin/embed.t > $W/embed.log 2>&1; echo "rc=$?"; grep -c '^ok' $W/embed.log; grep -E '^not ok|^#|worst|max abs' $W/embed.log | head -30
python3 -c "
import csv; rows=list(csv.reader(open('$D/data/stsb/stsb-en-test.csv', newline='', encoding='utf-8')))
open('$W/sents.txt','w').write('\n'.join(s for r in rows for s in r[:2])+'\n')"
n=$(wc -l < $W/sents.txt); echo "== embed throughput, $n STS-B test sentences"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rm -rf $W/cache; t0=$(now); $B embed --model all-MiniLM-L6-v2 "warm up" >/dev/null; t1=$(now)
$B embed --model all-MiniLM-L6-v2 "warm up" >/dev/null; t2=$(now)
warm=$(secs $t1 $t2)
echo "start (load+build+first launch): cold $(secs $t0 $t1) s, warm $warm s"
for b in 1 8 32 128; do t0=$(now); $B embed --model all-MiniLM-L6-v2 --batch $b -o /dev/null < $W/sents.txt; t1=$(now)
 awk -v w="$(secs $t0 $t1)" -v s="$warm" -v n="$n" -v b=$b 'BEGIN { printf "biasbench batch %d: wall %.2f s, %.0f sent/s after the warm start\n", b, w, n / (w - s) }'; done
timeout 90 python3 - <<PY
import time, torch
from sentence_transformers import SentenceTransformer
s=open('$W/sents.txt').read().splitlines()
m=SentenceTransformer('$W/models/all-MiniLM-L6-v2', device='cuda')
for b in (1,8,32,128):
    m.encode(s[:256], batch_size=b); torch.cuda.synchronize(); t=time.perf_counter(); m.encode(s, batch_size=b); torch.cuda.synchronize()
    print(f"sentence-transformers cuda batch {b}: {time.perf_counter()-t:.2f} s, {len(s)/(time.perf_counter()-t):.0f} sent/s")
PY
