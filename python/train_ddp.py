"""Train a `vae export` file with PyTorch DistributedDataParallel, on one machine or many.

    torchrun --nproc_per_node=N python/train_ddp.py --init EXPORT.safetensors --data idx:DIR \\
        --epochs E --out OUT.safetensors [--batch-size B] [--lr LR] [--seed S]
        [--train-size N] [--test-size N] [--json]

Every process trains the same model on its share of the training set (DistributedSampler);
DDP averages the gradients, so one step sees --batch-size images over all processes (each
takes its share of them). The backend is nccl when CUDA is available (one GPU per process),
gloo on CPUs. Rank 0 writes OUT atomically in the same layout and metadata as the export
(`vae import --from OUT` reads it back, class names included) and evaluates the test set:
the negative ELBO in nats per example, as `vae eval` computes it. Run without torchrun
(python3 python/train_ddp.py ...), it trains in one process.

Data: idx:DIR, a folder with the MNIST-named IDX files (train-images-idx3-ubyte,
train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, plain or .gz).
Colour IDX files hold count x channels x height x width bytes. Image folders (folder:DIR)
would need an image decoder, and Debian's Python here has no PIL (python3-pil); write the
folder's images as IDX files first.

Debian 12's torchrun (PyTorch 1.13 on Python 3.11) cannot parse its own default --redirects
and --tee ("0": Python 3.11's enum.Flag no longer lists the empty flag); naming a rank that
does not exist leaves every real one alone: torchrun --redirects 9:0 --tee 9:0 ...
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vae_torch  # noqa: E402

USAGE = (
    "torchrun --nproc_per_node=N python/train_ddp.py --init EXPORT.safetensors --data idx:DIR "
    "--epochs E --out OUT.safetensors [--batch-size B --lr LR --seed S --train-size N --test-size N --json] "
    "(data: idx:DIR only; folder:DIR needs PIL, which is not installed)"
)


class UsageError(Exception):
    pass


def read_idx(path):
    """(dims, bytes) of an unsigned-byte IDX file, plain or gzipped."""
    for candidate in (path, path + ".gz"):
        if os.path.exists(candidate):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(candidate, "rb") as f:
                raw = f.read()
            break
    else:
        raise UsageError(f"no such IDX file: {path} (or {path}.gz)")
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise UsageError(f"{path}: not an unsigned-byte IDX file")
    ndims = raw[3]
    dims = list(struct.unpack(">" + "I" * ndims, raw[4 : 4 + 4 * ndims]))
    count = 1
    for d in dims:
        count *= d
    data = raw[4 + 4 * ndims :]
    if len(data) != count:
        raise UsageError(f"{path}: shape {'x'.join(map(str, dims))} needs {count} bytes, found {len(data)}")
    return dims, data


def idx_split(folder, prefix, limit, config):
    dims, data = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte"))
    _, labels = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte"))
    images = torch.frombuffer(bytearray(data), dtype=torch.uint8).reshape(dims)
    if images.dim() == 4 and images.shape[-1] in (1, 3) and images.shape[1] not in (1, 3):
        images = images.permute(0, 3, 1, 2)  # HWC files -> CHW, the toolkit's order
    images = images.reshape(images.shape[0], -1)
    labels = torch.frombuffer(bytearray(labels), dtype=torch.uint8).clone()
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    if images.shape[1] != config["inputDim"]:
        raise UsageError(f"{folder}: {images.shape[1]} values per image, the model takes {config['inputDim']}")
    return images.contiguous(), labels


def load_data(spec, config, train_size, test_size):
    if spec.startswith("idx:") and len(spec) > 4:
        folder = spec[4:]
        return idx_split(folder, "train", train_size, config), idx_split(folder, "t10k", test_size, config)
    if spec.startswith("folder:"):
        raise UsageError("folder:DIR needs PIL (Debian python3-pil), which this Python lacks; use idx:DIR")
    raise UsageError(f"unknown data spec {spec!r}; expected idx:DIR")


def evaluate(model, images, labels, binarize, samples, seed, batch_size=1000):
    """Test NELBO, reconstruction and KL in nats per example, averaged over `samples` posterior
    draws per example (seeded), and the NELBO at the posterior mean (deterministic)."""
    cfg = model.config
    gen = torch.Generator().manual_seed(seed)
    totals = {"nelbo": 0.0, "recon": 0.0, "kl": 0.0, "nelbo_at_mean": 0.0}
    conditional = vae_torch.classes_of(cfg) > 0
    with torch.no_grad():
        for start in range(0, images.shape[0], batch_size):
            pix = images[start : start + batch_size]
            lab = labels[start : start + batch_size] if conditional else None
            for _ in range(samples):
                x = vae_torch.serve(pix, binarize, vae_torch.is_continuous(cfg), gen)
                eps = torch.randn((x.shape[0], cfg["latent"]), generator=gen)
                nelbo, recon, kl = vae_torch.negative_elbo(model, x, lab, eps=eps)
                totals["nelbo"] += float(nelbo.double().sum()) / samples
                totals["recon"] += float(recon.double().sum()) / samples
                totals["kl"] += float(kl.double().sum()) / samples
            # Pixels served deterministically (k/255) for the posterior-mean number when nothing is drawn.
            x = vae_torch.serve(pix, binarize, vae_torch.is_continuous(cfg), gen)
            totals["nelbo_at_mean"] += float(vae_torch.negative_elbo(model, x, lab, at_mean=True)[0].double().sum())
    n = images.shape[0]
    return {k: v / n for k, v in totals.items()}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="train_ddp.py", usage=USAGE, description=__doc__.split("\n\n")[0])
    p.add_argument("--init", required=True, help="a vae export file (the weights to start from)")
    p.add_argument("--data", required=True, help="idx:DIR")
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--out", required=True, help="OUT.safetensors, for vae import")
    p.add_argument("--batch-size", type=int, default=128, help="images per step over all processes (default 128)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--train-size", type=int, help="train on the first N training images")
    p.add_argument("--test-size", type=int, help="evaluate on the first N test images")
    p.add_argument("--eval-samples", type=int, default=16, help="posterior draws per test image (default 16)")
    p.add_argument("--json", action="store_true", help="end with one JSON line of the test numbers")
    args = p.parse_args(argv)
    if args.epochs < 0 or args.batch_size < 1 or not (args.lr > 0) or args.eval_samples < 1:
        raise UsageError("--epochs must be >= 0, --batch-size and --eval-samples >= 1, --lr > 0")
    if not args.out.endswith(".safetensors"):
        raise UsageError(f"--out must name a .safetensors file, got {args.out}")
    return args


def main(argv):
    args = parse_args(argv)
    cuda = torch.cuda.is_available()
    distributed = "WORLD_SIZE" in os.environ
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)

    model, info = vae_torch.load_export(args.init)
    cfg = info["config"]
    (train_x, train_y), (test_x, test_y) = load_data(args.data, cfg, args.train_size, args.test_size)
    model.to(device)
    ddp = DistributedDataParallel(model) if distributed else model
    opt = torch.optim.Adam(ddp.parameters(), lr=args.lr)
    sampler = DistributedSampler(TensorDataset(train_x, train_y), num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    per_process = max(1, args.batch_size // world)
    loader = DataLoader(TensorDataset(train_x, train_y), batch_size=per_process, sampler=sampler)
    gen = torch.Generator().manual_seed(args.seed * 1000 + rank)
    conditional = vae_torch.classes_of(cfg) > 0
    continuous = vae_torch.is_continuous(cfg)
    if rank == 0:
        print(
            f"{world} process{'es' if world > 1 else ''} ({'nccl' if distributed and cuda else 'gloo' if distributed else 'single'}), "
            f"{train_x.shape[0]} train / {test_x.shape[0]} test images, {per_process} a step each",
            flush=True,
        )
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)
        ddp.train()
        began, total, seen = time.time(), 0.0, 0
        for pix, lab in loader:
            x = vae_torch.serve(pix, info["binarize"], continuous, gen).to(device)
            eps = torch.randn((x.shape[0], cfg["latent"]), generator=gen).to(device)
            y = vae_torch.one_hot(model, lab, x.shape[0]).to(device) if conditional else None
            # Through the DDP wrapper's forward, so the gradients are averaged over the processes.
            nelbo, _, _ = ddp(x, y, eps)
            loss = nelbo.mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * x.shape[0]
            seen += x.shape[0]
        if rank == 0:
            print(f"epoch {epoch}: train NELBO {total / max(seen, 1):.2f} nats per example (rank 0's share), {time.time() - began:.1f} s", flush=True)

    if rank == 0:
        model.to("cpu").eval()
        vae_torch.save_export(args.out, model, info)
        ev = evaluate(model, test_x, test_y, info["binarize"], args.eval_samples, args.seed)
        print(
            f"test NELBO {ev['nelbo']:.2f} nats per example (reconstruction {ev['recon']:.2f} + KL {ev['kl']:.2f}; "
            f"{args.eval_samples} draws per image), {ev['nelbo_at_mean']:.2f} at the posterior mean; wrote {args.out}",
            flush=True,
        )
        if args.json:
            print(json.dumps({"test_nelbo": ev["nelbo"], "test_recon": ev["recon"], "test_kl": ev["kl"],
                              "test_nelbo_at_mean": ev["nelbo_at_mean"], "examples": int(test_x.shape[0])}), flush=True)
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except UsageError as err:
        print(f"train_ddp.py: {err}", file=sys.stderr)
        sys.exit(2)
