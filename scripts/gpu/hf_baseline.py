"""HF transformers bf16 baseline on the CodeLlama-34B shape (random weights), for docs/benchmarks.md.

Prints one JSON line: load seconds, decode tokens/s (greedy, EOS ignored), peak GPU memory.
Usage: python3 scripts/gpu/hf_baseline.py [max_new_tokens]
"""
import json
import sys
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

new_tokens = int(sys.argv[1]) if len(sys.argv) > 1 else 128
cfg = LlamaConfig(hidden_size=8192, intermediate_size=22016, num_hidden_layers=48, num_attention_heads=64,
                  num_key_value_heads=8, vocab_size=32000, max_position_embeddings=16384, rms_norm_eps=1e-5,
                  rope_theta=1e6, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
t0 = time.time()
torch.manual_seed(0)
with torch.device("cuda"):
    try:
        model = LlamaForCausalLM._from_config(cfg, dtype=torch.bfloat16)
    except TypeError:
        model = LlamaForCausalLM._from_config(cfg, torch_dtype=torch.bfloat16)
model.eval()
torch.cuda.synchronize()
load_s = time.time() - t0
ids = torch.randint(3, 32000, (1, 24), device="cuda")
with torch.no_grad():
    model.generate(ids, max_new_tokens=8, min_new_tokens=8, do_sample=False)  # warm-up
    torch.cuda.synchronize()
    t1 = time.time()
    out = model.generate(ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False)
    torch.cuda.synchronize()
    dt = time.time() - t1
generated = out.shape[1] - ids.shape[1]
print(json.dumps({"engine": "transformers %s bf16 generate" % __import__("transformers").__version__,
                  "torch": torch.__version__, "load_s": round(load_s, 1), "output_tokens": int(generated),
                  "latency_s": round(dt, 2), "tokens_per_s": round(generated / dt, 2),
                  "peak_gpu_gib": round(torch.cuda.max_memory_allocated() / 2**30, 1),
                  "device": torch.cuda.get_device_name()}))
