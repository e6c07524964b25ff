#!/usr/bin/python3
"""The Python PyTorch anchor of `make bench-learn`: the product_intake pack's CNN
trained the way `syllo train` trains it, timed per epoch, as JSON on stdout.

Run it with Debian's /usr/bin/python3 (python3-torch, the LibTorch that Syllo's
learners module links); a python3 earlier on PATH may have no torch.

What is mirrored from Syllo (learners/, learners/module/):
  data      the IDX files, pixels v/255 as float32 (idx_reader.cpp); the train
            file shuffled by Syllo's Fisher-Yates over std::mt19937_64(seed)
            (dataset.cpp, reimplemented below) and the last 10% held out for
            validation; t10k is the test split.
  norm      one mean and deviation over every pixel of the training split,
            summed in double, applied in float32 (normalization.cpp).
  network   torch.manual_seed(seed), then conv3x3/pad1 C1 -> relu -> maxpool2 ->
            conv3x3/pad1 C2 -> relu -> maxpool2 -> flatten -> linear H -> relu ->
            dropout -> linear 10, modules built in the same order (network.cpp),
            so the initial weights are the same (--channels C1,C2 --hidden H, as
            the stored design says: run.py passes them).
  training  Adam, the declared lr and batch, the learning rate set at the start
            of each epoch by the declared schedule over the declared number of
            epochs (--schedule, --schedule-epochs; trainer.cpp's
            EpochLearningRate); each epoch a torch.randperm of the
            training split drawn from a CPU generator seeded with the seed
            (trainer.cpp), batches by index_select, cross-entropy; running loss and
            accuracy kept as tensors; the validation split evaluated in chunks of
            1024 at the end of each epoch, inside the epoch's time, and the best
            epoch's weights snapshotted as Syllo does.
So the data order is the same permutation on the same LibTorch; run.py checks it
by comparing the per-epoch losses with Syllo's.

  /usr/bin/python3 bench/learn/train_torch.py --data /usr/share/datasets/fashion-mnist \
      --epochs 2 --threads 2
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

MASK64 = (1 << 64) - 1


class MT19937_64:
    """std::mt19937_64, bit for bit (checked against the standard's 10000th value)."""

    def __init__(self, seed):
        self.mt = [0] * 312
        self.mt[0] = seed & MASK64
        for i in range(1, 312):
            prev = self.mt[i - 1]
            self.mt[i] = (6364136223846793005 * (prev ^ (prev >> 62)) + i) & MASK64
        self.index = 312

    def _twist(self):
        mt = self.mt
        upper, lower = 0xFFFFFFFF80000000, 0x7FFFFFFF
        for i in range(312):
            x = (mt[i] & upper) | (mt[(i + 1) % 312] & lower)
            xa = x >> 1
            if x & 1:
                xa ^= 0xB5026F5AA96619E9
            mt[i] = mt[(i + 156) % 312] ^ xa
        self.index = 0

    def __call__(self):
        if self.index >= 312:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & MASK64


def syllo_permutation(n, seed):
    """learners/dataset.cpp Permutation(): Fisher-Yates, uniform by rejection."""
    order = list(range(n))
    rng = MT19937_64(seed)
    for i in range(n - 1, 0, -1):
        bound = i + 1
        limit = MASK64 - (MASK64 % bound)
        while True:
            x = rng()
            if x < limit:
                break
        j = x % bound
        order[i], order[j] = order[j], order[i]
    return np.asarray(order, dtype=np.int64)


def read_idx(path, limit=0):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if limit:
        count = min(count, limit)
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        pixels = np.frombuffer(data, dtype=np.uint8, count=count * rows * cols, offset=16)
        scale = (np.arange(256, dtype=np.float64) / 255.0).astype(np.float32)
        return scale[pixels].reshape(count, 1, rows, cols)
    if magic == 0x801:
        return np.frombuffer(data, dtype=np.uint8, count=count, offset=8).astype(np.int64)
    raise SystemExit(f"{path}: not an IDX file (magic {magic:#x})")


def find(directory, stem):
    for name in (stem, stem + ".gz"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    raise SystemExit(f"no IDX file {os.path.join(directory, stem)} (or .gz)")


def normalization(train):
    flat = train.reshape(-1)
    shift = float(flat[0])
    d = flat.astype(np.float64) - shift
    total = float(d.size)
    s, sq = float(d.sum()), float((d * d).sum())
    mean = np.float32(shift + s / total)
    m = s / total
    std = max(0.0, sq / total - m * m) ** 0.5
    return mean, np.float32(std if std >= 1e-12 else 1.0)


def epoch_learning_rate(lr, schedule, epoch, epochs):
    """trainer.cpp's EpochLearningRate (epoch from 0), in double as there."""
    if schedule == "step":
        return lr * 0.1 ** (epoch * 3 // epochs)
    if schedule == "cosine":
        return lr * 0.5 * (1 + math.cos(math.pi * epoch / epochs))
    return lr


class Net(torch.nn.Module):
    def __init__(self, seed, channels=(32, 64), hidden=128, classes=10, dropout=0.25):
        super().__init__()
        torch.manual_seed(seed)
        self.convs = torch.nn.ModuleList()
        c = 1
        for out in channels:
            self.convs.append(torch.nn.Conv2d(c, out, 3, padding=1))
            c = out
        self.fc0 = torch.nn.Linear(c * 7 * 7, hidden)
        self.fc1 = torch.nn.Linear(hidden, classes)
        self.dropout = dropout

    def forward(self, x):
        y = x.view(x.size(0), 1, 28, 28)
        for conv in self.convs:
            y = torch.max_pool2d(torch.relu(conv(y)), 2)
        y = torch.relu(self.fc0(y.flatten(1)))
        if self.dropout > 0:
            y = torch.dropout(y, self.dropout, self.training)
        return self.fc1(y)


def evaluate(net, x, y, chunk=1024):
    with torch.no_grad():
        net.eval()
        loss_sum = torch.zeros((), dtype=torch.float64)
        correct = torch.zeros((), dtype=torch.int64)
        for start in range(0, x.size(0), chunk):
            xb, yb = x[start:start + chunk], y[start:start + chunk]
            logits = net(xb)
            loss_sum += F.cross_entropy(logits, yb, reduction="sum")
            correct += logits.argmax(1).eq(yb).sum()
        net.train()
    n = float(x.size(0))
    return loss_sum.item() / n, correct.item() / n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="at most N examples of each split (as syllo --limit)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--schedule", choices=["constant", "step", "cosine"], default="constant")
    ap.add_argument("--schedule-epochs", type=int, default=0,
                    help="the epochs the schedule spans (Syllo's design epochs; default --epochs)")
    ap.add_argument("--channels", default="32,64", help="the two conv blocks' channels")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--dropout", type=float, default=0.25)
    ap.add_argument("--validation", type=float, default=0.1)
    ap.add_argument("--test-each-epoch", action="store_true",
                    help="also evaluate the test split after each epoch (outside the epoch's time)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(a.threads)
    t0 = time.perf_counter()
    train_x = read_idx(find(a.data, "train-images-idx3-ubyte"), a.limit)
    train_y = read_idx(find(a.data, "train-labels-idx1-ubyte"), a.limit)
    test_x = read_idx(find(a.data, "t10k-images-idx3-ubyte"), a.limit)
    test_y = read_idx(find(a.data, "t10k-labels-idx1-ubyte"), a.limit)
    n = train_x.shape[0]
    order = syllo_permutation(n, a.seed)
    n_val = min(n, int(round(n * a.validation)))  # llround: half away from zero; n*0.1 is never .5 here
    tr, va = order[:n - n_val], order[n - n_val:]
    x_tr, y_tr = train_x[tr].copy(), train_y[tr].copy()
    x_va, y_va = train_x[va].copy(), train_y[va].copy()
    mean, std = normalization(x_tr)
    for arr in (x_tr, x_va, test_x):
        np.subtract(arr, mean, out=arr)
        np.divide(arr, std, out=arr)
    X = torch.from_numpy(x_tr.reshape(x_tr.shape[0], -1))
    Y = torch.from_numpy(y_tr)
    XV = torch.from_numpy(x_va.reshape(x_va.shape[0], -1))
    YV = torch.from_numpy(y_va)
    XT = torch.from_numpy(test_x.reshape(test_x.shape[0], -1).copy())
    YT = torch.from_numpy(test_y.copy())
    prep_seconds = time.perf_counter() - t0

    channels = tuple(int(c) for c in a.channels.split(","))
    net = Net(a.seed, channels=channels, hidden=a.hidden, dropout=a.dropout)
    schedule_epochs = a.schedule_epochs or a.epochs
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    shuffle = torch.Generator().manual_seed(a.seed)
    count = X.size(0)
    batches = (count + a.batch - 1) // a.batch
    net.train()
    epochs = []
    best, best_loss, best_epoch = None, None, 0
    first_order = None
    for epoch in range(1, a.epochs + 1):
        start_t = time.perf_counter()
        for group in opt.param_groups:
            group["lr"] = epoch_learning_rate(a.lr, a.schedule, epoch - 1, schedule_epochs)
        perm = torch.randperm(count, generator=shuffle, dtype=torch.int64)
        if first_order is None:
            first_order = perm[:8].tolist()
        loss_sum = torch.zeros((), dtype=torch.float64)
        correct = torch.zeros((), dtype=torch.int64)
        for b in range(batches):
            s, e = b * a.batch, min(count, (b + 1) * a.batch)
            index = perm[s:e]
            x = X.index_select(0, index)
            y = Y.index_select(0, index)
            opt.zero_grad()
            logits = net(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            opt.step()
            with torch.no_grad():
                loss_sum.add_(loss.detach(), alpha=float(e - s))
                correct.add_(logits.argmax(1).eq(y).sum())
        m = {"epoch": epoch,
             "train_loss": loss_sum.item() / count,
             "train_accuracy": correct.item() / count}
        if XV.size(0) > 0:
            m["validation_loss"], m["validation_accuracy"] = evaluate(net, XV, YV)
            if best is None or m["validation_loss"] < best_loss:
                best = [t.detach().clone() for t in list(net.parameters()) + list(net.buffers())]
                best_loss, best_epoch = m["validation_loss"], epoch
        m["seconds"] = time.perf_counter() - start_t
        if a.test_each_epoch:
            m["test_accuracy"] = evaluate(net, XT, YT)[1]
        epochs.append(m)
        print(f"python epoch {epoch}/{a.epochs}  loss {m['train_loss']:.4f}  acc {m['train_accuracy']:.4f}  "
              f"val_loss {m.get('validation_loss', 0):.4f}  {m['seconds']:.1f}s"
              + (f"  test_acc {m['test_accuracy']:.4f}" if "test_accuracy" in m else ""), file=sys.stderr, flush=True)
    if best is not None:
        with torch.no_grad():
            for t, c in zip(list(net.parameters()) + list(net.buffers()), best):
                t.copy_(c)
    _, test_accuracy = evaluate(net, XT, YT)
    seconds = [m["seconds"] for m in epochs]
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "train_examples": int(count), "validation_examples": int(XV.size(0)), "test_examples": int(XT.size(0)),
        "normalization": {"mean": float(mean), "stddev": float(std)},
        "split_first": [int(i) for i in tr[:8]],
        "epoch1_order_first": first_order,
        "prep_seconds": prep_seconds,
        "epochs": epochs,
        "seconds_per_epoch": sum(seconds) / len(seconds),
        "best_epoch": best_epoch,
        "test_accuracy": test_accuracy,
    }))


if __name__ == "__main__":
    main()
