#!/usr/bin/env python3
"""Fidelity of our engine against an independent reference, per checkpoint format (GPU host).

For each format: write_checkpoint.py writes a checkpoint (shape "small": hidden 1024, 8 layers, 16 heads,
4 KV heads, FFN 2816, vocab 4096); its tensors are read with safetensors and dequantized with the
published formulas (write_checkpoint.dequantize); Hugging Face transformers' LlamaForCausalLM holds those
weights in float32 (the reference) and in bfloat16 (the noise floor of a bf16 engine). Sequences: random
prompts of --prompt tokens plus the float32 model's greedy continuation, teacher-forced. Our engine's
logits at the same positions come from the runtime's `logits` command (the fast path on a GPU). Reported per
format, against float32: top-1 agreement and mean KL(float32 || x) over all positions, for ours and for
transformers-bf16.

  python3 fidelity.py --runtime "<java> -jar <runtime jar>" --out DIR [--sequences 5] [--prompt 16] [--length 128]
                      [--formats g32,awq-g64]
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

import numpy as np
import torch
from safetensors import safe_open
from transformers import LlamaConfig, LlamaForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import write_checkpoint  # noqa: E402

FORMATS = {
    "gptq-g128-asym-actorder-perprojection-v1-shards": "--format gptq --group-size 128 --asym --act-order --perm per-projection --shards 2",
    "gptq-g128-sym-actorder-v1 (TheBloke file)": "--format gptq --group-size 128 --act-order",
    "gptq-g32-asym-actorder-v2": "--format gptq --group-size 32 --asym --act-order --v2",
    "gptq-g-1-asym-v1": "--format gptq --group-size -1 --asym",
    "awq-g128": "--format awq --group-size 128 --asym",
    "awq-g64-bf16-scales": "--format awq --group-size 64 --asym --scales bf16",
}
PROJECTIONS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
               "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]


def tensors_of(ckpt):
    files = [f for f in os.listdir(ckpt) if f.endswith(".safetensors")]
    out = {}
    for f in files:
        with safe_open(os.path.join(ckpt, f), framework="pt") as st:
            for name in st.keys():
                out[name] = st.get_tensor(name)
    return out


def reference_model(ckpt, fmt, group_size, v2):
    """LlamaForCausalLM in float32 with the published formulas' weights."""
    t = tensors_of(ckpt)
    cfg = LlamaConfig.from_pretrained(ckpt)
    if hasattr(cfg, "quantization_config"):
        del cfg.quantization_config
    cfg._attn_implementation = "eager"
    state = {}
    for name, value in t.items():
        if name.endswith(".weight"):
            state[name] = value.float()

    def get(name):
        v = t[name]
        return v.float().numpy() if v.dtype in (torch.float16, torch.bfloat16) else v.numpy()

    for i in range(cfg.num_hidden_layers):
        for p in PROJECTIONS:
            prefix = "model.layers.%d.%s" % (i, p)
            state[prefix + ".weight"] = torch.from_numpy(write_checkpoint.dequantize(get, prefix, fmt, group_size, v2).copy())
    with torch.device("cuda"):
        model = LlamaForCausalLM(cfg).float()  # float32 before the weights go in (config.json says float16)
    model.load_state_dict(state, strict=True)
    return model.eval()


@torch.no_grad()
def logits_of(model, ids):
    return model(torch.tensor(ids, device="cuda")).logits.float()


@torch.no_grad()
def greedy(model, prompts, length):
    ids = torch.tensor(prompts, device="cuda")
    while ids.shape[1] < length:
        nxt = model(ids).logits[:, -1].argmax(-1, keepdim=True)
        ids = torch.cat([ids, nxt], 1)
    return ids.tolist()


def kl_rows(ref, x):
    """KL(ref || x) per row, in float64."""
    ref, x = ref.double(), x.double()
    lp, lq = torch.log_softmax(ref, -1), torch.log_softmax(x, -1)
    return (lp.exp() * (lp - lq)).sum(-1)


def worst_positions(ref, ours, ours_rows, floor_rows, per_sequence, prompt, count=5):
    """Where our KL is largest: sequence, position (the token predicted), both KLs, the reference's entropy,
    and the reference's top-2 token ids with their probabilities under the reference and under ours."""
    out = []
    for i in torch.argsort(ours_rows, descending=True)[:count].tolist():
        p, q = torch.softmax(ref[i].double(), -1), torch.softmax(ours[i].double(), -1)
        top = torch.topk(p, 2).indices.tolist()
        out.append({"sequence": i // per_sequence, "position": prompt + i % per_sequence,
                    "ours_kl": float(ours_rows[i]), "hf_bf16_kl": float(floor_rows[i]),
                    "entropy": float(-(p * torch.log(p.clamp_min(1e-300))).sum()),
                    "top2": top, "ref_p": [float(p[t]) for t in top], "ours_p": [float(q[t]) for t in top]})
    return out


