#!/usr/bin/env python3
"""Writes the sweep file of the whole paper (`make paper`, `make paper-submit`): every paper case once per
model, as units that `harness submit` runs here (--local) or as a Slurm job array. The Makefile passes the
models, data and device; this script only lays them out (tools/sweep.h has the grammar)."""
import argparse
import json
import pathlib


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--models-dir", required=True, help="one Hugging Face directory per model")
    p.add_argument("--opt", default="", help="OPT directory names, space-separated")
    p.add_argument("--llama", default="", help="Llama directory names, space-separated")
    p.add_argument("--data", required=True, help="evaluation data laid out as ../shared/data/eval")
    p.add_argument("--record", required=True, help="C4 documents the DejaVu cases record activations on")
    p.add_argument("--c4-eval", required=True, help="C4 documents, disjoint from --record, for perplexity")
    p.add_argument("--device", required=True)
    p.add_argument("--dtype", required=True)
    p.add_argument("--devices", default="", help="layer placement over several devices (empty: --device only)")
    p.add_argument("--preset", default="paper")
    p.add_argument("--few-shot-tasks", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()

    opt = [f"{a.models_dir}/{m}" for m in a.opt.split()]
    llama = [f"{a.models_dir}/{m}" for m in a.llama.split()]
    wikitext = f"{a.data}/wikitext-2-raw/wiki.test.raw"
    on = {"device": a.device, "dtype": a.dtype}
    if a.devices:
        on["devices"] = a.devices
    dejavu = {"preset": a.preset, "train-data": a.record, "eval-data": [wikitext, a.c4_eval], "task-data": a.data, **on}
    every = opt + llama
    units = [
        {"case": "drift", "models": every, "options": {"preset": a.preset, "data": wikitext, **on}, "paper": True},
        {"case": "zero_shot", "models": every, "options": {"data": a.data, **on}, "paper": True},
        {"case": "few_shot", "models": every, "options": {"data": a.data, "tasks": a.few_shot_tasks, **on}, "paper": True},
        {"case": "kascade", "models": every, "options": {"data": wikitext, **on}, "paper": True},
    ]
    if opt:
        units.append({"case": "opt_baseline", "models": opt, "options": dejavu, "paper": True})
    if llama:
        units.append({"case": "llama_sparse", "models": llama, "options": dejavu, "paper": True})
    sweep = {"description": f"the paper: every case once per model of {a.models_dir} ({a.preset} presets, {a.device})",
             "units": units}
    pathlib.Path(a.out).write_text(json.dumps(sweep, indent=1) + "\n")


if __name__ == "__main__":
    main()
