#!/usr/bin/env python3
"""Golden fixture for aux-loss-free balancing (moe.balance = "bias"), from PyTorch.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_bias_fixture.py
It rewrites tests/golden/balance_bias.bin (format: make_fixtures.py).

The reference routes STEPS batches in float64 with a router whose expert 0 is hot
(its logit column is raised): each step chooses the top-k of softmax(x·wg) + bias,
takes the chosen experts' unbiased probabilities as gate weights, then moves
bias_e by RATE · sign(1/E − share_e), the DeepSeek-V3 update, with share_e the
expert's share of the step's top-k assignments. Stored per step: the inputs, the
chosen experts, their gate weights and the bias after the update. Each step's
k-th and (k+1)-th biased scores are at least MARGIN apart, so float32 rounding in
paramoe cannot flip a choice.
"""
import pathlib

import torch

from make_fixtures import write_bin

HERE = pathlib.Path(__file__).resolve().parent
STEPS, T, D, E, K, RATE, MARGIN = 6, 64, 16, 8, 2, 0.02, 1e-5


def main():
    torch.set_num_threads(1)
    for seed in range(100, 200):
        g = torch.Generator().manual_seed(seed)
        wg = torch.randn(D, E, generator=g, dtype=torch.float64) * 0.5
        x = torch.randn(STEPS, T, D, generator=g, dtype=torch.float64)
        x[:, :, 0] = 1.0
        wg[0, 0] += 1.5  # expert 0 hot
        wg = wg.to(torch.float32).to(torch.float64)  # values paramoe holds exactly
        x = x.to(torch.float32).to(torch.float64)
        bias = torch.zeros(E, dtype=torch.float64)
        experts, weights, biases, margin = [], [], [], float("inf")
        for s in range(STEPS):
            probs = torch.softmax(x[s] @ wg, dim=-1)
            scores = probs + bias
            order = torch.sort(scores, dim=-1, descending=True)
            margin = min(margin, float((order.values[:, K - 1] - order.values[:, K]).min()))
            chosen = order.indices[:, :K]
            experts.append(chosen.to(torch.float32))
            weights.append(torch.gather(probs, 1, chosen))
            share = torch.bincount(chosen.reshape(-1), minlength=E).to(torch.float64) / (T * K)
            bias = bias + RATE * torch.sign(1.0 / E - share)
            biases.append(bias.clone())
        if margin >= MARGIN:
            break
    else:
        raise SystemExit("no seed gives a clear margin")
    write_bin(HERE / "balance_bias.bin", {
        "wg": wg, "x": x, "experts": torch.stack(experts), "weights": torch.stack(weights),
        "bias": torch.stack(biases), "rate": torch.tensor([RATE]),
    })
    first = torch.bincount(experts[0].long().reshape(-1), minlength=E)
    last = torch.bincount(experts[-1].long().reshape(-1), minlength=E)
    print(f"balance_bias: seed {seed}, margin {margin:.2e}; expert loads step 1 {first.tolist()}, "
          f"step {STEPS} {last.tolist()}")


if __name__ == "__main__":
    main()