def mean_difference_interval(ours_rows, floor_rows, per_sequence, draws=10000, seed=0):
    """Mean over positions of ours' KL minus transformers-bf16's, and its 95% interval from resampling whole
    sequences (a sequence's positions are not independent of each other). A few nearly flat positions carry
    both means, so their difference is noisy: ours is no worse where the interval reaches zero or below."""
    d = (np.asarray(ours_rows, dtype=np.float64) - np.asarray(floor_rows, dtype=np.float64)).reshape(-1, per_sequence)
    per = d.mean(1)
    rng = np.random.default_rng(seed)
    means = per[rng.integers(0, len(per), size=(draws, len(per)))].mean(1)
    return float(per.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def compare(ref, x):
    """Top-1 agreement and mean KL(ref || x) over rows."""
    return float((ref.argmax(-1) == x.argmax(-1)).double().mean()), float(kl_rows(ref, x).mean())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runtime", required=True, help="the command that runs the runtime jar")
    p.add_argument("--out", required=True)
    p.add_argument("--sequences", type=int, default=5)
    p.add_argument("--prompt", type=int, default=16)
    p.add_argument("--length", type=int, default=128)
    p.add_argument("--formats", default="", help="comma-separated parts of format names to run (default: all)")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rows = []
    for name, flags in FORMATS.items():
        if a.formats and not any(part in name for part in a.formats.split(",")):
            continue
        ckpt = os.path.join("/dev/shm", "fidelity-" + name.split(" ")[0])
        subprocess.run([sys.executable, write_checkpoint.__file__, "--out", ckpt, "--shape", "small", "--seed", "7"]
                       + flags.split(), check=True)
        fmt = "awq" if flags.startswith("--format awq") else "gptq"
        group_size = int(flags.split("--group-size ")[1].split()[0])
        model = reference_model(ckpt, fmt, group_size, "--v2" in flags)
        vocab = model.config.vocab_size
        rng = np.random.default_rng(11)
        prompts = rng.integers(3, vocab, size=(a.sequences, a.prompt)).tolist()
        seqs = greedy(model, prompts, a.length)
        ref = torch.cat([logits_of(model, [s])[0, a.prompt - 1:a.length - 1] for s in seqs])
        bf16 = model.to(torch.bfloat16)
        floor = torch.cat([logits_of(bf16, [s])[0, a.prompt - 1:a.length - 1] for s in seqs])
        del model, bf16
        torch.cuda.empty_cache()
        tokens = os.path.join(a.out, "tokens-%s.txt" % name.split(" ")[0])
        with open(tokens, "w") as f:
            f.write("\n".join(" ".join(map(str, s)) for s in seqs) + "\n")
        npy = os.path.join(a.out, "ours-%s.npy" % name.split(" ")[0])
        run = subprocess.run(shlex.split(a.runtime) + ["logits", "--weights", ckpt, "--tokens", tokens, "--prompt-tokens",
                             str(a.prompt), "--device", "gpu", "--out", npy], capture_output=True, text=True)
        engine = [l for l in (run.stdout + run.stderr).splitlines() if "engine:" in l]
        if run.returncode != 0:
            print(name, "logits command failed:", (run.stdout + run.stderr)[-2000:])
            continue
        ours = torch.from_numpy(np.load(npy)).cuda()
        top1, kl = compare(ref, ours)
        ftop1, fkl = compare(ref, floor)
        # The mean is carried by a few nearly flat positions; the median and the paired share say more.
        ours_rows, floor_rows = kl_rows(ref, ours), kl_rows(ref, floor)
        row = {"format": name, "positions": int(ref.shape[0]), "ours_top1": top1, "ours_kl": kl,
               "hf_bf16_top1": ftop1, "hf_bf16_kl": fkl,
               "ours_kl_median": float(ours_rows.median()), "hf_bf16_kl_median": float(floor_rows.median()),
               "ours_kl_at_or_below_floor": float((ours_rows <= floor_rows).double().mean()),
               "kl_difference": mean_difference_interval(ours_rows.cpu().numpy(), floor_rows.cpu().numpy(),
                                                         a.length - a.prompt),
               "worst": worst_positions(ref, ours, ours_rows, floor_rows, a.length - a.prompt, a.prompt),
               "engine": engine[-1][-120:] if engine else ""}
        rows.append(row)
        print(json.dumps(row), flush=True)
    with open(os.path.join(a.out, "fidelity.json"), "w") as f:
        json.dump(rows, f, indent=1)
    print("| format | positions | ours top-1 | ours mean KL | HF bf16 top-1 | HF bf16 mean KL | ours median KL |"
          " HF bf16 median KL | positions where ours <= HF bf16 | mean KL ours - HF bf16 [95%] |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| %s | %d | %.4f | %.2e | %.4f | %.2e | %.2e | %.2e | %.3f | %.1e [%.1e, %.1e] |" % (
            r["format"], r["positions"], r["ours_top1"], r["ours_kl"], r["hf_bf16_top1"], r["hf_bf16_kl"],
            r["ours_kl_median"], r["hf_bf16_kl_median"], r["ours_kl_at_or_below_floor"], *r["kl_difference"]))


if __name__ == "__main__":
    main()
