#!/usr/bin/env python3
"""make-seeds.py: (re)build the seed inputs of every fuzz harness from tests/
(docs/fuzzing.md). Writes fuzz/seeds/<harness>/ (not committed); fuzz-ci.sh and
the long runs merge them into fuzz/corpus/<harness>/ with -merge=1.

Run from the source root: python3 fuzz/make-seeds.py [OUT]  (default fuzz/seeds)."""
import glob, json, os, struct, sys

SEP = b"\n#@@\n"
OUT = sys.argv[1] if len(sys.argv) > 1 else "fuzz/seeds"


def rd(p):
    with open(p, "rb") as f:
        return f.read()


def put(h, name, data):
    d = os.path.join(OUT, h)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def base(p):
    return p.replace("/", "_")


# ---- suite: every test suite, suites/, run and gate fixtures; include pairs --
for p in sorted(glob.glob("tests/suites/*/*.yaml") + glob.glob("suites/*.yaml") +
                glob.glob("suites/include/*.yaml") + glob.glob("tests/data/*/*.yaml")):
    put("suite", base(p), rd(p))
full = rd("tests/suites/good/full.yaml").replace(b"base.yaml", b"1.yaml")
put("suite", "full+include", full + SEP + rd("tests/suites/good/base.yaml"))
put("suite", "include-chain", b"include: [1.yaml]\nsuite: x\nversion: 1\n" + SEP +
    b"include: 2.yaml\nmodels:\n  - id: m\n    source: a\n" + SEP +
    b"datasets:\n  - id: d\n    path: d.csv\n")
put("suite", "include-cycle", b"include: 1.yaml\n" + SEP + b"include: suite.yaml\n")
put("suite", "include-outside", b"include: [/etc/passwd, ../x.yaml, /dev/stdin]\n")

# ---- dataset: option byte (bits 0-1 format, 2 no header, 3 quoting off,
# 4 skip bad rows, 5 extra fields, 6 column map, 7 seat) + file ----
FMT = {".csv": 0, ".tsv": 1, ".txt": 1, ".jsonl": 2, ".json": 3}
files = sorted(glob.glob("tests/data/datasets/*") + glob.glob("tests/data/run/*.csv") +
               glob.glob("tests/data/run/*.tsv") + glob.glob("tests/data/bias/*.csv") +
               glob.glob("datasets/counterfactual/*.csv") +
               glob.glob("tests/data/gate/base/items/*.csv"))
for p in files:
    ext = os.path.splitext(p)[1]
    if ext not in FMT:
        continue
    f = FMT[ext]
    data = rd(p)
    put("dataset", base(p), bytes([f | (0x80 if f == 3 else 0)]) + data)
    put("dataset", base(p) + ".skip", bytes([f | 0x10 | 0x20 | 0x40]) + data)
    if f < 2:
        put("dataset", base(p) + ".nohdr", bytes([f | 0x04 | 0x08]) + data)

