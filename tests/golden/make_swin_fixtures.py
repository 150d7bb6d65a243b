#!/usr/bin/env python3
"""Golden fixture for one full training step of the Swin-MoE image classifier.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/make_swin_fixtures.py
It rewrites tests/golden/model_swin.toml (the config) and .bin (tensors, in the format
of make_fixtures.py).

The reference follows the Swin Transformer's definition (Liu et al. 2021, and the
official microsoft/Swin-Transformer code it describes) in float64 and shares no code
with paramoe: the patch embedding is a strided conv2d, the shifted windows are
torch.roll and a view/permute partition, the relative-position index and the shift
mask are built as the official code builds them, patch merging slices the map, the
MoE MLP is make_fixtures.moe_reference, the loss is torch's cross_entropy,
gradients come from autograd, clipping is clip_grad_norm_ and the update AdamW
(no weight decay on biases, LayerNorms and the bias tables).

Tensors use paramoe's names and layouts: linear weights are [in, out], the QKV
weight is [d_model, 3, heads, head_dim], the bias table [(2w - 1)^2, heads].
"""
import math
import pathlib

import torch
import torch.nn.functional as F

from make_fixtures import moe_reference, write_bin
from make_model_fixtures import layer_norm, train_step

HERE = pathlib.Path(__file__).resolve().parent

# 16x16 RGB images, 2x2 patches: an 8x8 map in windows of 4 (block 1 shifted by 2),
# merged to 4x4 at twice the width (one window, so no shift). MoE MLPs in block 1 of
# both stages, so one shifted and one unshifted MoE block at two widths.
CFG = dict(B=4, img=16, C_in=3, patch=2, D=16, heads=4, window=4, depths=[2, 2], moe_from=0,
           moe_every=2, F=32, E=4, k=2, H=16, classes=5, aux=0.05, z=0.01, lr=1e-2, wd=0.1,
           betas=(0.9, 0.95), eps=1e-8)


