#!/usr/bin/env python3
"""Golden fixtures for one full training step of the GPT-MoE and BERT-MoE models.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_model_fixtures.py
It rewrites tests/golden/model_<gpt|bert>.toml (the config) and .bin (tensors, in the
format of make_fixtures.py).

The reference is written from the model's definition, in float64, and shares no code
with paramoe: attention is the textbook softmax(QKᵀ/√d)V on full tensors, the MoE
layer is make_fixtures.moe_reference (dense evaluation of every expert), the loss is
torch's cross_entropy on the full logits, gradients come from autograd, clipping is
torch.nn.utils.clip_grad_norm_ and the update is torch.optim.AdamW with two parameter
groups (no weight decay on biases, LayerNorms and embeddings).

Tensors use paramoe's names and layouts: linear weights are [in, out], the QKV
weight is [d_model, 3, heads, head_dim] and its bias [3, heads, head_dim].
"""
import math
import pathlib

import torch
import torch.nn.functional as F

from make_fixtures import moe_reference, write_bin

HERE = pathlib.Path(__file__).resolve().parent

CFG = dict(V=37, S=8, B=4, D=16, heads=4, F=32, layers=2, moe_every=2, E=4, k=2, H=16,
           aux=0.05, z=0.01, lr=1e-2, wd=0.1, betas=(0.9, 0.95), eps=1e-8)


def layer_norm(x, g, b):
    return F.layer_norm(x, (x.shape[-1],), g, b, eps=1e-5)


def model_forward(p, tokens, valid, causal, c, check_margin=True):
    B, S = tokens.shape
    D, Hh = c["D"], c["heads"]
    hd = D // Hh
    x = p["wte"][tokens] + p["wpe"][torch.arange(S)][None]
    moe_losses = []
    for l in range(c["layers"]):
        pre = f"blocks/{l}/"
        a = layer_norm(x, p[pre + "ln1/gamma"], p[pre + "ln1/beta"])
        qkv = a @ p[pre + "attn/qkv/w"].reshape(D, 3 * D) + p[pre + "attn/qkv/b"].reshape(3 * D)
        q, k, v = (t.reshape(B, S, Hh, hd).transpose(1, 2) for t in qkv.split(D, dim=-1))
        scores = q @ k.transpose(-1, -2) / math.sqrt(hd)  # [B, heads, S, S]
        mask = torch.ones(B, 1, S, S, dtype=torch.bool)
        if causal:
            mask &= torch.tril(torch.ones(S, S, dtype=torch.bool))
        if valid is not None:
            mask &= valid[:, None, None, :].bool()
        scores = scores.masked_fill(~mask, float("-inf"))
        ctx = (torch.softmax(scores, -1) @ v).transpose(1, 2).reshape(B, S, D)
        x = x + ctx @ p[pre + "attn/proj/w"] + p[pre + "attn/proj/b"]
        cin = layer_norm(x, p[pre + "ln2/gamma"], p[pre + "ln2/beta"])
        if (l + 1) % c["moe_every"] == 0:
            m = {key: p[pre + "moe/" + name] for key, name in
                 [("wg", "gate"), ("w1", "w1"), ("b1", "b1"), ("w2", "w2"), ("b2", "b2")]}
            cfg = dict(num_experts=c["E"], top_k=c["k"], activation="gelu", capacity_factor=0.0,
                       renormalize=True, aux_loss_coef=c["aux"], z_loss_coef=c["z"])
            y, aux, zl, topv, _ = moe_reference(cin.reshape(B * S, D), m, cfg)
            moe_losses += [aux, zl]
            x = x + y.reshape(B, S, D)
            # The top-k choice must not hinge on fp32 rounding.
            probs = torch.softmax(cin.reshape(B * S, D) @ m["wg"], -1).sort(-1, descending=True).values
            margin = float((probs[:, c["k"] - 1] - probs[:, c["k"]]).min())
            assert not check_margin or margin > 1e-4, f"top-k margin {margin}"
        else:
            h = F.gelu(cin @ p[pre + "mlp/fc1/w"] + p[pre + "mlp/fc1/b"])
            x = x + h @ p[pre + "mlp/fc2/w"] + p[pre + "mlp/fc2/b"]
    xf = layer_norm(x, p["ln_f/gamma"], p["ln_f/beta"])
    logits = xf @ p["wte"].T
    return logits, moe_losses


