#!/usr/bin/env python3
"""An independent writer of quantized Llama checkpoints, packed with the published layouts.

Not our Java CheckpointMaker: this follows AutoGPTQ's and AutoAWQ's documented packing (FORMATS.md) with
numpy only, so that the runtime is checked against checkpoints it did not write itself.

  GPTQ (AutoGPTQ): qweight int32 [K/8, N], row 8r + j in bits 4j..4j+3 of word r; qzeros int32 [groups, N/8],
    column 8c + j in nibble j; scales [groups, N]; g_idx int32 [K]. v1 stores z - 1, v2 z.
    Act-order: input features quantized in a random order (a real permutation), g_idx[k] = rank(k) // G.
    q/k/v (and gate/up) share one order, as GPTQ does (one input Hessian), or each has its own (--perm per-projection).
  AWQ GEMM (AutoAWQ): qweight int32 [K, N/8], qzeros int32 [K/G, N/8], column 8c + ORDER[i] in nibble i,
    ORDER = [0, 2, 4, 6, 1, 3, 5, 7]; scales fp16 [K/G, N]; zeros plain 0..15.
  Files as TheBloke names them: model.safetensors, or gptq_model-4bit-<G>g.safetensors + quantize_config.json,
  or shards model-0000i-of-0000n.safetensors + model.safetensors.index.json; a WordLevel tokenizer.json.

Weights are random integers (uniform q, written as random packed words; zero points 1..15 or 8 for sym) with scales near 1 / (4.6 sqrt(K)), so
activations keep unit scale through the layers. The dequantized weights follow from the published formulas
(dequantize() below, also what fidelity.py uses).

  python3 write_checkpoint.py --out DIR [--shape tiny|small|codellama-34b] [--format gptq|awq] [--group-size 128]
      [--asym] [--act-order] [--perm shared|per-projection] [--v2] [--scales fp16|bf16] [--shards N]
      [--file-name thebloke|model] [--seed 1]
  python3 write_checkpoint.py --dequantize DIR --out OUT
      every quantized projection of the checkpoint in DIR (its config says the format) by the published
      formulas: OUT/<prefix>.npy, float32 [N, K] (e.g. OUT/model.layers.0.mlp.down_proj.npy)
"""
import argparse
import json
import os
import struct

import numpy as np

SHAPES = {
    # hidden, intermediate, layers, heads, kv heads, vocab, max positions
    "tiny": (256, 512, 2, 4, 2, 512, 512),
    "small": (1024, 2816, 8, 16, 4, 4096, 2048),
    "codellama-34b": (8192, 22016, 48, 64, 8, 32000, 16384),
}
AWQ_ORDER = [0, 2, 4, 6, 1, 3, 5, 7]
BF16 = "bf16"


