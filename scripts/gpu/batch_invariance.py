#!/usr/bin/env python3
"""Batch invariance through HTTP: one seeded request alone, then COPIES identical copies of it at once.

Against a running server (engine-34b.sh's `batchinv` phase starts it with model.batch_invariant on and
off). Twice: without logprobs (tokens sampled on the device, the usual path) and with logprobs (logits
to the host, whose values carry their last bits). Prints one line per pass:
  text: 16/16 copies equal to the request alone
and exits 1 unless every copy of both passes equals the request alone.
"""
import argparse
import json
import threading
import urllib.request


def complete(url, body):
    request = urllib.request.Request(url + "/v1/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        choice = json.load(response)["choices"][0]
    return json.dumps({"text": choice["text"], "logprobs": choice.get("logprobs")}, sort_keys=True)


def at_once(url, body, copies):
    results = [None] * copies
    start = threading.Barrier(copies)

    def run(i):
        start.wait()
        results[i] = complete(url, body)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(copies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", default="http://127.0.0.1:8080")
    p.add_argument("--copies", type=int, default=16)
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--prompt", default="def quicksort(arr):\n    \"\"\"Sort arr in place.\"\"\"\n")
    a = p.parse_args()
    ok = True
    for name, extra in (("text", {}), ("logprobs", {"logprobs": 1})):
        body = {"prompt": a.prompt, "max_tokens": a.max_tokens, "temperature": 1.0, "seed": a.seed,
                "ignore_eos": True, **extra}
        alone = complete(a.url, body)
        copies = at_once(a.url, body, a.copies)
        equal = sum(c == alone for c in copies)
        distinct = len(set(copies) | {alone})
        print(f"{name}: {equal}/{a.copies} copies equal to the request alone ({distinct} distinct outputs)")
        ok = ok and equal == a.copies
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
