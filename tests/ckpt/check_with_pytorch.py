#!/usr/bin/env python3
"""An independent reader of paramoe checkpoints: h5py for the file, PyTorch for the model.

  check_with_pytorch.py CHECKPOINT METRICS_CSV

Reads the parameters, the data position (tokens_seen) and the config from the
checkpoint with h5py; verifies the root attributes' fnv1a64 meta_checksum and every
dataset's mix64sum-v1 checksum in NumPy;
regenerates the synthetic batch of the next step (the counter-based RNG of
lib/core/rng.h and the teacher of lib/data/synthetic_teacher.cpp, re-implemented
here); runs the float64 PyTorch reference of the MoE block stack on the stored
weights (the golden reference, tests/golden/make_fixtures.py); and compares the
loss, aux loss and z loss with the row for step+1 that paramoe wrote to
METRICS_CSV while training on from the same state.
"""
import csv
import math
import pathlib
import sys
import tomllib

import h5py
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "golden"))
from make_fixtures import moe_reference  # noqa: E402

M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix64(x):
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def stream_id(name):
    h = 1469598103934665603
    for c in name.encode():
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return np.uint64(h)


def uniform01(seed, stream, index):
    h = splitmix64(np.uint64(seed) ^ splitmix64(stream ^ splitmix64(index)))
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def normal01(seed, stream, index):
    u1 = np.maximum(uniform01(seed, stream, 2 * index), 1e-300)
    u2 = uniform01(seed, stream, 2 * index + 1)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(6.283185307179586 * u2)


def checksum(values):
    """mix64sum-v1 (lib/ckpt/checksum.h): sum of splitmix64((i * K) ^ bits) mod 2^64."""
    bits = values.astype(np.float32).reshape(-1).view(np.uint32).astype(np.uint64)
    idx = np.arange(bits.size, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return int(splitmix64((idx * np.uint64(0x9E3779B97F4A7C15)) ^ bits).sum(dtype=np.uint64))


def meta_checksum(f):
    """fnv1a64 of checkpoint_meta_text (lib/ckpt/checkpoint_file.h), format version 2."""
    a, lay = f.attrs, f["layout"].attrs
    text = (f"format={a['format'].decode()}\nformat_version={int(a['format_version'])}"
            f"\nstep={int(a['step'])}\ntokens_seen={int(a['tokens_seen'])}"
            f"\nrng_seed={int(a['rng_seed'])}\nrng_counter={int(a['rng_counter'])}"
            f"\nchecksum_algorithm={a['checksum_algorithm'].decode()}"
            f"\nlayout={int(lay['world'])},{int(lay['mp'])},{int(lay['ep'])},{int(lay['esp'])},"
            f"{int(lay['ranks_per_node'])}\nconfig=").encode() + a["config"]
    h = 0xCBF29CE484222325
    for c in text:
        h = ((h ^ c) * 0x100000001B3) % (1 << 64)
    return h


def teacher_batch(seed, D, first_token, T):
    H = 2 * D
    ts = np.uint64((seed ^ 0x5EED) & 0xFFFFFFFFFFFFFFFF)
    i = np.arange(D * H, dtype=np.uint64)
    a = (normal01(ts, stream_id("teacher/a"), i) / math.sqrt(D)).astype(np.float32)
    b = (normal01(ts, stream_id("teacher/b"), i) / math.sqrt(H)).astype(np.float32)
    g = np.arange(first_token * D, (first_token + T) * D, dtype=np.uint64)
    x = normal01(ts, stream_id("teacher/x"), g).astype(np.float32).reshape(T, D)
    x, a, b = (torch.from_numpy(v.astype(np.float64)) for v in (x, a, b))
    target = x + F.gelu(x @ a.reshape(D, H)) @ b.reshape(H, D)
    return x, target


def main():
    ckpt_path, csv_path = sys.argv[1], sys.argv[2]
    with h5py.File(ckpt_path, "r") as f:
        assert f.attrs["format"].decode() == "paramoe-checkpoint", "not a paramoe checkpoint"
        assert int(f.attrs["format_version"]) == 2, "expected format_version 2"
        if meta_checksum(f) != int(f.attrs["meta_checksum"]):
            sys.exit(f"{ckpt_path}: root attributes: meta_checksum mismatch (Python)")
        step, tokens_seen = int(f.attrs["step"]), int(f.attrs["tokens_seen"])
        cfg = tomllib.loads(f.attrs["config"].decode())
        tensors = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                tensors[name] = obj[...]
                stored = int(obj.attrs["checksum"])
                if checksum(tensors[name]) != stored:
                    sys.exit(f"{ckpt_path}: /{name}: checksum mismatch (NumPy)")

        f.visititems(visit)
    print(f"read {len(tensors)} datasets with h5py, all checksums verify; "
          f"step {step}, tokens_seen {tokens_seen}")

    moe, train = cfg.get("moe", {}), cfg.get("train", {})
    D, layers = moe.get("d_model", 64), train.get("layers", 2)
    T, seed = train.get("tokens_per_step", 512), train.get("seed", 1234)
    mcfg = dict(num_experts=moe.get("num_experts", 8), top_k=moe.get("top_k", 2),
                activation=moe.get("activation", "gelu"),
                capacity_factor=moe.get("capacity_factor", 0.0),
                renormalize=moe.get("renormalize", True),
                aux_loss_coef=moe.get("aux_loss_coef", 0.01),
                z_loss_coef=moe.get("z_loss_coef", 0.001))
    x, target = teacher_batch(seed, D, tokens_seen, T)

    def param(name):
        return torch.from_numpy(tensors["params/" + name].astype(np.float64))

    cur, aux_total, z_total = x, 0.0, 0.0
    for layer in range(layers):
        pre = f"layers/{layer}/"
        ln = F.layer_norm(cur, (D,), param(pre + "ln/gamma"), param(pre + "ln/beta"), eps=1e-5)
        p = {"wg": param(pre + "moe/gate")}
        for k in ("w1", "b1", "w3", "b3", "w2", "b2"):
            if "params/" + pre + "moe/" + k in tensors:
                p[k] = param(pre + "moe/" + k)
        y, aux, zloss, _, _ = moe_reference(ln, p, mcfg)
        cur = cur + y
        aux_total += float(aux)
        z_total += float(zloss)
    loss = float(((cur - target) ** 2).mean())

    rows = {int(r["step"]): r for r in csv.DictReader(open(csv_path))}
    if step + 1 not in rows:
        sys.exit(f"{csv_path} has no row for step {step + 1}")
    got = rows[step + 1]
    # paramoe computes in fp32 (sums over D=64 and H=128 terms, then a mean over
    # T*D squared errors); the reference in float64 from the same fp32 weights.
    # Measured agreement is ~1e-7 relative; 1e-5 leaves margin, while a wrong
    # weight slab, data position or routing gives errors of order 1e-2 or more.
    worst = 0.0
    for key, ref in (("loss", loss), ("aux_loss", aux_total), ("z_loss", z_total)):
        rel = abs(float(got[key]) - ref) / abs(ref)
        worst = max(worst, rel)
        print(f"step {step + 1} {key}: paramoe {float(got[key]):.9g}, PyTorch {ref:.9g}, "
              f"rel {rel:.2e}")
        if rel > 1e-5:
            sys.exit(f"FAIL: {key} differs by {rel:.2e} relative (tolerance 1e-5)")
    print(f"OK: the PyTorch reference on the h5py-read weights matches paramoe (worst {worst:.2e})")


if __name__ == "__main__":
    main()
