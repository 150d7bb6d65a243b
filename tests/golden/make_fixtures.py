#!/usr/bin/env python3
"""Golden fixtures for the MoE layer, from an independent PyTorch reference.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_fixtures.py
It rewrites tests/golden/<case>.toml (the layer config) and <case>.bin (tensors).

The reference computes in float64 and stores float32, so the fixtures carry no fp32
rounding of their own. It shares no code with paramoe: experts are evaluated densely
for every token, capacity is a plain loop, and gradients come from autograd.

.bin format (little-endian): magic b"PMOEFIX1", u32 count, then per tensor:
u32 name length, name bytes, u32 ndim, i64 dims[ndim], f32 data.
"""
import math
import pathlib
import struct

import torch
import torch.nn.functional as F

HERE = pathlib.Path(__file__).resolve().parent


def moe_reference(x, p, cfg):
    T, D = x.shape
    E, k = cfg["num_experts"], cfg["top_k"]
    logits = x @ p["wg"]
    probs = torch.softmax(logits, dim=-1)
    lse = torch.logsumexp(logits, dim=-1)
    topv, topi = torch.topk(probs, k, dim=-1)
    weight = topv / topv.sum(-1, keepdim=True) if cfg["renormalize"] else topv

    # Load-balancing loss (Switch/GShard): E * sum_e f_e * P_e, with f_e the fraction
    # of the T*k top-k assignments that chose e (constant) and P_e the mean probability.
    counts = torch.zeros(E, dtype=x.dtype)
    for j in range(k):
        counts += torch.bincount(topi[:, j], minlength=E).to(x.dtype)
    frac = counts / (T * k)
    aux = cfg["aux_loss_coef"] * E * (frac * probs.mean(0)).sum()
    zloss = cfg["z_loss_coef"] * (lse ** 2).mean()

    keep = torch.ones(T, k, dtype=x.dtype)
    if cfg["capacity_factor"] > 0:
        cap = math.ceil(cfg["capacity_factor"] * T * k / E)
        fill = [0] * E
        for j in range(k):          # all first choices before any second choice
            for t in range(T):      # then by token position
                e = int(topi[t, j])
                if fill[e] < cap:
                    fill[e] += 1
                else:
                    keep[t, j] = 0.0

    outs = []
    for e in range(E):
        a = x @ p["w1"][e] + p["b1"][e]
        if cfg["activation"] == "swiglu":
            h = F.silu(a) * (x @ p["w3"][e] + p["b3"][e])
        else:
            h = F.gelu(a)
        outs.append(h @ p["w2"][e] + p["b2"][e])
    outs = torch.stack(outs)  # [E, T, D]
    y = torch.zeros(T, D, dtype=x.dtype)
    if "shared_w1" in p:  # always-on shared experts: one dense FFN on every token
        a = x @ p["shared_w1"] + p["shared_b1"]
        if cfg["activation"] == "swiglu":
            h = F.silu(a) * (x @ p["shared_w3"] + p["shared_b3"])
        else:
            h = F.gelu(a)
        y = y + h @ p["shared_w2"] + p["shared_b2"]
    rows = torch.arange(T)
    for j in range(k):
        y = y + (keep[:, j] * weight[:, j])[:, None] * outs[topi[:, j], rows]
    dropped = int((keep == 0).sum())
    return y, aux, zloss, topv, dropped


