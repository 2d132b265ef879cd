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
train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, plain or .gz), as
`vae pack` writes them; colour IDX files hold count x channels x height x width bytes, and a
classes.json beside them names the classes. Or folder:DIR, an image folder read with PIL
(Debian python3-pil) as `vae train --dataset folder:DIR` reads it: sorted class sub-folders,
PNG/JPEG/WebP, the model's channels (colour over white, grey by luminance), brought to the
model's size by --fit (default: the export's, else crop) with area averaging, and split by
--split-seed and --test-fraction (defaults: the export's, else 1 and 0.1) with the toolkit's
own generator, so both sides test on the same images. PNG and WebP give our bytes within one
level; JPEGs can differ by several (libjpeg's chroma decoding is not the toolkit's), so pack
a folder of JPEGs with `vae pack` and train on idx:DIR.

Debian 12's torchrun (PyTorch 1.13 on Python 3.11) cannot parse its own default --redirects
and --tee ("0": Python 3.11's enum.Flag no longer lists the empty flag); naming a rank that
does not exist leaves every real one alone: torchrun --redirects 9:0 --tee 9:0 ...
"""
import argparse
import gzip
import json
import math
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
    "[--fit crop|pad|stretch --split-seed S --test-fraction F] (data: idx:DIR or folder:DIR)"
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


# ---- Image folders, prepared as src/data/folder.ts prepares them ----

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")
# Channels this close still count as grey (a grey picture saved through a colour pipeline).
GREY_TOLERANCE = 2
FITS = ("crop", "pad", "stretch")


class Xoshiro128:
    """xoshiro128** seeded by splitmix32: src/engine/random.ts, word for word, so a seed gives
    the same train/test split on both sides."""

    def __init__(self, seed):
        s = seed & 0xFFFFFFFF
        words = []
        for _ in range(4):
            s = (s + 0x9E3779B9) & 0xFFFFFFFF
            z = s
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & 0xFFFFFFFF
            words.append((z ^ (z >> 16)) & 0xFFFFFFFF)
        self.s = words

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (32 - k))) & 0xFFFFFFFF

    def next_uint32(self):
        s0, s1, s2, s3 = self.s
        result = (self._rotl((s1 * 5) & 0xFFFFFFFF, 7) * 9) & 0xFFFFFFFF
        t = (s1 << 9) & 0xFFFFFFFF
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = self._rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def int(self, n):
        limit = 0x100000000 - (0x100000000 % n)
        while True:
            x = self.next_uint32()
            if x < limit:
                return x % n

    def permutation(self, n):
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.int(i + 1)
            p[i], p[j] = p[j], p[i]
        return p


def fit_region(w, h, th, tw, fit):
    """(x0, y0, width, height) of a w x h picture that maps onto th x tw: folder.ts's fitRegion."""
    if fit == "stretch" or w * th == h * tw:
        return 0.0, 0.0, float(w), float(h)
    wider = w * th > h * tw
    if wider == (fit == "crop"):
        width = (h * tw) / th
        return (w - width) / 2, 0.0, width, float(h)
    height = (w * th) / tw
    return 0.0, (h - height) / 2, float(w), height


def _area_weights(n_out, start, span, n_in):
    """Row o: each input pixel's overlap with output pixel o's footprint, over the footprint's
    length; the parts outside the picture weigh nothing (they count as 0)."""
    step = span / n_out
    weights = torch.zeros((n_out, n_in), dtype=torch.float64)
    for o in range(n_out):
        a = start + o * step
        b = a + step
        for i in range(max(0, math.floor(a)), min(n_in, math.ceil(b))):
            weights[o, i] = min(b, i + 1) - max(a, i)
    return weights / step


def area_resample(plane, region, th, tw):
    """Area averaging of `region` of an H x W float plane to th x tw, as folder.ts's
    resampleRegion (separable: the footprint is a rectangle). PIL's BOX filter is not used: it
    weighs whole input pixels by whether their centres fall in the footprint, not by overlap,
    and at fractional scales differs from area averaging by several grey levels."""
    x0, y0, width, height = region
    h, w = plane.shape
    rows = _area_weights(th, y0, height, h)
    cols = _area_weights(tw, x0, width, w)
    return (rows @ plane.double() @ cols.T).float()


def _to_bytes(plane):
    """[0, 1] floats to bytes, rounding half up like Math.round."""
    return torch.floor(plane.double().clamp(0, 1) * 255 + 0.5).to(torch.uint8)


def _decode(path):
    from PIL import Image, UnidentifiedImageError  # noqa: F401 (imported by load_folder first)

    try:
        with Image.open(path) as im:
            im.load()
            rgba = im.convert("RGBA")
    except Exception as err:  # PIL raises many kinds for damaged data
        raise UsageError(f"cannot decode image {path}: {str(err).splitlines()[0] if str(err) else type(err).__name__}")
    w, h = rgba.size
    return torch.frombuffer(bytearray(rgba.tobytes()), dtype=torch.uint8).reshape(h, w, 4), w, h


def _prepare(rgba, w, h, th, tw, fit, channels):
    """One picture at th x tw, in the forms the folder may need (folder.ts's prepare)."""
    alpha_bytes = rgba[..., 3]
    r, g, b = (rgba[..., c].int() for c in range(3))
    seen = alpha_bytes != 0
    colour = bool((seen & (((r - g).abs() > GREY_TOLERANCE) | ((g - b).abs() > GREY_TOLERANCE) | ((r - b).abs() > GREY_TOLERANCE))).any())
    transparent = bool((alpha_bytes != 255).any())
    region = fit_region(w, h, th, tw, fit)
    same = w == tw and h == th and region[2] == w and region[3] == h
    resample = (lambda p: p) if same else (lambda p: area_resample(p, region, th, tw))
    a = alpha_bytes.double() / 255
    covered = transparent or region[0] < 0 or region[1] < 0
    alpha_out = resample(a.float()) if covered else None

    def over(premultiplied, background):
        if alpha_out is None or background == 0:
            return _to_bytes(premultiplied)
        return _to_bytes((premultiplied.double() + background * (1 - alpha_out.double())).float())

    if colour and channels == 3:
        planes = [over(resample(((rgba[..., c].double() / 255) * a).float()), 1) for c in range(3)]
        return {"colour": True, "rgb": torch.stack(planes)}
    rd, gd, bd = (rgba[..., c].double() for c in range(3))
    grey = resample((((0.299 * rd + 0.587 * gd + 0.114 * bd) / 255) * a).float())
    if colour:
        one = over(grey, 1)
        return {"colour": True, "black": one, "white": one}
    black = over(grey, 0)
    return {"colour": False, "black": black, "white": black if alpha_out is None else over(grey, 1)}


def folder_files(folder):
    """[(path, label)] and the class names, as folder.ts lists them: sorted class sub-folders
    (numbered folders labelled by their numbers), or the images in the folder itself."""
    if not os.path.isdir(folder):
        raise UsageError(f"image folder not found: {folder}")
    entries = sorted(os.listdir(folder))
    is_image = lambda name: name.lower().endswith(IMAGE_EXTENSIONS)  # noqa: E731
    class_dirs = [e for e in entries if not e.startswith(".") and os.path.isdir(os.path.join(folder, e))]
    top = [e for e in entries if is_image(e) and not os.path.isdir(os.path.join(folder, e))]
    if class_dirs and top:
        raise UsageError(f"image folder {folder} has both images and class folders; put every image in a class folder, or use no class folders")
    files, names = [], []
    if not class_dirs:
        files = [(os.path.join(folder, f), 0) for f in top]
    else:
        numeric = all(c.isdigit() and c.isascii() and int(c) <= 255 for c in class_dirs)
        ordered = sorted(class_dirs, key=int) if numeric else class_dirs
        if not numeric and len(ordered) > 256:
            raise UsageError(f"image folder {folder} has {len(ordered)} class folders; at most 256 are supported")
        names = [str(i) for i in range(int(ordered[-1]) + 1)] if numeric else ordered
        for i, c in enumerate(ordered):
            label = int(c) if numeric else i
            files += [(os.path.join(folder, c, f), label) for f in sorted(os.listdir(os.path.join(folder, c))) if is_image(f)]
    if len(files) < 2:
        raise UsageError(f"image folder {folder} has {len(files)} PNG/JPEG/WebP image{'' if len(files) == 1 else 's'}; at least 2 are needed (one to train on, one to test)")
    return files, names


def folder_splits(folder, config, fit, seed, fraction):
    """((train pixels, labels), (test pixels, labels), class names, test paths) of an image
    folder at the model's size and channels, split as `vae train --dataset folder:DIR` splits it."""
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        raise UsageError("folder:DIR needs PIL (Debian python3-pil), which this Python lacks; install it, or write the folder as IDX files with vae pack and use idx:DIR")
    files, names = folder_files(folder)
    th, tw = config["imageHeight"], config["imageWidth"]
    channels = 3 if config.get("channels", 1) == 3 else 1
    prepared = []
    for path, _ in files:
        rgba, w, h = _decode(path)
        prepared.append(_prepare(rgba, w, h, th, tw, fit, channels))
    background = "white" if any(p["colour"] for p in prepared) else "black"
    images = torch.stack([p["rgb"] if "rgb" in p else p[background].unsqueeze(0).expand(channels, th, tw) for p in prepared])
    images = images.reshape(len(files), -1).contiguous()
    labels = torch.tensor([label for _, label in files], dtype=torch.uint8)
    order = Xoshiro128(seed).permutation(len(files))
    test_count = min(len(files) - 1, max(1, math.floor(len(files) * fraction + 0.5)))
    test, train = torch.tensor(order[:test_count]), torch.tensor(order[test_count:])
    return (images[train], labels[train]), (images[test], labels[test]), names, [files[i][0] for i in order[:test_count]]


def idx_class_names(folder):
    """The class names in DIR/classes.json (a JSON list, as vae pack writes it), or None."""
    path = os.path.join(folder, "classes.json")
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            names = json.load(f)
    except (OSError, ValueError) as err:
        raise UsageError(f"{path}: not a JSON list of class names ({err})")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise UsageError(f"{path}: not a JSON list of class names")
    return names


def load_data(spec, config, args):
    """(train, test, class names or None) of the data spec."""
    def first(split, limit):
        return (split[0][:limit], split[1][:limit]) if limit is not None else split

    if spec.startswith("idx:") and len(spec) > 4:
        folder = spec[4:]
        train = idx_split(folder, "train", args.train_size, config)
        return train, idx_split(folder, "t10k", args.test_size, config), idx_class_names(folder)
    if spec.startswith("folder:") and len(spec) > 7:
        train, test, names, _ = folder_splits(spec[7:], config, args.fit, args.split_seed, args.test_fraction)
        return first(train, args.train_size), first(test, args.test_size), names or None
    raise UsageError(f"unknown data spec {spec!r}; expected idx:DIR or folder:DIR")


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
    p.add_argument("--data", required=True, help="idx:DIR or folder:DIR")
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--out", required=True, help="OUT.safetensors, for vae import")
    p.add_argument("--batch-size", type=int, default=128, help="images per step over all processes (default 128)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--train-size", type=int, help="train on the first N training images")
    p.add_argument("--test-size", type=int, help="evaluate on the first N test images")
    p.add_argument("--eval-samples", type=int, default=16, help="posterior draws per test image (default 16)")
    p.add_argument("--json", action="store_true", help="end with one JSON line of the test numbers")
    p.add_argument("--fit", choices=FITS, help="folder:DIR: how pictures of another shape are fitted (default: the export's, else crop)")
    p.add_argument("--split-seed", type=int, help="folder:DIR: seed of the train/test split (default: the export's, else 1)")
    p.add_argument("--test-fraction", type=float, help="folder:DIR: share held out for testing (default: the export's, else 0.1)")
    args = p.parse_args(argv)
    if args.epochs < 0 or args.batch_size < 1 or not (args.lr > 0) or args.eval_samples < 1:
        raise UsageError("--epochs must be >= 0, --batch-size and --eval-samples >= 1, --lr > 0")
    if args.test_fraction is not None and not (0 < args.test_fraction < 1):
        raise UsageError(f"--test-fraction must be in (0, 1), got {args.test_fraction}")
    if args.split_seed is not None and not (0 <= args.split_seed < 2**32):
        raise UsageError(f"--split-seed must be an integer in [0, 2^32), got {args.split_seed}")
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
    # The split and fit the export's run used, unless the command line says otherwise.
    data_meta = info.get("data", {})
    args.fit = args.fit or data_meta.get("fit", "crop")
    args.split_seed = args.split_seed if args.split_seed is not None else data_meta.get("seed", 1)
    args.test_fraction = args.test_fraction or data_meta.get("testFraction", 0.1)
    (train_x, train_y), (test_x, test_y), names = load_data(args.data, cfg, args)
    classes = vae_torch.classes_of(cfg)
    if classes > 0 and names is not None and len(names) != classes:
        raise UsageError(f"{args.data} has {len(names)} classes ({', '.join(names[:4])}{', ...' if len(names) > 4 else ''}), the conditional model has {classes}")
    if classes > 0 and max(int(train_y.max()), int(test_y.max())) >= classes:
        raise UsageError(f"{args.data} has labels up to {max(int(train_y.max()), int(test_y.max()))}, the conditional model has {classes} classes")
    if info.get("class_names") is None and names is not None and (classes == 0 or len(names) == classes):
        info["class_names"] = names  # the data's names travel back with the weights
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