def make_params(g, c):
    D, V, S, Fh, E, H, Hh = c["D"], c["V"], c["S"], c["F"], c["E"], c["H"], c["heads"]
    dt = torch.float64
    r = lambda *shape, s=1.0: s * torch.randn(*shape, generator=g, dtype=dt)
    p = {"wte": r(V, D, s=0.3), "wpe": r(S, D, s=0.3)}
    for l in range(c["layers"]):
        pre = f"blocks/{l}/"
        # LayerNorm parameters drawn away from (1, 0) so that their gradients are tested.
        p[pre + "ln1/gamma"], p[pre + "ln1/beta"] = 1 + r(D, s=0.1), r(D, s=0.1)
        p[pre + "attn/qkv/w"] = r(D, 3, Hh, D // Hh, s=1 / math.sqrt(D))
        p[pre + "attn/qkv/b"] = r(3, Hh, D // Hh, s=0.1)
        p[pre + "attn/proj/w"], p[pre + "attn/proj/b"] = r(D, D, s=1 / math.sqrt(D)), r(D, s=0.1)
        p[pre + "ln2/gamma"], p[pre + "ln2/beta"] = 1 + r(D, s=0.1), r(D, s=0.1)
        if (l + 1) % c["moe_every"] == 0:
            p[pre + "moe/gate"] = r(D, E, s=1 / math.sqrt(D))
            p[pre + "moe/w1"], p[pre + "moe/b1"] = r(E, D, H, s=1 / math.sqrt(D)), r(E, H, s=0.1)
            p[pre + "moe/w2"], p[pre + "moe/b2"] = r(E, H, D, s=1 / math.sqrt(H)), r(E, D, s=0.1)
        else:
            p[pre + "mlp/fc1/w"], p[pre + "mlp/fc1/b"] = r(D, Fh, s=1 / math.sqrt(D)), r(Fh, s=0.1)
            p[pre + "mlp/fc2/w"], p[pre + "mlp/fc2/b"] = r(Fh, D, s=1 / math.sqrt(Fh)), r(D, s=0.1)
    p["ln_f/gamma"], p["ln_f/beta"] = 1 + r(D, s=0.1), r(D, s=0.1)
    return p


def decayed(name):
    return name.endswith("/w") or name.split("/")[-1] in ("w1", "w2", "w3", "gate")


def train_step(p, loss, c):
    """Backward, global-norm clipping at half the norm (so the test covers it) and one
    AdamW step, in place on p; returns the gradients, the norm and the clip."""
    loss.backward()
    grads = {n: t.grad.detach().clone() for n, t in p.items()}
    total = torch.sqrt(sum((gr ** 2).sum() for gr in grads.values()))
    clip = 0.5 * float(total)
    norm = torch.nn.utils.clip_grad_norm_(list(p.values()), clip)
    opt = torch.optim.AdamW(
        [{"params": [t for n, t in p.items() if decayed(n)], "weight_decay": c["wd"]},
         {"params": [t for n, t in p.items() if not decayed(n)], "weight_decay": 0.0}],
        lr=c["lr"], betas=c["betas"], eps=c["eps"])
    opt.step()
    return grads, norm, clip


def make_case(kind, seed):
    c = CFG
    B, S, V = c["B"], c["S"], c["V"]
    for attempt in range(50):
        g = torch.Generator().manual_seed(seed + 1000 * attempt)
        p = make_params(g, c)
        valid = None
        if kind == "gpt":
            stream = torch.randint(0, V, (B, S + 1), generator=g)
            tokens, targets = stream[:, :S].clone(), stream[:, 1:].clone()
        else:  # bert: pad = V-2, mask = V-1; sequence 1 padded after 5 tokens
            pad, mask_tok = V - 2, V - 1
            tokens = torch.randint(0, V - 2, (B, S), generator=g)
            valid = torch.ones(B, S, dtype=torch.int64)
            valid[1, 5:] = 0
            tokens[1, 5:] = pad
            picked = (torch.rand(B, S, generator=g) < 0.4) & valid.bool()
            picked[:, 0] = True
            targets = torch.where(picked, tokens, torch.full_like(tokens, -1))
            u = torch.rand(B, S, generator=g)
            rnd = torch.randint(0, V - 2, (B, S), generator=g)
            tokens = torch.where(picked & (u < 0.8), torch.full_like(tokens, mask_tok), tokens)
            tokens = torch.where(picked & (u >= 0.8) & (u < 0.9), rnd, tokens)
        try:
            for t in p.values():
                t.requires_grad_(True)
            logits, moe_losses = model_forward(p, tokens, valid, kind == "gpt", c)
            break
        except AssertionError:
            continue
    else:
        raise RuntimeError(f"{kind}: no draw with a safe top-k margin")

    ce = F.cross_entropy(logits.reshape(B * S, V), targets.reshape(B * S), ignore_index=-1)
    grads, norm, clip = train_step(p, ce + sum(moe_losses), c)

    tensors = {"tokens": tokens.double(), "targets": targets.double(), "logits": logits.reshape(B * S, V),
               "ce_loss": ce.reshape(1), "moe_loss": sum(moe_losses).reshape(1), "grad_norm": norm.reshape(1)}
    if valid is not None:
        tensors["key_valid"] = valid.double()
    # Initial values: re-draw (the optimizer updated p in place).
    g0 = torch.Generator().manual_seed(seed + 1000 * attempt)
    p0 = make_params(g0, c)
    for n in p:
        tensors["init/" + n] = p0[n]
        tensors["grad/" + n] = grads[n]
        tensors["updated/" + n] = p[n].detach()
    write_bin(HERE / f"model_{kind}.bin", tensors)
    toml = [
        f"# golden model step {kind}: generated by make_model_fixtures.py (seed {seed})",
        "[model]", f'type = "{kind}"', f"vocab_size = {V}", f"seq_len = {S}", f"heads = {c['heads']}",
        f"d_ffn = {c['F']}", f"moe_every = {c['moe_every']}", f"pad_token = {V - 2}", f"mask_token = {V - 1}",
        "", "[moe]", f"d_model = {c['D']}", f"d_hidden = {c['H']}", f"num_experts = {c['E']}",
        f"top_k = {c['k']}", 'activation = "gelu"', "capacity_factor = 0.0", "renormalize = true",
        f"aux_loss_coef = {c['aux']}", f"z_loss_coef = {c['z']}", "",
        "[data]", 'train = "unused"', "",
        "[train]", f"layers = {c['layers']}", f"tokens_per_step = {B * S}", f"lr = {c['lr']}",
        f"weight_decay = {c['wd']}", f"beta1 = {c['betas'][0]}", f"beta2 = {c['betas'][1]}",
        f"adam_eps = {c['eps']}", f"grad_clip = {clip!r}", "",
    ]
    (HERE / f"model_{kind}.toml").write_text("\n".join(toml))
    print(f"model_{kind}: loss {float(ce):.6f} + moe {float(sum(moe_losses)):.6f}, "
          f"grad norm {float(norm):.4f} (clipped to {clip:.4f}), attempt {attempt}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    make_case("gpt", 21)
    make_case("bert", 22)
