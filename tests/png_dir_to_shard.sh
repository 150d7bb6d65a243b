#!/usr/bin/env bash
# png_dir_to_shard.sh PARAMOE WORKDIR: `paramoe data images` on a directory of PNGs
# (one subdirectory per class) gives the same shard as on a .npz of the same images,
# gray and RGB; PNGs of unequal sizes are refused naming the file. The PNGs are
# written here by a minimal encoder (zlib + the PNG chunk layout), independent of
# libpng, which paramoe decodes them with.
set -euo pipefail
bin=$1 work=$2
rm -rf "$work"; mkdir -p "$work"
/usr/bin/python3 - "$work" <<'PY'
import pathlib, struct, sys, zlib
import numpy as np
work = pathlib.Path(sys.argv[1])
def png(path, img):  # img uint8 [H, W] (gray) or [H, W, 3] (RGB)
    h, w = img.shape[:2]
    kind = 0 if img.ndim == 2 else 2
    raw = b"".join(b"\0" + img[y].tobytes() for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, kind, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
rng = np.random.RandomState(5)
for name, shape in (("gray", (6, 5)), ("rgb", (6, 5, 3))):
    images, labels = [], []
    for c, cls in enumerate(["apple", "pear", "plum"]):  # sorted: the labels 0, 1, 2
        d = work / name / cls
        d.mkdir(parents=True)
        for i in range(c + 2):
            img = rng.randint(0, 256, shape).astype(np.uint8)
            png(d / f"{i:03d}.png", img)
            images.append(img); labels.append(c)
    np.savez(work / f"{name}.npz", images=np.stack(images), labels=np.array(labels))
bad = work / "unequal" / "a"
bad.mkdir(parents=True)
png(bad / "0.png", np.zeros((4, 4), np.uint8))
png(bad / "1.png", np.zeros((4, 5), np.uint8))
PY
for kind in "gray 1" "rgb 3"; do
  read -r name ch <<<"$kind"
  "$bin" data images "$work/$name" "$work/$name.png.imgs" --channels "$ch"
  "$bin" data images "$work/$name.npz" "$work/$name.npz.imgs"
  cmp "$work/$name.png.imgs" "$work/$name.npz.imgs" ||
    { echo "FAIL: $name PNGs and .npz give different shards"; exit 1; }
done
if out=$("$bin" data images "$work/unequal" "$work/never.imgs" --channels 1 2>&1); then
  echo "FAIL: PNGs of unequal sizes were accepted"; exit 1
fi
grep -q "unequal/a/1.png: 4x5 pixels, expected 4x4 like the first image" <<<"$out" ||
  { echo "$out"; echo "FAIL: no clear error for unequal PNGs"; exit 1; }
echo "OK: PNG directories (gray, RGB) give the .npz's shards; unequal sizes refused"
