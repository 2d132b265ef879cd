"""The toolkit's conv VAE in PyTorch, as a peer to time against: the same network, built by
python/vae_torch.py from the same model config (so layer for layer what `vae train --arch conv`
trains), batch 128, Adam 1e-3, one sample of z per example, on the same 8-bit images.

    /usr/bin/python3 bench/peers/pytorch_conv_vae.py --images FILE --config JSON
        [--epochs N] [--threads T] [--batch-size B] [--seed S]

FILE is an unsigned-byte IDX file of count x channels x height x width images (CHW, as
bench/conv-colour.ts writes it); JSON the toolkit's VaeConfig. The OpenBLAS threads are set
by the environment (OPENBLAS_NUM_THREADS), the intra-op threads by --threads. Prints one line
per epoch and a JSON summary. Uses Debian's python3-torch.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import vae_torch  # noqa: E402
from train_ddp import read_idx  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    config = json.loads(args.config)
    dims, data = read_idx(args.images)
    pixels = torch.frombuffer(bytearray(data), dtype=torch.uint8).reshape(dims[0], -1)
    if pixels.shape[1] != config["inputDim"]:
        raise SystemExit(f"{args.images}: {pixels.shape[1]} values per image, the config says {config['inputDim']}")
    model = vae_torch.build_model(config)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    continuous = vae_torch.is_continuous(config)
    per_epoch, cpu, losses = [], [], []
    for epoch in range(1, args.epochs + 1):
        cpu_start = time.process_time()
        start = time.perf_counter()
        order = torch.randperm(pixels.shape[0])
        total = 0.0
        for i in range(0, pixels.shape[0], args.batch_size):
            x = vae_torch.serve(pixels[order[i : i + args.batch_size]], "none", continuous)
            nelbo, _, _ = model(x)
            loss = nelbo.mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * x.shape[0]
        seconds = time.perf_counter() - start
        per_epoch.append(seconds)
        cpu.append(time.process_time() - cpu_start)
        losses.append(total / pixels.shape[0])
        print(f"epoch {epoch}: {seconds:.2f} s, {pixels.shape[0] / seconds:.0f} samples/s, train NELBO {losses[-1]:.2f}", flush=True)
    print(json.dumps({
        "peer": "pytorch",
        "torch": torch.__version__,
        "threads": args.threads,
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "epochs": args.epochs,
        "seconds_per_epoch": sum(per_epoch) / len(per_epoch),
        "samples_per_sec": pixels.shape[0] * len(per_epoch) / sum(per_epoch),
        "cpu_seconds_per_epoch": sum(cpu) / len(cpu),
        "final_train_nelbo": losses[-1],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
