#!/usr/bin/env python3
"""Renders a stored scale_check result as the Markdown tables of docs/paper.md: what each case measured
on the stand-ins (on CPU, or on a GPU: then with each case's peak CUDA memory), and the projection of every
paper model's cases onto the named GPU (left out with --measured). Reads the result alone:
`scripts/scale_check_table.py [--measured] results/scale_check/scale-check/<machine>/<run>.json`."""
import json
import math
import sys

GIB = 2**30


def fmt_hours(h):
    return "n/a" if h is None else f"{h:.2g}" if h < 10 else f"{h:.0f}"


def where_measured(doc):
    """The device the stages ran on, by name, and whether it is a GPU."""
    env = doc["environment"]
    if not env["device"].startswith("cuda"):
        return env.get("cpu", "CPU"), False
    index = int(env["device"].split(":")[1]) if ":" in env["device"] else 0
    return env["cuda"]["devices"][index]["name"], True


def main(path, measured_only):
    doc = json.load(open(path))
    m, gpu = doc["metrics"], doc["metrics"]["gpu"]
    device, on_gpu = where_measured(doc)
    print(f"From `{path}` (commit {doc['code']['commit'][:12]}, {device}).\n")
    gpu_col, gpu_rule = (" GPU peak allocated (GiB) |", "--:|") if on_gpu else ("", "")
    print(f"Measured on {'the GPU' if on_gpu else 'CPU'} (random-weight stand-ins, {doc['config']['dtype']} "
          f"weights, each case in its own process; working set: {m.get('working_set_measured_from', 'peak resident memory')} "
          "above forward_check's):\n")
    print(f"| Model | Case | Wall (s) | Peak RSS (GiB) |{gpu_col} Disk written (MiB) | Working set measured / estimated (MiB) |")
    print(f"|---|---|--:|--:|{gpu_rule}--:|--:|")
    for model in m["models"]:
        c = model["checkpoint"]
        print(f"| {model['name']} | write checkpoint ({c['shards']} shard{'s' if c['shards'] != 1 else ''}) | {c['write_s']:.1f} | "
              f"{c['peak_rss_bytes'] / GIB:.2f} |{' |' if on_gpu else ''} {c['bytes'] / 2**20:.0f} | |")
        for s in model["stages"]:
            ws = ""
            if "working_bytes_measured" in s:
                ws = f"{s['working_bytes_measured'] / 2**20:.0f} / {s['working_bytes_estimated'] / 2**20:.0f}"
            gpu_peak = f" {s['gpu_peak_allocated_bytes'] / GIB:.2f} |" if on_gpu else ""
            print(f"| {model['name']} | {s['case']} | {s['wall_s']:.1f} | {s['peak_rss_bytes'] / GIB:.2f} |{gpu_peak} "
                  f"{s['disk_bytes'] / 2**20:.1f} | {ws} |")
    if measured_only:
        return
    print(f"\nProjected paper presets on one {gpu['name']} ({gpu['memory_gib']} GiB, {gpu['bf16_dense_tflops']} "
          f"dense bf16 TFLOP/s at an assumed {gpu['assumed_utilisation']:.0%} utilisation); estimates, not runs. "
          "GPU-hours count FLOPs only (a lower bound: I/O and overheads are left out; n/a: not projected):\n")
    print("| Model | Parameters (B) | Case | GPU memory (GiB) | Fits one GPU | GPUs with --devices (at least) | Disk (GiB) | GPU-hours |")
    print("|---|--:|---|--:|---|--:|--:|--:|")
    for model in m["paper_models"]:
        for p in model["paper_projection"]:
            print(f"| {model['name']} | {model['parameters'] / 1e9:.2f} | {p['case']} | "
                  f"{p['gpu_memory_bytes_estimated'] / GIB:.1f} | {'yes' if p['fits'] else '**no**'} | "
                  f"{math.ceil(p['gpu_memory_bytes_estimated'] / GIB / gpu['memory_gib'])} | "
                  f"{p['disk_bytes_estimated'] / GIB:.1f} | {fmt_hours(p['gpu_hours_estimated'])} |")


if __name__ == "__main__":
    args = sys.argv[1:]
    measured_only = "--measured" in args
    args = [a for a in args if a != "--measured"]
    if len(args) != 1:
        sys.exit(__doc__)
    main(args[0], measured_only)