def window_partition(x, w):  # [B, R, R, C] -> [B * nW, w * w, C]
    B, R, _, C = x.shape
    x = x.view(B, R // w, w, R // w, w, C).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, w * w, C)


def window_reverse(win, w, R):  # [B * nW, w * w, C] -> [B, R, R, C]
    C = win.shape[-1]
    B = win.shape[0] // ((R // w) ** 2)
    x = win.view(B, R // w, R // w, w, w, C).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(B, R, R, C)


def relative_position_index(w):
    coords = torch.stack(torch.meshgrid(torch.arange(w), torch.arange(w), indexing="ij"))
    flat = coords.flatten(1)
    rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0).contiguous()
    rel[:, :, 0] += w - 1
    rel[:, :, 1] += w - 1
    rel[:, :, 0] *= 2 * w - 1
    return rel.sum(-1)  # [w*w, w*w]


def shift_mask(R, w, s):
    img = torch.zeros(1, R, R, 1, dtype=torch.float64)  # labels, exact in any precision
    cnt = 0
    for h in (slice(0, -w), slice(-w, -s), slice(-s, None)):
        for v in (slice(0, -w), slice(-w, -s), slice(-s, None)):
            img[:, h, v, :] = cnt
            cnt += 1
    mw = window_partition(img, w).squeeze(-1)  # [nW, w*w]
    m = mw[:, None, :] - mw[:, :, None]
    return m.masked_fill(m != 0, -100.0).masked_fill(m == 0, 0.0)


def stages(c):
    out, l = [], 0
    R0 = c["img"] // c["patch"]
    for s, depth in enumerate(c["depths"]):
        R = R0 >> s
        w = min(c["window"], R)
        blocks = []
        for i in range(depth):
            shift = w // 2 if (i % 2 == 1 and R > w) else 0
            moe = s >= c["moe_from"] and (i + 1) % c["moe_every"] == 0
            blocks.append((l, shift, moe))
            l += 1
        out.append(dict(D=c["D"] << s, heads=c["heads"] << s, R=R, w=w, F=c["F"] << s,
                        H=c["H"] << s, blocks=blocks))
    return out


def model_forward(p, pixels, c, check_margin=True):
    B = pixels.shape[0]
    P, D0 = c["patch"], c["D"]
    img = pixels.permute(0, 3, 1, 2) / 127.5 - 1.0  # NCHW
    wconv = p["patch_embed/proj/w"].T.reshape(D0, c["C_in"], P, P)
    x = F.conv2d(img, wconv, p["patch_embed/proj/b"], stride=P)  # [B, D, R, R]
    x = x.flatten(2).transpose(1, 2)  # [B, R*R, D]
    x = layer_norm(x, p["patch_embed/norm/gamma"], p["patch_embed/norm/beta"])
    moe_losses = []
    st = stages(c)
    for s, g in enumerate(st):
        D, Hh, R, w = g["D"], g["heads"], g["R"], g["w"]
        hd = D // Hh
        L = w * w
        rpi = relative_position_index(w)
        for (l, shift, moe) in g["blocks"]:
            pre = f"blocks/{l}/"
            h = layer_norm(x, p[pre + "ln1/gamma"], p[pre + "ln1/beta"]).view(B, R, R, D)
            if shift:
                h = torch.roll(h, shifts=(-shift, -shift), dims=(1, 2))
            win = window_partition(h, w)  # [Bw, L, D]
            qkv = win @ p[pre + "attn/qkv/w"].reshape(D, 3 * D) + p[pre + "attn/qkv/b"].reshape(3 * D)
            qkv = qkv.reshape(-1, L, 3, Hh, hd).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            attn = (q * hd ** -0.5) @ k.transpose(-2, -1)  # [Bw, heads, L, L]
            rpb = p[pre + "attn/rpb"][rpi.view(-1)].view(L, L, Hh).permute(2, 0, 1)
            attn = attn + rpb[None]
            if shift:
                nW = (R // w) ** 2
                attn = attn.view(-1, nW, Hh, L, L) + shift_mask(R, w, shift).to(attn.dtype)[None, :, None]
                attn = attn.view(-1, Hh, L, L)
            out = (torch.softmax(attn, -1) @ v).transpose(1, 2).reshape(-1, L, D)
            out = out @ p[pre + "attn/proj/w"] + p[pre + "attn/proj/b"]
            out = window_reverse(out, w, R)
            if shift:
                out = torch.roll(out, shifts=(shift, shift), dims=(1, 2))
            x = x + out.reshape(B, R * R, D)
            cin = layer_norm(x, p[pre + "ln2/gamma"], p[pre + "ln2/beta"])
            if moe:
                m = {key: p[pre + "moe/" + name] for key, name in
                     [("wg", "gate"), ("w1", "w1"), ("b1", "b1"), ("w2", "w2"), ("b2", "b2")]}
                cfg = dict(num_experts=c["E"], top_k=c["k"], activation="gelu",
                           capacity_factor=0.0, renormalize=True, aux_loss_coef=c["aux"],
                           z_loss_coef=c["z"])
                y, aux, zl, _, _ = moe_reference(cin.reshape(-1, D), m, cfg)
                moe_losses += [aux, zl]
                x = x + y.reshape(B, R * R, D)
                probs = torch.softmax(cin.reshape(-1, D) @ m["wg"], -1).sort(-1, descending=True).values
                margin = float((probs[:, c["k"] - 1] - probs[:, c["k"]]).min())
                assert not check_margin or margin > 1e-4, f"top-k margin {margin}"
            else:
                hh = F.gelu(cin @ p[pre + "mlp/fc1/w"] + p[pre + "mlp/fc1/b"])
                x = x + hh @ p[pre + "mlp/fc2/w"] + p[pre + "mlp/fc2/b"]
        if s + 1 < len(st):
            xm = x.view(B, R, R, D)
            cat = torch.cat([xm[:, 0::2, 0::2], xm[:, 1::2, 0::2], xm[:, 0::2, 1::2],
                             xm[:, 1::2, 1::2]], -1).view(B, -1, 4 * D)
            cat = layer_norm(cat, p[f"merge/{s}/norm/gamma"], p[f"merge/{s}/norm/beta"])
            x = cat @ p[f"merge/{s}/reduction/w"]
    x = layer_norm(x, p["norm/gamma"], p["norm/beta"])
    logits = x.mean(1) @ p["head/w"] + p["head/b"]
    return logits, moe_losses


def make_params(g, c):
    dt = torch.float64
    r = lambda *shape, s=1.0: s * torch.randn(*shape, generator=g, dtype=dt)
    D0, K = c["D"], c["C_in"] * c["patch"] ** 2
    p = {"patch_embed/proj/w": r(K, D0, s=1 / math.sqrt(K)), "patch_embed/proj/b": r(D0, s=0.1),
         "patch_embed/norm/gamma": 1 + r(D0, s=0.1), "patch_embed/norm/beta": r(D0, s=0.1)}
    st = stages(c)
    for s, gs in enumerate(st):
        D, Hh, w, Fh, E, H = gs["D"], gs["heads"], gs["w"], gs["F"], c["E"], gs["H"]
        for (l, _, moe) in gs["blocks"]:
            pre = f"blocks/{l}/"
            # LayerNorm parameters drawn away from (1, 0) so that their gradients are tested.
            p[pre + "ln1/gamma"], p[pre + "ln1/beta"] = 1 + r(D, s=0.1), r(D, s=0.1)
            p[pre + "attn/qkv/w"] = r(D, 3, Hh, D // Hh, s=1 / math.sqrt(D))
            p[pre + "attn/qkv/b"] = r(3, Hh, D // Hh, s=0.1)
            p[pre + "attn/rpb"] = r((2 * w - 1) ** 2, Hh, s=0.5)
            p[pre + "attn/proj/w"], p[pre + "attn/proj/b"] = r(D, D, s=1 / math.sqrt(D)), r(D, s=0.1)
            p[pre + "ln2/gamma"], p[pre + "ln2/beta"] = 1 + r(D, s=0.1), r(D, s=0.1)
            if moe:
                p[pre + "moe/gate"] = r(D, E, s=1 / math.sqrt(D))
                p[pre + "moe/w1"], p[pre + "moe/b1"] = r(E, D, H, s=1 / math.sqrt(D)), r(E, H, s=0.1)
                p[pre + "moe/w2"], p[pre + "moe/b2"] = r(E, H, D, s=1 / math.sqrt(H)), r(E, D, s=0.1)
            else:
                p[pre + "mlp/fc1/w"], p[pre + "mlp/fc1/b"] = r(D, Fh, s=1 / math.sqrt(D)), r(Fh, s=0.1)
                p[pre + "mlp/fc2/w"], p[pre + "mlp/fc2/b"] = r(Fh, D, s=1 / math.sqrt(Fh)), r(D, s=0.1)
        if s + 1 < len(st):
            p[f"merge/{s}/norm/gamma"] = 1 + r(4 * D, s=0.1)
            p[f"merge/{s}/norm/beta"] = r(4 * D, s=0.1)
            p[f"merge/{s}/reduction/w"] = r(4 * D, 2 * D, s=1 / math.sqrt(4 * D))
    Dl = st[-1]["D"]
    p["norm/gamma"], p["norm/beta"] = 1 + r(Dl, s=0.1), r(Dl, s=0.1)
    p["head/w"], p["head/b"] = r(Dl, c["classes"], s=1 / math.sqrt(Dl)), r(c["classes"], s=0.1)
    return p


def make_case(seed):
    c = CFG
    B = c["B"]
    for attempt in range(50):
        g = torch.Generator().manual_seed(seed + 1000 * attempt)
        p = make_params(g, c)
        pixels = torch.randint(0, 256, (B, c["img"], c["img"], c["C_in"]), generator=g)
        labels = torch.randint(0, c["classes"], (B,), generator=g)
        try:
            for t in p.values():
                t.requires_grad_(True)
            logits, moe_losses = model_forward(p, pixels.double(), c)
            break
        except AssertionError:
            continue
    else:
        raise RuntimeError("swin: no draw with a safe top-k margin")

    ce = F.cross_entropy(logits, labels)
    grads, norm, clip = train_step(p, ce + sum(moe_losses), c)

    tensors = {"pixels": pixels.double(), "labels": labels.double(), "logits": logits,
               "ce_loss": ce.reshape(1), "moe_loss": sum(moe_losses).reshape(1),
               "grad_norm": norm.reshape(1)}
    g0 = torch.Generator().manual_seed(seed + 1000 * attempt)
    p0 = make_params(g0, c)
    for n in p:
        tensors["init/" + n] = p0[n]
        tensors["grad/" + n] = grads[n]
        tensors["updated/" + n] = p[n].detach()
    write_bin(HERE / "model_swin.bin", tensors)
    depths = ", ".join(str(d) for d in c["depths"])
    toml = [
        f"# golden model step swin: generated by make_swin_fixtures.py (seed {seed})",
        "[model]", 'type = "swin"', f"image_size = {c['img']}", f"channels = {c['C_in']}",
        f"patch_size = {c['patch']}", f"window = {c['window']}", f"depths = [{depths}]",
        f"heads = {c['heads']}", f"d_ffn = {c['F']}", f"moe_every = {c['moe_every']}",
        f"moe_from_stage = {c['moe_from']}", f"classes = {c['classes']}",
        "", "[moe]", f"d_model = {c['D']}", f"d_hidden = {c['H']}", f"num_experts = {c['E']}",
        f"top_k = {c['k']}", 'activation = "gelu"', "capacity_factor = 0.0", "renormalize = true",
        f"aux_loss_coef = {c['aux']}", f"z_loss_coef = {c['z']}", "",
        "[data]", 'train = "unused"', "",
        "[train]", f"tokens_per_step = {B * (c['img'] // c['patch']) ** 2}", f"lr = {c['lr']}",
        f"weight_decay = {c['wd']}", f"beta1 = {c['betas'][0]}", f"beta2 = {c['betas'][1]}",
        f"adam_eps = {c['eps']}", f"grad_clip = {clip!r}", "",
    ]
    (HERE / "model_swin.toml").write_text("\n".join(toml))
    print(f"model_swin: loss {float(ce):.6f} + moe {float(sum(moe_losses)):.6f}, "
          f"grad norm {float(norm):.4f} (clipped to {clip:.4f}), attempt {attempt}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    make_case(31)