def make_case(name, seed, T, D, H, E, k, activation, capacity_factor, renormalize, skew, shared=0):
    g = torch.Generator().manual_seed(seed)
    dt = torch.float64
    cfg = dict(num_experts=E, top_k=k, activation=activation, capacity_factor=capacity_factor,
               renormalize=renormalize, aux_loss_coef=0.05, z_loss_coef=0.01)
    for attempt in range(100):
        x = torch.randn(T, D, generator=g, dtype=dt)
        p = {"wg": torch.randn(D, E, generator=g, dtype=dt) / math.sqrt(D)}
        if skew == "zipf":  # a shared feature pushes tokens toward low-numbered experts
            x[:, 0] = 1.0 + 0.1 * x[:, 0]
            p["wg"][0] = torch.tensor([2.0 * math.log(1.0 / (e + 1)) + 2.0 for e in range(E)], dtype=dt)
        elif skew == "one":  # every token's first choice is expert 3
            x[:, 0] = 1.0 + 0.1 * x[:, 0]
            p["wg"][0] = 0.0
            p["wg"][0, 3] = 12.0
        p["w1"] = torch.randn(E, D, H, generator=g, dtype=dt) / math.sqrt(D)
        p["b1"] = 0.1 * torch.randn(E, H, generator=g, dtype=dt)
        if activation == "swiglu":
            p["w3"] = torch.randn(E, D, H, generator=g, dtype=dt) / math.sqrt(D)
            p["b3"] = 0.1 * torch.randn(E, H, generator=g, dtype=dt)
        p["w2"] = torch.randn(E, H, D, generator=g, dtype=dt) / math.sqrt(H)
        p["b2"] = 0.1 * torch.randn(E, D, generator=g, dtype=dt)
        gy = torch.randn(T, D, generator=g, dtype=dt)
        # Reject draws where fp32 rounding could change the top-k choice.
        probs = torch.softmax(x @ p["wg"], -1)
        srt = probs.sort(-1, descending=True).values
        margin = (srt[:, k - 1] - srt[:, k]).min() if k < E else torch.tensor(1.0)
        if margin > 1e-4:
            break
    else:
        raise RuntimeError(f"{name}: no draw with a safe top-k margin")

    if shared:  # drawn after the routed draw, so that the other cases stay as they were
        S = shared * H
        p["shared_w1"] = torch.randn(D, S, generator=g, dtype=dt) / math.sqrt(D)
        p["shared_b1"] = 0.1 * torch.randn(S, generator=g, dtype=dt)
        if activation == "swiglu":
            p["shared_w3"] = torch.randn(D, S, generator=g, dtype=dt) / math.sqrt(D)
            p["shared_b3"] = 0.1 * torch.randn(S, generator=g, dtype=dt)
        p["shared_w2"] = torch.randn(S, D, generator=g, dtype=dt) / math.sqrt(S)
        p["shared_b2"] = 0.1 * torch.randn(D, generator=g, dtype=dt)

    x.requires_grad_(True)
    for v in p.values():
        v.requires_grad_(True)
    y, aux, zloss, _, dropped = moe_reference(x, p, cfg)
    loss = (y * gy).sum() + aux + zloss
    loss.backward()

    tensors = {"x": x, "gy": gy, **p, "y": y, "aux_loss": aux.reshape(1), "z_loss": zloss.reshape(1),
               "dx": x.grad}
    for key, v in p.items():
        tensors["d" + key] = v.grad
    write_bin(HERE / f"{name}.bin", tensors)
    toml = [
        f"# golden case {name}: generated by make_fixtures.py (seed {seed}); "
        f"{dropped} assignments dropped",
        "[moe]",
        f"d_model = {D}", f"d_hidden = {H}", f"num_experts = {E}", f"top_k = {k}",
        f'activation = "{activation}"', f"capacity_factor = {capacity_factor:.4f}",
        f"renormalize = {'true' if renormalize else 'false'}",
        f"aux_loss_coef = {cfg['aux_loss_coef']}", f"z_loss_coef = {cfg['z_loss_coef']}",
        *([f"shared_experts = {shared}"] if shared else []), "",
        "[train]", f"tokens_per_step = {T}", "",
    ]
    (HERE / f"{name}.toml").write_text("\n".join(toml))
    print(f"{name}: T={T} D={D} H={H} E={E} k={k} {activation} cf={capacity_factor} "
          f"renorm={renormalize} skew={skew} shared={shared} dropped={dropped} "
          f"margin={float(margin):.2e}")


def write_bin(path, tensors):
    with open(path, "wb") as f:
        f.write(b"PMOEFIX1")
        f.write(struct.pack("<I", len(tensors)))
        for name, t in tensors.items():
            t = t.detach().to(torch.float32).contiguous()
            nb = name.encode()
            f.write(struct.pack("<I", len(nb)))
            f.write(nb)
            f.write(struct.pack("<I", t.dim()))
            f.write(struct.pack(f"<{t.dim()}q", *t.shape))
            f.write(t.numpy().astype("<f4").tobytes())


if __name__ == "__main__":
    torch.set_num_threads(1)
    #         name                         seed T   D   H   E  k  act       cf    renorm skew
    make_case("dropless_top2_gelu_uniform", 11, 32, 16, 32, 8, 2, "gelu", 0.0, True, "none")
    make_case("dropless_top1_swiglu_zipf", 12, 32, 16, 32, 8, 1, "swiglu", 0.0, False, "zipf")
    make_case("capacity_top2_gelu_zipf", 13, 32, 16, 32, 8, 2, "gelu", 1.0, False, "zipf")
    make_case("capacity_top1_swiglu_uniform", 14, 32, 16, 32, 8, 1, "swiglu", 1.25, True, "none")
    make_case("dropless_top1_gelu_all_to_one", 15, 32, 16, 32, 8, 1, "gelu", 0.0, False, "one")
    make_case("dropless_top2_swiglu_uneven", 16, 30, 16, 32, 8, 2, "swiglu", 0.0, True, "zipf")
    # Hundreds of rows per expert: the CPU expert FFN runs 256-row blocks at this
    # width (lib/moe/expert_ffn.cpp), so an expert spans several blocks.
    make_case("dropless_top2_gelu_blocks", 17, 1280, 8, 256, 8, 2, "gelu", 0.0, True, "none")
    make_case("dropless_top1_swiglu_blocks", 18, 2560, 8, 256, 8, 1, "swiglu", 0.0, False, "none")
    # Shared experts (moe.shared_experts = N: one FFN of width N·H on every token):
    # with GELU and SwiGLU, uneven rows, and one spanning several 256-row blocks.
    make_case("shared2_top2_gelu_uniform", 19, 32, 16, 32, 8, 2, "gelu", 0.0, True, "none", shared=2)
    make_case("shared1_top1_swiglu_uneven", 20, 30, 16, 32, 8, 1, "swiglu", 0.0, False, "zipf",
              shared=1)
    make_case("shared1_top2_gelu_blocks", 21, 1280, 8, 256, 8, 2, "gelu", 0.0, True, "none", shared=1)
