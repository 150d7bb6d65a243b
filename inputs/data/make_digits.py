#!/usr/bin/env python3
"""Writes the small real image set of the swin model's convergence test:
scikit-learn's handwritten digits (1797 images, 8x8 gray, 10 classes; the UCI
optical-recognition set shipped inside Debian's python3-sklearn, no download).

Usage: /usr/bin/python3 inputs/data/make_digits.py [OUTDIR]   (default data/digits;
idempotent: existing files are kept)

It writes, in OUTDIR:
  train.npz, val.npz  - arrays 'images' uint8 [N, 8, 8] and 'labels' int64 [N],
                        the input `paramoe data images` reads;
  train.imgs, val.imgs - the same as image shards (lib/data/image_file.h), written
                        here so that a config can train right after setup; the tests
                        check that `paramoe data images` makes the same bytes.
Pixels 0..16 are scaled to 0..255. The split is fixed: a seeded shuffle, the last
297 images for validation.
"""
import pathlib
import sys

import numpy as np
from sklearn.datasets import load_digits

MAGIC, VERSION = 20241102, 1


def write_shard(path, images, labels, classes):
    n, h, w = images.shape[:3]
    c = images.shape[3] if images.ndim == 4 else 1
    header = np.zeros(256, dtype="<i4")
    header[:7] = [MAGIC, VERSION, n, h, w, c, classes]
    with open(path, "wb") as f:
        f.write(header.tobytes())
        f.write(labels.astype("<i4").tobytes())
        f.write(np.ascontiguousarray(images, dtype=np.uint8).tobytes())


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "data" / "digits"
    if all((out / f).exists() for f in ("train.npz", "val.npz", "train.imgs", "val.imgs")):
        print(f"digits: {out} present")
        return
    out.mkdir(parents=True, exist_ok=True)
    d = load_digits()
    images = np.rint(d.images * (255.0 / 16.0)).astype(np.uint8)  # [1797, 8, 8]
    labels = d.target.astype(np.int64)
    order = np.random.RandomState(0).permutation(len(labels))
    images, labels = images[order], labels[order]
    held = 297
    for name, sl in (("train", slice(0, -held)), ("val", slice(-held, None))):
        np.savez(out / f"{name}.npz", images=images[sl], labels=labels[sl])
        write_shard(out / f"{name}.imgs", images[sl], labels[sl], 10)
    print(f"digits: wrote {out} ({len(labels) - held} train, {held} val images of 8x8)")


if __name__ == "__main__":
    main()