def bf16_bits(a):
    """float32 array -> uint16 bits of bfloat16 (round to nearest even)."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


class Tensor:
    def __init__(self, dtype, shape, data):
        self.dtype, self.shape, self.data = dtype, list(shape), data  # data: bytes-like, little-endian


def tensor(a, dtype=None):
    a = np.ascontiguousarray(a)
    if dtype == BF16:
        return Tensor("BF16", a.shape, bf16_bits(a).tobytes())
    names = {np.dtype(np.float16): "F16", np.dtype(np.float32): "F32", np.dtype(np.int32): "I32"}
    return Tensor(names[a.dtype], a.shape, a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes())


def write_safetensors(path, tensors):
    header, offset = {}, 0
    for name, t in tensors.items():
        header[name] = {"dtype": t.dtype, "shape": t.shape, "data_offsets": [offset, offset + len(t.data)]}
        offset += len(t.data)
    header["__metadata__"] = {"format": "pt"}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for t in tensors.values():
            f.write(t.data)


def read_safetensors(paths):
    """A name -> numpy array getter over safetensors files (BF16 as float32), and the names."""
    where = {}
    for path in paths:
        with open(path, "rb") as f:
            size = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(size))
        for name, info in header.items():
            if name != "__metadata__":
                where[name] = (path, 8 + size, info)

    def get(name):
        path, base, info = where[name]
        start, end = info["data_offsets"]
        with open(path, "rb") as f:
            f.seek(base + start)
            raw = f.read(end - start)
        if info["dtype"] == "BF16":
            a = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(raw, {"F32": np.float32, "F16": np.float16, "I32": np.int32}[info["dtype"]])
        return a.reshape(info["shape"])
    return get, list(where)


def dequantize_checkpoint(directory, out):
    """--dequantize: every projection of a checkpoint written here (or by anyone, same layouts) to float32 .npy."""
    with open(os.path.join(directory, "config.json")) as fh:
        config = json.load(fh)
    files = sorted(f for f in os.listdir(directory) if f.endswith(".safetensors"))
    get, names = read_safetensors([os.path.join(directory, f) for f in files])
    if "quantization_config" in config and config["quantization_config"].get("quant_method") == "awq":
        fmt, q = "awq", config["quantization_config"]
    else:
        with open(os.path.join(directory, "quantize_config.json")) as fh:
            fmt, q = "gptq", json.load(fh)
    os.makedirs(out, exist_ok=True)
    for name in sorted(names):
        if name.endswith(".qweight"):
            prefix = name[:-len(".qweight")]
            w = dequantize(get, prefix, fmt, q["group_size"], q.get("checkpoint_format") == "gptq_v2")
            np.save(os.path.join(out, prefix + ".npy"), np.ascontiguousarray(w, np.float32))


def pack_columns(v, order=range(8)):
    """[R, N] nibbles -> int32 [R, N/8]; nibble i of word c holds column 8c + order[i]."""
    r, n = v.shape
    v = v.astype(np.uint32).reshape(r, n // 8, 8)
    words = np.zeros((r, n // 8), np.uint32)
    for i, col in enumerate(order):
        words |= v[:, :, col] << np.uint32(4 * i)
    return words.view(np.int32)


def random_words(rng, shape):
    """Packed words of uniform random nibbles: the same in any nibble order, and fast at 34B shapes."""
    return rng.integers(0, 1 << 32, size=shape, dtype=np.uint32).view(np.int32)


def random_projection(rng, k, n, groups, sym):
    zeros = np.full((groups, n), 8, np.uint8) if sym else rng.integers(1, 16, size=(groups, n), dtype=np.uint8)
    scales = (rng.uniform(0.5, 1.5, size=(groups, n)) / (4.6 * np.sqrt(k))).astype(np.float16)
    return zeros, scales


def gptq_tensors(rng, prefix, k, n, args, g_idx):
    g = k if args.group_size == -1 else args.group_size
    zeros, scales = random_projection(rng, k, n, k // g, not args.asym)
    stored = zeros if args.v2 else (zeros - 1) & 15  # v1 stores z - 1
    return {
        prefix + ".qweight": tensor(random_words(rng, (k // 8, n))),
        prefix + ".qzeros": tensor(pack_columns(stored)),
        prefix + ".scales": tensor(scales.astype(np.float32), BF16) if args.scales == BF16 else tensor(scales),
        prefix + ".g_idx": tensor(g_idx.astype(np.int32)),
    }


def awq_tensors(rng, prefix, k, n, args):
    zeros, scales = random_projection(rng, k, n, k // args.group_size, not args.asym)
    return {
        prefix + ".qweight": tensor(random_words(rng, (k, n // 8))),
        prefix + ".qzeros": tensor(pack_columns(zeros, AWQ_ORDER)),
        prefix + ".scales": tensor(scales.astype(np.float32), BF16) if args.scales == BF16 else tensor(scales),
    }


def group_index(rng, k, g, act_order):
    """GPTQ g_idx: k // G, or with act-order the group of each feature's rank in a random quantization order."""
    if not act_order:
        return np.arange(k) // g
    order = rng.permutation(k)  # order[r]: the feature quantized r-th
    g_idx = np.empty(k, np.int64)
    g_idx[order] = np.arange(k) // g
    return g_idx


