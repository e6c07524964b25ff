#!/usr/bin/env python3
"""Writes intake items as JSON lines for `syllo kb import KB item FILE`.

Each item is a photo from the Fashion-MNIST test set (Debian's
dataset-fashion-mnist, which the model never trains on) with a weight, a
declared value and a supplier country drawn from a seeded generator, so the
same command always writes the same file. Pixels are scaled to [0, 1], as
`syllo train --data idx:` scales them.

  python3 packs/product_intake/make_items.py --count 20 --out items.jsonl
  python3 packs/product_intake/make_items.py --count 8 --labels --out new.csv
    (--labels: a CSV of photo features and true labels, for fine-tuning)
"""
import argparse
import gzip
import json
import random
import struct

NAMES = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]
WEIGHT_G = {"tshirt": 180, "trouser": 550, "pullover": 600, "dress": 400, "coat": 1500,
            "sandal": 450, "shirt": 250, "sneaker": 900, "bag": 700, "boot": 1600}
COUNTRIES = ["de", "fr", "it", "pt", "pl", "cn", "vn", "bd", "tr", "in"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return [data[16 + i * rows * cols:16 + (i + 1) * rows * cols] for i in range(count)], (rows, cols)
    if magic == 0x801:
        return list(data[8:8 + count]), None
    raise SystemExit(f"{path}: not an IDX file (magic {magic:#x})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--first", type=int, default=0, help="index of the first test image to use")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--labels", action="store_true", help="write labelled CSV for fine-tuning instead")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    images, (rows, cols) = read_idx(f"{a.dataset}/t10k-images-idx3-ubyte.gz")
    labels, _ = read_idx(f"{a.dataset}/t10k-labels-idx1-ubyte.gz")
    rng = random.Random(a.seed)
    with open(a.out, "w") as out:
        if a.labels:
            out.write(",".join(f"p{i}" for i in range(rows * cols)) + ",label\n")
        for k in range(a.first, a.first + a.count):
            pixels = [round(b / 255.0, 4) for b in images[k]]
            name = NAMES[labels[k]]
            if a.labels:
                out.write(",".join(f"{p:g}" for p in pixels) + f",{name}\n")
                continue
            photo = [pixels[r * cols:(r + 1) * cols] for r in range(rows)]
            item = {
                "id": f"item{k:05d}",
                "photo": photo,
                "weight_g": int(WEIGHT_G[name] * rng.uniform(0.7, 1.3)),
                "value_eur": round(rng.uniform(5, 260), 2),
                "origin": rng.choice(COUNTRIES),
            }
            out.write(json.dumps(item, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
