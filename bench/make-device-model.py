#!/usr/bin/env python3
"""make-device-model.py: a copy of MiniLM for the GPU device check whose word-embedding
rows are zero except the ids the STS-B test sentences use: outputs on those sentences are
exact, and the gzipped file fits the device tool's 64 MiB carry.
usage: make-device-model.py SRC_MODEL_DIR DST_DIR [STSB_TEST_CSV]  (needs safetensors, tokenizers, numpy)"""
import csv, json, sys, numpy as np
from safetensors.numpy import load_file, save_file
from tokenizers import Tokenizer
src, dst = sys.argv[1], sys.argv[2]
tok = Tokenizer.from_file(src + "/tokenizer.json"); tok.no_padding(); tok.enable_truncation(256)
ids = set(range(0, 1000))
for row in csv.reader(open(sys.argv[3] if len(sys.argv) > 3 else "../shared/datasets/stsb/stsb-en-test.csv", newline="", encoding="utf-8")):
    for s in row[:2]:
        ids.update(tok.encode(s).ids)
t = load_file(src + "/model.safetensors")
w = t["embeddings.word_embeddings.weight"]
keep = np.zeros(w.shape[0], bool); keep[sorted(ids)] = True
w[~keep] = 0
t["embeddings.word_embeddings.weight"] = w
save_file(t, dst + "/model.safetensors", metadata={"format": "pt"})
print(len(ids), "rows kept")