def dequantize(get, prefix, fmt, group_size, v2):
    """Weight float32 [N, K] by the published formulas from a tensor getter (name -> numpy array)."""
    scales = get(prefix + ".scales").astype(np.float32)
    if fmt == "gptq":
        qw = get(prefix + ".qweight").astype(np.int64) & 0xFFFFFFFF
        q = np.stack([(qw >> (4 * j)) & 15 for j in range(8)], 1).reshape(-1, qw.shape[1])  # [K, N]
        qz = get(prefix + ".qzeros").astype(np.int64) & 0xFFFFFFFF
        z = np.stack([(qz >> (4 * j)) & 15 for j in range(8)], 2).reshape(qz.shape[0], -1)
        z = z if v2 else z + 1  # AutoGPTQ v1: w = s (q - (z + 1))
        g_idx = get(prefix + ".g_idx").astype(np.int64)
    else:
        reverse = [AWQ_ORDER.index(j) for j in range(8)]
        qw = get(prefix + ".qweight").astype(np.int64) & 0xFFFFFFFF
        q = np.stack([(qw >> (4 * reverse[j])) & 15 for j in range(8)], 2).reshape(qw.shape[0], -1)
        qz = get(prefix + ".qzeros").astype(np.int64) & 0xFFFFFFFF
        z = np.stack([(qz >> (4 * reverse[j])) & 15 for j in range(8)], 2).reshape(qz.shape[0], -1)
        g_idx = np.arange(q.shape[0]) // group_size
    w = (q - z[g_idx]).astype(np.float32) * scales[g_idx]
    return w.T


