#!/usr/bin/env python3
"""make_decoder_fixtures.py: tiny random-weight decoder LMs for the C tests.

Builds, with Hugging Face transformers (fp32, seeded), three tiny decoders and
saves each as an HF folder and as GGUF files converted by llama.cpp's own
convert_hf_to_gguf.py:

    tests/data/models/tiny-llama-hf/   LlamaForCausalLM  (GQA 4q/2kv, tied embeddings,
                                        rope_theta 10000, SmolLM2-style tokenizer);
                                        safetensors F32
    tests/data/models/tiny-llama.gguf        --outtype f32
    tests/data/models/tiny-llama-q8_0.gguf   --outtype q8_0 (1-D norms stay F32)
    tests/data/models/tiny-qwen2-hf/   Qwen2ForCausalLM  (GQA 4q/2kv, random nonzero q/k/v
                                        biases, untied lm_head, rope_theta 1e6,
                                        config vocab_size 416 > 400 tokenizer entries);
                                        safetensors BF16
    tests/data/models/tiny-qwen2.gguf        --outtype f32 (exactly the BF16 values)
    tests/data/models/tiny-gpt2-hf/    GPT2LMHeadModel   (4 heads, n_inner 256 = 4*n_embd,
                                        learned positions n_positions = n_ctx = 64,
                                        tied embeddings, gelu_new); safetensors F16
    tests/data/models/tiny-gpt2.gguf         --outtype f16 (2-D tensors F16, 1-D F32)

All models: hidden 64, 2 layers, 4 heads of 16, fp32 compute. The BF16/F16
weights were rounded to those types *before* saving, so the fp32 goldens use
exactly the stored values and every file of one model holds the same numbers
(except q8_0, whose goldens come from transformers' own dequantisation of that
GGUF). F16/BF16 were chosen to keep the committed data under 3 MB and to cover
the safetensors BF16/F16 and GGUF F16/Q8_0 paths.

Each HF folder holds config.json, model.safetensors, tokenizer.json,
tokenizer_config.json, generation_config.json. Weights are drawn from a seeded
torch.Generator with larger scales than HF's init (std 0.02 gives near-uniform
log-probs, which test nothing): linear std 0.15, token embeddings std 0.3,
norm weights 1 + 0.1*N(0,1), all biases 0.1*N(0,1).

Tokenizers (trained here with `tokenizers` on the text in TRAIN_TEXT, written
for this file; byte-level BPE, every one of the 256 byte symbols in the vocab):
    llama: pre-tokenizer Sequence[Digits(individual), ByteLevel(gpt2 regex)] ==
           SmolLM2's; specials first: 0 <|endoftext|>, 1 <|im_start|> (bos),
           2 <|im_end|> (eos); 512 entries; no post-processor (no BOS added),
           as SmolLM2.  GGUF tokenizer.ggml.pre = "smollm".
    qwen2: pre-tokenizer Split(Qwen2's regex, isolated) + ByteLevel(no regex) ==
           Qwen2's; 397 BPE entries, then added specials 397 <|endoftext|>
           (eos, pad; no bos), 398 <|im_start|>, 399 <|im_end|>.  config
           vocab_size 416: ids 400..415 have embedding/lm_head rows but no token
           (the converter writes them as "[PAD400]".. USER_DEFINED).
           GGUF tokenizer.ggml.pre = "qwen2".
    gpt2:  pre-tokenizer ByteLevel(gpt2 regex) == GPT-2's; 383 BPE entries then
           added special 383 <|endoftext|> (bos = eos = unk). GGUF pre = "gpt-2".

llama.cpp's converter identifies the BPE pre-tokenizer by hashing the *token
ids* of a fixed check string, so no tiny trained vocabulary can match a known
hash (it raises "BPE pre-tokenizer was not recognized"). The conversion is
therefore run through a small wrapper (--convert, below) that replaces
TextModel.get_vocab_base_pre with a function returning the name chosen above;
everything else is the unmodified converter. The pre-tokenizer *regexes* in
tokenizer.json are exactly those llama.cpp uses for those names.

Surprise worth knowing: for LLAMA the converter permutes the rows of
attn_q/attn_k (LlamaModel.permute: per head, interleaves the two halves so
that GGUF uses NORM (adjacent-pair) RoPE while HF uses rotate-half (NEOX-like)
RoPE); qwen2 and gpt2 are not permuted (qwen2 GGUF uses NEOX rope). Both paths
give the same log-probs (checked by make_decoder_golden.py, which also loads
each GGUF back into transformers).

Regenerate (from the repository root; needs torch, transformers, tokenizers,
safetensors, numpy, and the llama.cpp source tree shipped in the
llama-cpp-python sdist: pip download --no-deps --no-binary :all:
llama-cpp-python, then unpack):
    /work/venv/bin/python tests/reference/make_decoder_fixtures.py \
        --llama-cpp /work/llama-sdist/llama_cpp_python-0.3.36/vendor/llama.cpp
The output is deterministic for a given torch/tokenizers version (seeded).
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_io import sha256_file  # noqa: E402  (tests/reference/golden_io.py)

OUT_DIR = "tests/data/models"
SEED = 20261206

# Written for this file (not from any dataset). Mixed case, digits, punctuation,
# contractions, whitespace runs, and some non-ASCII so the merges see them.
TRAIN_TEXT = """
The small model reads a sentence and guesses the next word. It is not clever,
but it is honest: every number it prints can be checked by hand, one token at
a time. We test the tokenizer first, then the embeddings, then each layer.
She said it's fine; they're sure we'll finish by 10:45 on Tuesday, or maybe
at 3 pm. The 2026 budget was 12,345.67 dollars and 89 cents. Isn't that odd?
Doctors, nurses, teachers and engineers met in the old library downtown.
A quiet dog sleeps under the table while the children play in the garden.
He opened the window, looked at the rain, and went back to his book.
Numbers like 0, 1, 22, 333 and 4444 appear here so digits get merged or split.
Café, naïve, über, São Paulo, Zürich and Kraków have accents; 東京 and 한국
are not Latin at all. Emoji 🙂 and symbols like €, £, ± and → are rare.
"Quotes", 'single quotes', (parentheses), [brackets] and {braces} -- dashes --
and ... ellipses!!! Questions??? Tabs\tand  double  spaces   too.
The weather today is sunny with a light wind from the west.
Our team wrote the parser in C and tested it against the reference in Python.
Every morning the baker opens the shop at six and sells fresh bread.
If the result differs by more than one thousandth, the test fails loudly.
""" * 3

QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
               r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def versions():
    import tokenizers
    import torch
    import transformers
    import safetensors
    import numpy
    return ("torch=%s transformers=%s tokenizers=%s safetensors=%s numpy=%s python=%s"
            % (torch.__version__, transformers.__version__, tokenizers.__version__,
               safetensors.__version__, numpy.__version__, sys.version.split()[0]))


# ---- tokenizers ----------------------------------------------------------------

def train_tokenizer(arch):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers, Regex
    from tokenizers import processors

    tok = Tokenizer(models.BPE())
    if arch == "llama":
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
        specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        vocab_size = 512
    elif arch == "qwen2":
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QWEN2_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        specials = []
        vocab_size = 397
    elif arch == "gpt2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        specials = []
        vocab_size = 383
    else:
        raise ValueError(arch)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, show_progress=False,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([TRAIN_TEXT], trainer=trainer)
    if arch == "qwen2":
        tok.add_special_tokens(["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    elif arch == "gpt2":
        tok.add_special_tokens(["<|endoftext|>"])
    assert tok.get_vocab_size() == {"llama": 512, "qwen2": 400, "gpt2": 384}[arch], \
        (arch, tok.get_vocab_size())
    return tok


def tokenizer_config(arch, tok):
    if arch == "llama":
        cfg = {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>",
               "unk_token": "<|endoftext|>", "pad_token": "<|im_end|>",
               "add_bos_token": False, "add_eos_token": False}
    elif arch == "qwen2":
        cfg = {"bos_token": None, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
               "unk_token": None, "add_bos_token": False, "add_eos_token": False}
    else:
        cfg = {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
               "unk_token": "<|endoftext|>", "add_bos_token": False, "add_eos_token": False}
    cfg.update({"tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": False,
                "model_max_length": 64, "add_prefix_space": False})
    return cfg


# ---- models --------------------------------------------------------------------

def store_dtypes():
    import torch
    return {"qwen2": torch.bfloat16, "gpt2": torch.float16}


def build_model(arch, tok):
    import torch
    STORE_DTYPE = store_dtypes()
    import transformers as tf

    ids = lambda s: tok.token_to_id(s)
    if arch == "llama":
        cfg = tf.LlamaConfig(
            vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, hidden_act="silu",
            max_position_embeddings=128, rms_norm_eps=1e-5, rope_theta=10000.0,
            tie_word_embeddings=True, attention_bias=False, mlp_bias=False,
            bos_token_id=ids("<|im_start|>"), eos_token_id=ids("<|im_end|>"),
            pad_token_id=ids("<|im_end|>"), torch_dtype="float32")
        cls = tf.LlamaForCausalLM
    elif arch == "qwen2":
        cfg = tf.Qwen2Config(
            vocab_size=416, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, hidden_act="silu",
            max_position_embeddings=128, rms_norm_eps=1e-6, rope_theta=1000000.0,
            tie_word_embeddings=False, use_sliding_window=False,
            bos_token_id=None, eos_token_id=ids("<|endoftext|>"),
            pad_token_id=ids("<|endoftext|>"), torch_dtype="float32")
        cls = tf.Qwen2ForCausalLM
    else:
        cfg = tf.GPT2Config(
            vocab_size=384, n_positions=64, n_ctx=64, n_embd=64, n_layer=2, n_head=4, n_inner=None,  # 4*n_embd: the converter writes feed_forward_length = 4*n_embd regardless
            activation_function="gelu_new", layer_norm_epsilon=1e-5,
            resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, tie_word_embeddings=True,
            bos_token_id=ids("<|endoftext|>"), eos_token_id=ids("<|endoftext|>"),
            torch_dtype="float32")
        cls = tf.GPT2LMHeadModel
    # rope_theta may live in rope_parameters (transformers >= 5); both are set above.
    torch.manual_seed(SEED)
    model = cls(cfg).float().eval()

    g = torch.Generator().manual_seed(SEED + {"llama": 1, "qwen2": 2, "gpt2": 3}[arch])
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "embed_tokens" in name or name.endswith("wte.weight"):
                v = torch.randn(p.shape, generator=g) * 0.3
            elif name.endswith("wpe.weight"):
                v = torch.randn(p.shape, generator=g) * 0.1
            elif "norm" in name or ".ln_" in name:
                if name.endswith("weight"):
                    v = 1.0 + 0.1 * torch.randn(p.shape, generator=g)
                else:
                    v = 0.1 * torch.randn(p.shape, generator=g)
            elif name.endswith("bias"):
                v = 0.1 * torch.randn(p.shape, generator=g)
            elif p.dim() == 2:
                v = 0.15 * torch.randn(p.shape, generator=g)
            else:
                raise RuntimeError("unhandled parameter " + name)
            # qwen2 is stored as BF16 and gpt2 as F16: round here so that the
            # fp32 reference computes with exactly the stored values.
            if arch in STORE_DTYPE:
                v = v.to(STORE_DTYPE[arch]).float()
            p.copy_(v)
    if cfg.tie_word_embeddings:
        assert model.get_output_embeddings().weight.data_ptr() == \
            model.get_input_embeddings().weight.data_ptr()
    return model


def save_hf(arch, out_dir):
    import transformers as tf

    d = os.path.join(out_dir, "tiny-%s-hf" % arch)
    os.makedirs(d, exist_ok=True)
    tok = train_tokenizer(arch)
    tok.save(os.path.join(d, "tokenizer.json"), pretty=False)
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump(tokenizer_config(arch, tok), f, indent=1, sort_keys=True)
        f.write("\n")
    model = build_model(arch, tok)
    STORE_DTYPE = store_dtypes()
    if arch in STORE_DTYPE:
        model = model.to(STORE_DTYPE[arch])
    model.save_pretrained(d, safe_serialization=True)
    gen = tf.GenerationConfig(bos_token_id=model.config.bos_token_id,
                              eos_token_id=model.config.eos_token_id,
                              pad_token_id=getattr(model.config, "pad_token_id", None),
                              do_sample=False)
    gen.save_pretrained(d)
    # sanity: AutoTokenizer reads the same tokenizer.json
    at = tf.AutoTokenizer.from_pretrained(d)
    s = "It's 2026: naïve Zürich 🙂  ok\n"
    assert at.encode(s, add_special_tokens=False) == tok.encode(s).ids
    return d


CONVERT_WRAPPER = r"""
import sys
llama_cpp, pre = sys.argv[1], sys.argv[2]
sys.argv = [llama_cpp + "/convert_hf_to_gguf.py"] + sys.argv[3:]
sys.path.insert(0, llama_cpp)
import conversion.base as base
def fixed_pre(self, tokenizer, _pre=pre):
    return _pre
