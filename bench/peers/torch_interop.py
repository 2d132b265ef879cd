"""The classic PyTorch VAE (fc1, fc21, fc22, fc3, fc4) on the other side of `vae export` / `vae import`.

    python3 torch_interop.py write MODEL.safetensors REFERENCE.safetensors [--hidden H --latent L --seed S]
        builds the classic model, takes a few Adam steps on random binary images so the weights
        are not just their initialization, and saves its state dict; REFERENCE holds a batch x
        and the model's outputs on it: mu, logvar and the decoder's logits at z = mu.
    python3 torch_interop.py check MODEL.safetensors INPUT.safetensors OUTPUT.safetensors
        loads a state dict written by `vae export` with strict=True and writes its outputs on
        the batch x found in INPUT.

safetensors is read and written by hand (an 8-byte little-endian header length, a JSON
header, raw little-endian float32 data), so only torch itself is needed.
"""
import argparse
import json
import struct
import sys

import torch
from torch import nn
from torch.nn import functional as F


class VAE(nn.Module):
    def __init__(self, pixels=784, hidden=400, latent=20):
        super().__init__()
        self.fc1 = nn.Linear(pixels, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, pixels)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def decode_logits(self, z):
        return self.fc4(F.relu(self.fc3(z)))

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode_logits(z), mu, logvar


def save_safetensors(path, tensors, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    body = raw[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} is {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(body[begin:end]), dtype=torch.float32)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def write(args):
    torch.manual_seed(args.seed)
    model = VAE(784, args.hidden, args.latent)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(20):
        x = (torch.rand(32, 784) < 0.2).float()
        logits, mu, logvar = model(x)
        bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        opt.zero_grad()
        ((bce + kld) / x.shape[0]).backward()
        opt.step()
    save_safetensors(args.model, model.state_dict(), {"format": "pt"})
    x = torch.rand(8, 784)
    with torch.no_grad():
        mu, logvar = model.encode(x)
        logits = model.decode_logits(mu)
    save_safetensors(args.reference, {"x": x, "mu": mu, "logvar": logvar, "logits": logits})


def check(args):
    state = load_safetensors(args.model)
    hidden, pixels = state["fc1.weight"].shape
    latent = state["fc21.weight"].shape[0]
    model = VAE(pixels, hidden, latent)
    model.load_state_dict(state, strict=True)
    x = load_safetensors(args.input)["x"]
    with torch.no_grad():
        mu, logvar = model.encode(x)
        logits = model.decode_logits(mu)
    save_safetensors(args.output, {"mu": mu, "logvar": logvar, "logits": logits})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("model")
    w.add_argument("reference")
    w.add_argument("--hidden", type=int, default=400)
    w.add_argument("--latent", type=int, default=20)
    w.add_argument("--seed", type=int, default=0)
    c = sub.add_parser("check")
    c.add_argument("model")
    c.add_argument("input")
    c.add_argument("output")
    args = p.parse_args()
    write(args) if args.command == "write" else check(args)


if __name__ == "__main__":
    sys.exit(main())
