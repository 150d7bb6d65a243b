#!/usr/bin/env python3
"""Turns one GPU check (jobs/device/gpu_check.sh: bench_cuda_esmm.json,
bench_cuda_moe_layer.json, torch_moe_layer.csv, bench_cuda_dist_layer.json,
gpu_train_throughput.csv) into the result tables of perf/results: ESMM vs dense
cuBLAS, the MoE layer that trains vs plain PyTorch, the layer by collectives
backend, expert mode and precision, and whole-model training in fp32 and bf16. A table whose
inputs the check did not produce is left as it is.

usage: perf/gpu_results.py DIR DEVICE_NAME
"""
import csv
import json
import os
import sys


def medians(path):
    out = []
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name") == "median":
            out.append(b)
    return out


def write(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def esmm_table(d, device):
    rows = []
    for b in medians(f"{d}/bench_cuda_esmm.json"):
        shape, routing, op, how = b["label"].split("/")
        rows.append({"device": device, "shape": shape, "routing": routing, "op": op, "launch": how,
                     "rows": int(b["rows"]), "expert_tflops": f"{b['expert_TFLOPs']:.1f}",
                     "dense_tflops": f"{b['dense_TFLOPs']:.1f}", "vs_dense": f"{b['vs_dense']:.3f}"})
    write("perf/results/gpu_esmm_vs_dense.csv", rows)


def layer_table(d, device):
    torch_ms = {r["shape"]: float(r["torch_ms"]) for r in csv.DictReader(open(f"{d}/torch_moe_layer.csv"))}
    rows = []
    for b in medians(f"{d}/bench_cuda_moe_layer.json"):
        shape, how = b["label"].split("/")
        ms = b["median_ms"]
        rows.append({"device": device, "shape": shape, "launch": how, "paramoe_ms": f"{ms:.2f}",
                     "paramoe_tflops": f"{b['TFLOPs']:.1f}", "torch_ms": f"{torch_ms[shape]:.2f}",
                     "speedup_vs_torch": f"{torch_ms[shape] / ms:.2f}"})
    write("perf/results/gpu_moe_layer_vs_torch.csv", rows)


def dist_layer_table(d, device):
    ms = {}
    for b in medians(f"{d}/bench_cuda_dist_layer.json"):
        shape, path = b["label"].split("/")
        ms[(shape, path)] = (b["median_ms"], b["TFLOPs"])
    rows = []
    for (shape, path), (t, tf) in ms.items():
        rows.append({"device": device, "shape": shape, "path": path, "median_ms": f"{t:.2f}",
                     "tflops": f"{tf:.1f}", "vs_nccl": f"{t / ms[(shape, 'nccl')][0]:.3f}"})
    write("perf/results/gpu_dist_layer_paths.csv", rows)


def train_table(d, device):
    # perf/gpu_train_throughput.sh wrote it whole, device name included.
    rows = list(csv.DictReader(open(f"{d}/gpu_train_throughput.csv")))
    write("perf/results/gpu_train_throughput.csv", rows)


def main(d, device):
    tables = [("bench_cuda_esmm.json", esmm_table), ("bench_cuda_moe_layer.json", layer_table),
              ("bench_cuda_dist_layer.json", dist_layer_table),
              ("gpu_train_throughput.csv", train_table)]
    for source, table in tables:
        if os.path.exists(f"{d}/{source}"):
            table(d, device)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
