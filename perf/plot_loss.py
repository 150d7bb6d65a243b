#!/usr/bin/env python3
"""Loss curves from a `paramoe train` metrics JSONL (train.metrics_jsonl).

Usage: /usr/bin/python3 perf/plot_loss.py METRICS.jsonl OUT.png [--title TEXT]
Draws the training loss (each logged step, and a 50-step running mean) and the
validation loss against the step.
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("metrics")
    ap.add_argument("out")
    ap.add_argument("--title", default="paramoe train")
    a = ap.parse_args()
    train, val = [], []
    for line in open(a.metrics):
        r = json.loads(line)
        (val if "val_loss" in r else train).append(r)
    steps = [r["step"] for r in train]
    loss = [r["loss"] for r in train]
    window = 50  # steps (the file may hold every step or every N-th)
    mean = []
    for i, s in enumerate(steps):
        recent = [v for t, v in zip(steps[:i + 1], loss[:i + 1]) if t > s - window]
        mean.append(sum(recent) / len(recent))
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(steps, loss, color="0.8", lw=0.6, label="train loss (per step)")
    ax.plot(steps, mean, color="C0", lw=1.5, label=f"train loss ({window}-step mean)")
    if val:
        ax.plot([r["step"] for r in val], [r["val_loss"] for r in val], "o-", color="C3",
                ms=3, lw=1.2, label="validation loss")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.set_title(a.title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(a.out, dpi=120)
    if val:
        print(f"{a.out}: val loss {val[0]['val_loss']:.3f} (step {val[0]['step']}) -> "
              f"{val[-1]['val_loss']:.3f} (step {val[-1]['step']})")


if __name__ == "__main__":
    main()
