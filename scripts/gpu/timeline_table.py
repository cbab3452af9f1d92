#!/usr/bin/env python3
"""The start timeline of several server logs as one table: per phase, the median start and length (ms
since process start), from each log's "start timeline:" line (StartupTimeline). Usage:
timeline_table.py serve-1.log serve-2.log ...  (a log without the line is reported and skipped)."""
import re
import statistics
import sys

SPAN = re.compile(r"^(?P<name>.+?) (?P<start>\d+)-(?P<end>\d+)(?: \((?P<parts>[^)]*)\))?$")


def timeline(path):
    try:
        lines = open(path, errors="replace").readlines()
    except OSError:
        return None, None
    for line in lines:
        if "start timeline: ms since process start: " in line:
            spans = line.split("ms since process start: ", 1)[1].strip().split(" | ")
            phases, ready = {}, None
            for span in spans:
                if span.startswith("ready "):
                    ready = int(span.split()[1])
                    continue
                m = SPAN.match(span)
                if not m:
                    continue
                start, end = int(m["start"]), int(m["end"])
                phases[m["name"]] = (start, end - start)
                for part in (m["parts"] or "").split(", "):
                    if part:
                        name, ms = part.rsplit(" ", 1)
                        phases[m["name"] + ": " + name] = (None, int(ms))
            return phases, ready
    return None, None


def main(paths):
    runs = []
    for p in paths:
        phases, ready = timeline(p)
        if phases is None:
            print(f"{p}: no start timeline line", file=sys.stderr)
        else:
            runs.append((phases, ready))
    if not runs:
        return 1
    order = []
    for phases, _ in runs:
        for name in phases:
            if name not in order:
                order.append(name)
    def median_start(name):
        starts = [r[0][name][0] for r in runs if name in r[0] and r[0][name][0] is not None]
        return statistics.median(starts) if starts else 0
    # Parts ("weights: upload") right after their phase.
    order.sort(key=lambda n: (median_start(n.split(": ")[0]), ": " in n))
    print(f"{len(runs)} starts; ms since process start")
    print()
    print("| phase | starts at (median) | ms (median) | ms (min-max) |")
    print("|---|---:|---:|---:|")
    for name in order:
        values = [r[0][name] for r in runs if name in r[0]]
        starts = [s for s, _ in values if s is not None]
        lengths = [ms for _, ms in values]
        at = f"{statistics.median(starts):.0f}" if starts else ""
        print(f"| {name} | {at} | {statistics.median(lengths):.0f} | {min(lengths)}-{max(lengths)} |")
    readies = [r for _, r in runs if r is not None]
    if readies:
        print(f"| **ready** | **{statistics.median(readies):.0f}** | | {min(readies)}-{max(readies)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