base.TextModel.get_vocab_base_pre = fixed_pre
import runpy
runpy.run_path(llama_cpp + "/convert_hf_to_gguf.py", run_name="__main__")
"""

OUTTYPE = {"llama": "f32", "qwen2": "f32", "gpt2": "f16"}
PRE = {"llama": "smollm", "qwen2": "qwen2", "gpt2": "gpt-2"}


def convert(arch, hf_dir, outfile, outtype, llama_cpp):
    env = dict(os.environ)
    env.pop("NO_LOCAL_GGUF", None)
    cmd = [sys.executable, "-c", CONVERT_WRAPPER, llama_cpp, PRE[arch],
           "--outtype", outtype, "--outfile", outfile, hf_dir]
    print("+", " ".join(cmd[3:]), flush=True)
    subprocess.run(cmd, check=True, env=env)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--llama-cpp", required=True,
                    help="llama.cpp source tree (convert_hf_to_gguf.py, gguf-py)")
    ap.add_argument("--out-dir", default=OUT_DIR)
    ap.add_argument("--arch", action="append", choices=["llama", "qwen2", "gpt2"])
    args = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    print(versions())
    for arch in args.arch or ["llama", "qwen2", "gpt2"]:
        d = save_hf(arch, args.out_dir)
        outs = [(OUTTYPE[arch], os.path.join(args.out_dir, "tiny-%s.gguf" % arch))]
        if arch == "llama":
            outs.append(("q8_0", os.path.join(args.out_dir, "tiny-llama-q8_0.gguf")))
        for outtype, outfile in outs:
            convert(arch, d, outfile, outtype, args.llama_cpp)
        for f in sorted(os.listdir(d)):
            p = os.path.join(d, f)
            print("%s %d %s" % (sha256_file(p), os.path.getsize(p), p))
        for _, p in outs:
            print("%s %d %s" % (sha256_file(p), os.path.getsize(p), p))


if __name__ == "__main__":
    main()