def word_level_tokenizer(vocab):
    """A WordLevel tokenizer.json (not SentencePiece BPE like CodeLlama's): whitespace-split words."""
    words = {"<unk>": 0, "<s>": 1, "</s>": 2}
    pieces = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [str(d) for d in range(10)]
    pieces += ["def", "return", "if", "else", "for", "in", "print", "(", ")", ":", "=", "+", "-", "*", ","]
    for i in range(3, vocab):
        words[pieces[i - 3] if i - 3 < len(pieces) else "w%d" % i] = i
    special = [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True} for c, i in (("<unk>", 0), ("<s>", 1), ("</s>", 2))]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
            "normalizer": None, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": None,
            "decoder": None,
            "model": {"type": "WordLevel", "vocab": words, "unk_token": "<unk>"}}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--dequantize", metavar="DIR", help="write every projection of DIR dequantized under --out (.npy)")
    p.add_argument("--shape", default="tiny", choices=SHAPES)
    p.add_argument("--format", default="gptq", choices=["gptq", "awq"])
    p.add_argument("--group-size", type=int, default=128)
    p.add_argument("--asym", action="store_true", help="zero points 1..15 (default: sym, z = 8)")
    p.add_argument("--act-order", action="store_true")
    p.add_argument("--perm", default="shared", choices=["shared", "per-projection"])
    p.add_argument("--v2", action="store_true", help="checkpoint_format gptq_v2 (zeros stored as is)")
    p.add_argument("--scales", default="fp16", choices=["fp16", BF16])
    p.add_argument("--shards", type=int, default=1)
    p.add_argument("--file-name", default="thebloke", choices=["thebloke", "model"],
                   help="single file: gptq_model-4bit-<G>g.safetensors for GPTQ (TheBloke), else model.safetensors")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.dequantize:
        dequantize_checkpoint(a.dequantize, a.out)
        return
    if a.format == "awq" and (a.group_size <= 0 or a.act_order or a.v2):
        p.error("AWQ GEMM takes a positive group size, no act-order, no v2")
    hidden, inter, layers, heads, kv, vocab, max_pos = SHAPES[a.shape]
    head_dim = hidden // heads
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)

    def dense(shape, scale):
        return (rng.standard_normal(shape, dtype=np.float32) * scale)

    # Tensors in order; each layer is generated when written so that a 34B-shaped checkpoint never sits in memory.
    def layer(i):
        pre = "model.layers.%d." % i
        t = {pre + "input_layernorm.weight": tensor(1 + 0.1 * dense((hidden,), 1), BF16),
             pre + "post_attention_layernorm.weight": tensor(1 + 0.1 * dense((hidden,), 1), BF16)}
        groups = [(hidden, [("self_attn.q_proj", heads * head_dim), ("self_attn.k_proj", kv * head_dim),
                            ("self_attn.v_proj", kv * head_dim)]),
                  (heads * head_dim, [("self_attn.o_proj", hidden)]),
                  (hidden, [("mlp.gate_proj", inter), ("mlp.up_proj", inter)]),
                  (inter, [("mlp.down_proj", hidden)])]
        for k, projections in groups:
            g = k if a.group_size == -1 else a.group_size
            shared = group_index(rng, k, g, a.act_order)
            for name, n in projections:
                if a.format == "awq":
                    t.update(awq_tensors(rng, pre + name, k, n, a))
                else:
                    g_idx = shared if a.perm == "shared" else group_index(rng, k, g, a.act_order)
                    t.update(gptq_tensors(rng, pre + name, k, n, a, g_idx))
        return t

    def outer():
        return {"model.embed_tokens.weight": tensor(dense((vocab, hidden), 1), BF16),
                "model.norm.weight": tensor(1 + 0.1 * dense((hidden,), 1), BF16),
                "lm_head.weight": tensor(dense((vocab, hidden), 3 / np.sqrt(hidden)), BF16)}

    # Layers split as evenly as whole layers allow; the embeddings go with the first shard, the head with the last.
    shards = max(1, min(a.shards, layers))
    bounds = [round(s * layers / shards) for s in range(shards + 1)]
    if shards == 1:
        name = ("gptq_model-4bit-%dg.safetensors" % a.group_size if a.format == "gptq" and a.file_name == "thebloke"
                else "model.safetensors")
        files = [name]
    else:
        files = ["model-%05d-of-%05d.safetensors" % (s + 1, shards) for s in range(shards)]
    weight_map = {}
    head = outer()
    for s, f in enumerate(files):
        t = {}
        if s == 0:
            t["model.embed_tokens.weight"] = head["model.embed_tokens.weight"]
        for i in range(bounds[s], bounds[s + 1]):
            t.update(layer(i))
        if s == shards - 1:
            t["model.norm.weight"] = head["model.norm.weight"]
            t["lm_head.weight"] = head["lm_head.weight"]
        write_safetensors(os.path.join(a.out, f), t)
        weight_map.update({n: f for n in t})
    if shards > 1:
        size = sum(os.path.getsize(os.path.join(a.out, f)) for f in files)
        with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as fh:
            json.dump({"metadata": {"total_size": size}, "weight_map": weight_map}, fh, indent=2)

    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": hidden,
              "intermediate_size": inter, "num_hidden_layers": layers, "num_attention_heads": heads,
              "num_key_value_heads": kv, "vocab_size": vocab, "max_position_embeddings": max_pos,
              "rms_norm_eps": 1e-5, "rope_theta": 1000000.0, "rope_scaling": None, "hidden_act": "silu",
              "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float16"}
    if a.format == "awq":
        config["quantization_config"] = {"quant_method": "awq", "bits": 4, "group_size": a.group_size,
                                         "zero_point": True, "version": "gemm"}
    else:
        base = os.path.splitext(files[0])[0] if shards == 1 else "model"
        with open(os.path.join(a.out, "quantize_config.json"), "w") as fh:
            json.dump({"bits": 4, "group_size": a.group_size, "desc_act": a.act_order, "sym": not a.asym,
                       "static_groups": False, "damp_percent": 0.01, "true_sequential": True,
                       "model_name_or_path": None, "model_file_base_name": base,
                       "checkpoint_format": "gptq_v2" if a.v2 else "gptq", "quant_method": "gptq"}, fh, indent=2)
    with open(os.path.join(a.out, "config.json"), "w") as fh:
        json.dump(config, fh, indent=2)
    with open(os.path.join(a.out, "generation_config.json"), "w") as fh:
        json.dump({"bos_token_id": 1, "eos_token_id": 2}, fh)
    with open(os.path.join(a.out, "tokenizer.json"), "w") as fh:
        json.dump(word_level_tokenizer(vocab), fh)
    print("wrote %s: %s %s g%d %s%s%s, %d file(s)" % (a.out, a.shape, a.format, a.group_size,
          "asym" if a.asym else "sym", " act-order/" + a.perm if a.act_order else "", " v2" if a.v2 else "", len(files)))


if __name__ == "__main__":
    main()
