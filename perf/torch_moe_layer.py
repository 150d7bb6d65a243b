#!/usr/bin/env python3
"""A plain PyTorch MoE layer (the baseline for perf/bench_cuda_moe_layer): fp32
router, softmax, top-k renormalised, a Python loop over experts with SwiGLU FFNs in
bf16, index_add_ combine; forward + backward through autograd. Times fwd+bwd with
CUDA events (median of 20 after 3 warm-ups) for the same shapes.

usage: perf/torch_moe_layer.py [OUT.csv]
"""
import csv
import sys

import torch
import torch.nn.functional as F

SHAPES = [("mixtral", 4096, 4096, 14336, 8, 2), ("small", 4096, 2048, 1536, 64, 8)]


def layer(x, wg, w1, b1, w3, b3, w2, b2, k):
    probs = torch.softmax(x.float() @ wg, dim=-1)
    val, idx = probs.topk(k, dim=-1)
    weight = val / val.sum(-1, keepdim=True)
    y = torch.zeros_like(x)
    flat = idx.flatten()
    tok = torch.arange(x.shape[0], device=x.device).repeat_interleave(k)
    for e in range(w1.shape[0]):
        sel = (flat == e).nonzero(as_tuple=True)[0]
        t = tok[sel]
        xe = x[t]
        h = F.silu(xe @ w1[e] + b1[e]) * (xe @ w3[e] + b3[e])
        out = (h @ w2[e] + b2[e]) * weight.flatten()[sel, None].to(x.dtype)
        y = y.index_add(0, t, out)
    return y


def bench(name, tokens, d, h, experts, k):
    dev = "cuda"
    g = torch.Generator(device=dev).manual_seed(0)

    def u(*shape, scale, dtype=torch.bfloat16):
        t = (torch.rand(*shape, device=dev, generator=g) * 2 - 1) * scale
        return t.to(dtype).requires_grad_()

    sd, sh = d ** -0.5, h ** -0.5
    wg = u(d, experts, scale=sd, dtype=torch.float32)
    w1, w3 = u(experts, d, h, scale=sd), u(experts, d, h, scale=sd)
    b1, b3 = u(experts, h, scale=sd), u(experts, h, scale=sd)
    w2, b2 = u(experts, h, d, scale=sh), u(experts, d, scale=sh)
    x = u(tokens, d, scale=1.0)
    dy = (torch.rand(tokens, d, device=dev, generator=g) * 2 - 1).to(torch.bfloat16) * 1e-2
    params = [wg, w1, b1, w3, b3, w2, b2]

    def step():
        for p in params + [x]:
            p.grad = None
        layer(x, *params, k).backward(dy)

    for _ in range(3):
        step()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    ms = []
    for _ in range(20):
        start.record()
        step()
        end.record()
        end.synchronize()
        ms.append(start.elapsed_time(end))
    ms.sort()
    return ms[len(ms) // 2]


def main():
    rows = []
    for s in SHAPES:
        ms = bench(*s)
        rows.append({"shape": s[0], "tokens": s[1], "d_model": s[2], "d_hidden": s[3],
                     "experts": s[4], "top_k": s[5], "torch_ms": f"{ms:.3f}"})
        print(rows[-1], flush=True)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    print(torch.cuda.get_device_name(), torch.__version__)


if __name__ == "__main__":
    main()
