#!/usr/bin/env python3
"""Heat map of the per-expert load from a `paramoe train` metrics JSONL.

  perf/plot_expert_load.py METRICS.jsonl OUT.png

One panel per MoE layer: experts down, logged steps across, each cell the expert's
share of the layer's top-k assignments over the mean share (1 = balanced), from the
`expert_load` field that logged steps carry (train.log_every). The title gives the
layer's last max/mean and dropped share.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows = [json.loads(line) for line in open(sys.argv[1])]
    rows = [r for r in rows if "expert_load" in r]
    if not rows:
        sys.exit(f"{sys.argv[1]}: no logged step has expert_load")
    steps = [r["step"] for r in rows]
    layers = len(rows[0]["expert_load"])
    fig, axes = plt.subplots(layers, 1, figsize=(8, 2.2 * layers + 0.6), squeeze=False)
    for l in range(layers):
        counts = np.array([r["expert_load"][l]["counts"] for r in rows], dtype=float)
        relative = counts / counts.mean(axis=1, keepdims=True)  # [steps, experts]
        ax = axes[l][0]
        im = ax.imshow(relative.T, aspect="auto", cmap="magma", origin="lower",
                       extent=[steps[0] - 0.5, steps[-1] + 0.5, -0.5, counts.shape[1] - 0.5])
        last = rows[-1]["expert_load"][l]
        ax.set_title(f"MoE layer {l}: max/mean {last['max_mean']:.2f}, "
                     f"dropped {100 * last['dropped']:.1f}% (step {steps[-1]})", fontsize=9)
        ax.set_ylabel("expert")
        fig.colorbar(im, ax=ax, label="load / mean")
    axes[-1][0].set_xlabel("step")
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=120)
    print(f"wrote {sys.argv[2]}: {layers} layers x {counts.shape[1]} experts over {len(steps)} "
          "logged steps")


if __name__ == "__main__":
    main()