# ---- safetensors ---------------------------------------------------------------
def st(tensors, meta=None, pad=b""):
    hdr, data = {}, b""
    if meta is not None:
        hdr["__metadata__"] = meta
    for name, dtype, shape, raw in tensors:
        hdr[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(hdr).encode() + pad
    return struct.pack("<Q", len(h)) + h + data


f32 = lambda n: struct.pack("<%df" % n, *[0.5 * i for i in range(n)])
put("safetensors", "f32", st([("w", "F32", [2, 3], f32(6))], {"format": "pt"}))
put("safetensors", "mixed", st([("a", "F16", [4], b"\x00\x3c" * 4), ("b", "BF16", [2, 2], b"\x80\x3f" * 4),
                               ("c", "I64", [1], b"\x07" + b"\0" * 7), ("d", "F32", [], f32(1)),
                               ("e", "U8", [0], b"")], pad=b"    "))
put("safetensors", "bert-names", st([("embeddings.word_embeddings.weight", "F32", [3, 2], f32(6)),
                                    ("encoder.layer.0.attention.self.query.bias", "F16", [2], b"\0\0" * 2)]))
put("safetensors", "bad-offsets", st([("w", "F32", [2], f32(2))])[:-3])
put("safetensors", "empty-header", struct.pack("<Q", 2) + b"{}")

# ---- gguf ----------------------------------------------------------------------
def gstr(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def gkv(key, typ, val):
    return gstr(key) + struct.pack("<I", typ) + val


def gguf(kvs, tensors, version=3, align=32):
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    out += b"".join(kvs)
    data, infos = b"", b""
    for name, dims, typ, raw in tensors:
        while len(data) % align:
            data += b"\0"
        infos += gstr(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        infos += struct.pack("<IQ", typ, len(data))
        data += raw
    out += infos
    while len(out) % align:
        out += b"\0"
    return out + data


kvs = [gkv("general.architecture", 8, gstr("llama")),
       gkv("general.alignment", 4, struct.pack("<I", 32)),
       gkv("llama.context_length", 4, struct.pack("<I", 128)),
       gkv("llama.rope.freq_base", 6, struct.pack("<f", 10000.0)),
       gkv("llama.attention.layer_norm_rms_epsilon", 6, struct.pack("<f", 1e-5)),
       gkv("tokenizer.ggml.add_bos_token", 7, b"\x01"),
       gkv("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 3) + gstr("a") + gstr("b") + gstr("ab")),
       gkv("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, 3) + struct.pack("<3f", 0, -1, -2)),
       gkv("tokenizer.ggml.token_type", 9, struct.pack("<IQ", 5, 3) + struct.pack("<3i", 1, 1, 1)),
       gkv("u8", 0, b"\x05"), gkv("i8", 1, b"\xfb"), gkv("u16", 2, b"\x01\x02"), gkv("i16", 3, b"\xff\xff"),
       gkv("i32", 5, struct.pack("<i", -7)), gkv("u64", 10, struct.pack("<Q", 1 << 40)),
       gkv("i64", 11, struct.pack("<q", -1)), gkv("f64", 12, struct.pack("<d", 0.25))]
tens = [("token_embd.weight", [32, 2], 0, f32(64)),
        ("output_norm.weight", [32], 1, b"\x00\x3c" * 32),
        ("blk.0.attn_q.weight", [32, 1], 3, b"\x00\x3c\x00\x00" + bytes(range(16)))]
put("gguf", "v3-llama", gguf(kvs, tens))
put("gguf", "v2-min", gguf(kvs[:1], tens[:1], version=2))
put("gguf", "no-tensors", gguf(kvs[:6], []))
put("gguf", "align64", gguf([gkv("general.alignment", 4, struct.pack("<I", 64))], tens[:2], align=64))
put("gguf", "q8", gguf(kvs[:1], [("x", [32], 8, b"\x00\x3c" + bytes(32))]))

# ---- tokenizer folders: tokenizer.json #@@ text #@@ tokenizer_config #@@ vocab.txt #@@ sbert --
full_tok = json.load(open("fuzz/data/wordpiece/tokenizer.json"))
small = dict(full_tok)
vocab = full_tok["model"]["vocab"]
keep = [p for p, i in sorted(vocab.items(), key=lambda kv: kv[1])
        if p in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]") or (len(p) <= 3 and i > 990 and i < 1100)
        or p in ("the", "nurse", "said", "she", "was", "##s", "##ed", "hello", "world", "##ing")]
nv = {p: i for i, p in enumerate(keep)}
small["model"] = dict(full_tok["model"], vocab=nv)
small["added_tokens"] = [dict(t, id=nv[t["content"]]) for t in full_tok.get("added_tokens", []) if t["content"] in nv]
pp = json.loads(json.dumps(full_tok["post_processor"]))
for k, s in pp["special_tokens"].items():
    s["ids"] = [nv[x] for x in s["tokens"]]
small["post_processor"] = pp
small["padding"] = dict(full_tok["padding"], pad_id=nv["[PAD]"])
small_json = json.dumps(small, ensure_ascii=False, separators=(",", ":")).encode()
tcfg = rd("/dev/null")
texts = [b"The nurse said she was tired.", "Na\u00efve caf\u00e9 \u4e2d\u6587 r\u00e9sum\u00e9!".encode(),
         b"\xff\xfe bad \xc3 utf8", b"hello    world\t\n\r\x00\x01 [CLS] [UNK]"]
for i, t in enumerate(texts):
    put("tokenizer", "small-%d" % i, small_json + SEP + t)
put("tokenizer", "small-cfg", small_json + SEP + texts[0] + SEP +
    b'{"do_lower_case": true, "model_max_length": 16}' + SEP + b"" + SEP + b'{"max_seq_length": 8}')
vt = "\n".join(keep).encode() + b"\n"
put("tokenizer", "vocab-txt", b"" + SEP + texts[1] + SEP +
    b'{"do_lower_case": true, "model_max_length": 512, "unk_token": "[UNK]"}' + SEP + vt)
for p in sorted(glob.glob("tests/data/bad-tokenizer/*/tokenizer.json")):
    extra = b""
    sb = os.path.join(os.path.dirname(p), "sentence_bert_config.json")
    if os.path.exists(sb):
        extra = SEP + b"" + SEP + b"" + SEP + rd(sb)
    put("tokenizer", base(p), rd(p) + SEP + texts[0] + extra)
mp = json.loads(small_json)
mp["normalizer"]["lowercase"] = False
mp["normalizer"]["strip_accents"] = True
put("tokenizer", "small-nolower", json.dumps(mp).encode() + SEP + texts[1])

# ---- wordpiece: truncation byte + text ---------------------------------------------
lines = []
for p in ("tests/data/tokenizer-hard-cases.txt",):
    lines += [l for l in rd(p).split(b"\n") if l.strip()]
for i, l in enumerate(lines[:80]):
    put("wordpiece", "hard-%02d" % i, bytes([0 if i % 3 else 5]) + l)
for i, t in enumerate(texts):
    put("wordpiece", "text-%d" % i, b"\x00" + t)

# ---- config: config.json #@@ modules.json #@@ 1_Pooling/config.json #@@ sentence_bert_config.json
for m in ("all-MiniLM-L6-v2", "all-mpnet-base-v2"):
    d = os.path.expanduser("~/.cache/biasbench/models/" + m)
    if not os.path.isdir(d):
        continue
    parts = [rd(os.path.join(d, f)) for f in ("config.json", "modules.json", "1_Pooling/config.json",
                                              "sentence_bert_config.json")]
    put("config", m, SEP.join(parts))
    put("config", m + "-only", parts[0])
    put("config", m + "-nopool", SEP.join(parts[:2]))
cfg_min = (b'{"model_type":"bert","hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,'
           b'"intermediate_size":16,"max_position_embeddings":32,"type_vocab_size":2,"vocab_size":50,'
           b'"layer_norm_eps":1e-12,"hidden_act":"gelu"}')
put("config", "min", cfg_min + SEP + b'[{"type":"Pooling","path":"1_Pooling"},{"type":"x.Normalize"}]' + SEP +
    b'{"pooling_mode_cls_token":true}' + SEP + b'{"max_seq_length":16}')

# ---- rundata: manifest.json #@@ results.csv #@@ items file -------------------------
for run in sorted(glob.glob("tests/data/gate/*/")):
    man, res = rd(run + "manifest.json"), rd(run + "results.csv")
    put("rundata", os.path.basename(run[:-1]), man + SEP + res)
    items = sorted(glob.glob(run + "items/*.csv"))
    for it in items[:4]:
        # the items file is written for the first result row: move a matching row first
        t, m = os.path.basename(it)[:-4].split("__")[:2]
        rows = res.split(b"\n")
        first = [r for r in rows[1:] if (b'"%s","' % t.encode()) in r]
        if first:
            body = rows[0] + b"\n" + first[0] + b"\n" + b"\n".join(r for r in rows[1:] if r != first[0])
            put("rundata", os.path.basename(run[:-1]) + "-" + os.path.basename(it), man + SEP + body + SEP + rd(it))
put("rundata", "bare", b"" + SEP + rd("tests/data/gate/base/results.csv"))

# ---- bpe: tokenizer.json #@@ text #@@ tokenizer_config.json ------------------------------
bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
cs, n = bs[:], 0
for b in range(256):
    if b not in bs:
        bs.append(b)
        cs.append(256 + n)
        n += 1
byte_chars = [chr(c) for c in cs]
bv = {c: i for i, c in enumerate(byte_chars)}
merges = []
for a, b in (("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), ("\u0120", "w"), ("o", "r"),
             ("\u0120w", "or"), ("l", "d"), ("\u0120wor", "ld")):
    merges.append(a + " " + b)
    bv[a + b] = len(bv)
bv["<|endoftext|>"] = len(bv)
bpe = {"version": "1.0", "truncation": None, "padding": None,
       "added_tokens": [{"id": bv["<|endoftext|>"], "content": "<|endoftext|>", "single_word": False,
                         "lstrip": False, "rstrip": False, "normalized": False, "special": True}],
       "normalizer": None,
       "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                         "use_regex": True},
       "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                          "use_regex": True},
       "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
       "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                 "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                 "vocab": bv, "merges": merges}}
bpe_json = json.dumps(bpe, ensure_ascii=False).encode()
for i, t in enumerate(texts + [b"hello world<|endoftext|>"]):
    put("bpe", "bytelevel-%d" % i, bpe_json + SEP + t)
if os.path.exists("tests/data/tiny-bpe/tokenizer.json"):  # the BPE branch's tiny tokenizer
    tj, tc = rd("tests/data/tiny-bpe/tokenizer.json"), b""
    if os.path.exists("tests/data/tiny-bpe/tokenizer_config.json"):
        tc = rd("tests/data/tiny-bpe/tokenizer_config.json")
    for i, t in enumerate(texts + ["caf\u00e9 \U0001F600  spaces\n\ttabs".encode(),
                                   b"<|endoftext|>hi<|im_start|>"]):
        put("bpe", "tiny-bpe-%d" % i, tj + SEP + t + SEP + tc)
put("bpe", "bad-tokenizer-bpe", rd("tests/data/bad-tokenizer/bpe/tokenizer.json") + SEP + b"abab")
