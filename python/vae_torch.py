"""The vae-toolkit models as PyTorch modules, in the layout `vae export --format torch-safetensors` writes.

    from vae_torch import load_export
    model, info = load_export("vae.safetensors")      # the module, built from the file's metadata
    x = torch.rand(4, model.config["inputDim"])        # pixels in [0, 1], CHW per image
    nelbo, recon, kl = negative_elbo(model, x)         # nats per example, as `vae eval` reports

Two layouts (the file's metadata `vae_toolkit.layout` says which):

classic  the classic PyTorch VAE example's five layers fc1, fc21, fc22, fc3, fc4, for MLPs of
         its shape (one hidden layer, Bernoulli decoder, not conditional): ClassicVAE.
modules  everything else: VAE, whose state_dict names are
           encoder.convs.{i}    Conv2d 3x3 stride 2 padding 1 (conv models; ReLU after each)
           encoder.layers.{i}   Linear + ReLU on the flattened features (+ one-hot label)
           encoder.mu, encoder.logvar     Linear heads of q(z|x)
           decoder.layers.{i}   Linear + ReLU on z (+ one-hot label); for conv models the last
                                maps to the first transposed conv's input grid
           decoder.deconvs.{i}  ConvTranspose2d 3x3 stride 2 padding 1 output_padding 1
                                (conv models; ReLU between, none after the last)
           decoder.out, decoder.logvar    an MLP decoder's per-pixel parameter heads

The model config (the toolkit's VaeConfig, JSON in metadata `vae_toolkit.model`) decides the
sizes; `vae_toolkit.class_names` holds the class names when the run had them, and
`vae_toolkit.binarize` how the run served pixels ("none" or "dynamic").

The loss is the toolkit's: the negative ELBO with one posterior sample, in nats per example,
    -ELBO(x) = -log p(x|z) + KL(q(z|x) || N(0, I)),  z = mu + exp(logvar / 2) eps,
with the decoder's likelihood per value:
    bernoulli       cross-entropy with the logits (x in [0, 1])
    gaussian        N(x | m, exp(lv)), lv = F + softplus(raw - F), F = log(1/256^2)
    gaussian-fixed  N(x | m, sigma^2)
    logistic        the discretized logistic of 8-bit values k = 255 x (PixelCNN++): mean
                    sigmoid(output), log-scale G + softplus(raw - G), G = log(1/2040)
where a Gaussian's m = sigmoid(output) when the config's gaussianMean is "sigmoid", else the
output.

safetensors files are read and written here (8-byte little-endian header length, JSON header,
raw little-endian data), so only torch itself is needed.
"""
import json
import math
import os
import struct

import torch
from torch import nn
from torch.nn import functional as F

LOG_2PI = math.log(2 * math.pi)
# The soft floor of a learned Gaussian log-variance: one grey level as the standard deviation.
LOGVAR_FLOOR = -2 * math.log(256)
# The soft floor of a logistic log-scale: an eighth of a grey level.
LOG_SCALE_FLOOR = -math.log(8 * 255)
# Half the width of one 8-bit level's bin on the [0, 1] scale.
HALF_BIN = 1 / 510
META_LAYOUT = "vae_toolkit.layout"
META_MODEL = "vae_toolkit.model"
META_CLASS_NAMES = "vae_toolkit.class_names"
META_BINARIZE = "vae_toolkit.binarize"
# How a prepared dataset (an image folder) was made: {"fit", "seed", "testFraction"}; absent for IDX data.
META_DATA = "vae_toolkit.data"

_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16}


# ---------------------------------------------------------------- safetensors


def read_safetensors(path):
    """(tensors by name as float32, metadata dict) of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    body = memoryview(raw)[8 + n :]
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, info in header.items():
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}; this reader takes {', '.join(_DTYPES)}")
        begin, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(info["shape"]).to(torch.float32)
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes float32 tensors in name order, atomically: a reader never sees half a file."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, offset = [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().to("cpu", torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for b in blobs:
                f.write(b)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


# ---------------------------------------------------------------- config


def channels_of(config):
    return config.get("channels") or 1


def conv_channels_of(config):
    return list(config.get("convChannels") or [32, 64])


def classes_of(config):
    return config.get("classes") or 0


def arch_of(config):
    return config.get("arch") or "mlp"


def outputs_per_value(config):
    """Decoder parameters per pixel value: a mean and a (log) scale for the learned-spread likelihoods."""
    return 2 if config["likelihood"] in ("gaussian", "logistic") else 1


def layout_of(config):
    classic = arch_of(config) == "mlp" and len(config["hidden"]) == 1 and config["likelihood"] == "bernoulli" and classes_of(config) == 0
    return "classic" if classic else "modules"


# ---------------------------------------------------------------- modules


class _Elbo:
    def forward(self, x, y=None, eps=None, at_mean=False):
        """(-ELBO, reconstruction, KL) per example for x [N, inputDim] and one-hot labels y; as
        forward, so DistributedDataParallel sees the whole computation."""
        return elbo_terms(self, x, y, eps, at_mean)


class ClassicVAE(_Elbo, nn.Module):
    """The classic PyTorch example's MLP: fc1 -> (fc21, fc22); fc3 -> fc4 (Bernoulli logits)."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        d, h, latent = config["inputDim"], config["hidden"][0], config["latent"]
        self.fc1 = nn.Linear(d, h)
        self.fc21 = nn.Linear(h, latent)
        self.fc22 = nn.Linear(h, latent)
        self.fc3 = nn.Linear(latent, h)
        self.fc4 = nn.Linear(h, d)

    def encode(self, x, y=None):
        h = F.relu(self.fc1(x))
        return self.fc21(h), self.fc22(h)

    def decode_raw(self, z, y=None):
        return self.fc4(F.relu(self.fc3(z))), None


def _with_label(t, y):
    return t if y is None else torch.cat([t, y], dim=1)


class Encoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        c, h, w = channels_of(config), config["imageHeight"], config["imageWidth"]
        if arch_of(config) == "conv":
            stages = conv_channels_of(config)
            ins = [c] + stages[:-1]
            self.convs = nn.ModuleList(nn.Conv2d(i, o, 3, stride=2, padding=1) for i, o in zip(ins, stages))
            shrink = 2 ** len(stages)
            features = stages[-1] * (h // shrink) * (w // shrink)
        else:
            self.convs = nn.ModuleList()
            features = config["inputDim"]
        widths = [features + classes_of(config)] + list(config["hidden"])
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.mu = nn.Linear(widths[-1], config["latent"])
        self.logvar = nn.Linear(widths[-1], config["latent"])

    def forward(self, x, y=None):
        if len(self.convs) > 0:
            cfg = self.config
            h = x.reshape(x.shape[0], channels_of(cfg), cfg["imageHeight"], cfg["imageWidth"])
            for conv in self.convs:
                h = F.relu(conv(h))
            h = h.reshape(x.shape[0], -1)
        else:
            h = x
        h = _with_label(h, y)
        for layer in self.layers:
            h = F.relu(layer(h))
        return self.mu(h), self.logvar(h)


class Decoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        per = outputs_per_value(config)
        c, h, w = channels_of(config), config["imageHeight"], config["imageWidth"]
        start = config["latent"] + classes_of(config)
        mirrored = list(reversed(config["hidden"]))
        if arch_of(config) == "conv":
            stages = conv_channels_of(config)
            shrink = 2 ** len(stages)
            self.grid = (stages[-1], h // shrink, w // shrink)
            widths = [start] + mirrored + [stages[-1] * (h // shrink) * (w // shrink)]
            self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
            outs = list(reversed(stages[:-1])) + [c * per]
            ins = list(reversed(stages))
            self.deconvs = nn.ModuleList(
                nn.ConvTranspose2d(i, o, 3, stride=2, padding=1, output_padding=1) for i, o in zip(ins, outs)
            )
        else:
            widths = [start] + mirrored
            self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
            self.deconvs = nn.ModuleList()
            self.out = nn.Linear(widths[-1], config["inputDim"])
            self.logvar = nn.Linear(widths[-1], config["inputDim"]) if per == 2 else None

    def forward(self, z, y=None):
        """(the first parameter per value, the raw second one or None), each [N, inputDim]."""
        h = _with_label(z, y)
        for layer in self.layers:
            h = F.relu(layer(h))
        if len(self.deconvs) == 0:
            return self.out(h), (None if self.logvar is None else self.logvar(h))
        h = h.reshape(z.shape[0], *self.grid)
        for i, deconv in enumerate(self.deconvs):
            h = deconv(h)
            if i < len(self.deconvs) - 1:
                h = F.relu(h)
        flat = h.reshape(z.shape[0], -1)
        d = self.config["inputDim"]
        if flat.shape[1] == d:
            return flat, None
        # The first C output channels are the means, the next C the second parameter.
        return flat[:, :d], flat[:, d:]


class VAE(_Elbo, nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)

    def encode(self, x, y=None):
        return self.encoder(x, y)

    def decode_raw(self, z, y=None):
        return self.decoder(z, y)


def build_model(config):
    """The module for a toolkit model config, in the layout its export uses."""
    return ClassicVAE(config) if layout_of(config) == "classic" else VAE(config)


# ---------------------------------------------------------------- likelihood and loss


def one_hot(model, labels, count):
    classes = classes_of(model.config)
    if classes == 0:
        return None
    if labels is None:
        raise ValueError(f"this is a conditional VAE over {classes} classes; it needs the labels")
    if labels.numel() != count or int(labels.min()) < 0 or int(labels.max()) >= classes:
        raise ValueError(f"labels must be {count} class numbers in 0..{classes - 1}")
    return F.one_hot(labels.long(), classes).to(torch.float32)


def decoder_distribution(model, z, y=None):
    """(mean or logits, log-variance or log-scale or None) of p(x|z), each [N, inputDim]."""
    cfg = model.config
    out, raw = model.decode_raw(z, y)
    lik = cfg["likelihood"]
    if lik == "bernoulli":
        return out, None
    if lik == "logistic":
        return logistic_parameters(cfg, out, raw)
    mean = torch.sigmoid(out) if cfg.get("gaussianMean") == "sigmoid" else out
    if lik == "gaussian":
        return mean, LOGVAR_FLOOR + F.softplus(raw - LOGVAR_FLOOR)
    if lik == "gaussian-fixed":
        return mean, torch.full_like(mean, 2 * math.log(cfg["sigma"]))
    raise ValueError(f"unknown likelihood {lik}")


def logistic_parameters(cfg, out, raw):
    """The discretized logistic's mean sigmoid(output), in (0, 1) like the data, and its
    log-scale, softly floored at an eighth of a grey level as the toolkit's decoder does."""
    return torch.sigmoid(out), LOG_SCALE_FLOOR + F.softplus(raw - LOG_SCALE_FLOOR)


def logistic_nll(mean, log_scale, x):
    """-log P(k) per example of 8-bit values k = round(255 x), summed over values (PixelCNN++):
    the logistic's mass over k's bin [k/255 - h, k/255 + h], h = 1/510, the edge levels 0 and
    255 taking the tails. sigmoid(a) - sigmoid(b) = sigmoid(a) sigmoid(-b) (1 - exp(-(a - b)))
    keeps every log finite however narrow the bin is against the scale."""
    k = torch.round(x * 255).clamp(0, 255)
    inv = torch.exp(-log_scale)
    centred = k / 255 - mean
    a = (centred + HALF_BIN) * inv
    b = (centred - HALF_BIN) * inv
    zero = torch.zeros_like(a)
    logp = torch.where(k < 255, F.logsigmoid(a), zero) + torch.where(k > 0, F.logsigmoid(-b), zero)
    logp = logp + torch.where((k > 0) & (k < 255), torch.log(-torch.expm1(-2 * HALF_BIN * inv)), zero)
    return -logp.sum(1)


def negative_log_likelihood(model, params, x):
    """-log p(x|z) per example, summed over values, in nats."""
    mean, second = params
    lik = model.config["likelihood"]
    if lik == "bernoulli":
        return F.binary_cross_entropy_with_logits(mean, x, reduction="none").sum(1)
    if lik == "logistic":
        return logistic_nll(mean, second, x)
    return 0.5 * (LOG_2PI + second + (x - mean) ** 2 * torch.exp(-second)).sum(1)


def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) per example."""
    return 0.5 * (mu**2 + torch.exp(logvar) - 1 - logvar).sum(1)


def elbo_terms(model, x, y, eps=None, at_mean=False):
    mu, logvar = model.encode(x, y)
    if at_mean:
        z = mu
    else:
        if eps is None:
            eps = torch.randn_like(mu)
        z = mu + torch.exp(0.5 * logvar) * eps
    recon = negative_log_likelihood(model, decoder_distribution(model, z, y), x)
    kl = gaussian_kl(mu, logvar)
    return recon + kl, recon, kl


def negative_elbo(model, x, labels=None, eps=None, at_mean=False):
    """(-ELBO, reconstruction, KL) per example, in nats: one posterior sample (eps ~ N(0, I) unless
    given), or the posterior mean itself with at_mean, which makes the number deterministic."""
    return elbo_terms(model, x, one_hot(model, labels, x.shape[0]), eps, at_mean)


def decoded_mean(model, z, labels=None):
    """E[x|z] per value: sigmoid of the logits, or the density's mean."""
    y = one_hot(model, labels, z.shape[0])
    mean, _ = decoder_distribution(model, z, y)
    return torch.sigmoid(mean) if model.config["likelihood"] == "bernoulli" else mean


def serve(pixels, binarize, continuous, generator=None):
    """Floats from 8-bit pixels as the toolkit serves them: k/255, Bernoulli draws of it
    ("dynamic"), or (k + u)/256 with u ~ U(0, 1) for a density over continuous values."""
    x = pixels.to(torch.float32) / 255
    if binarize == "dynamic":
        return (torch.rand(x.shape, generator=generator) < x).to(torch.float32)
    if continuous:
        return (pixels.to(torch.float32) + torch.rand(x.shape, generator=generator)) / 256
    return x


def is_continuous(config):
    """Whether pixels are dequantized for the likelihood (a density); logistic models the 8-bit values themselves."""
    return config["likelihood"] in ("gaussian", "gaussian-fixed")


# ---------------------------------------------------------------- files


def load_export(path):
    """(module with the file's weights, info) for a file from `vae export` or train_ddp.py. A classic
    example's file without metadata is sized from its shapes (square grey images)."""
    tensors, meta = read_safetensors(path)
    if META_MODEL in meta:
        config = json.loads(meta[META_MODEL])
    else:
        if "fc1.weight" not in tensors:
            raise ValueError(f"{path}: no model config in its metadata and not the classic example's layout")
        hidden, pixels = tensors["fc1.weight"].shape
        side = int(round(math.sqrt(pixels)))
        h, w = (side, side) if side * side == pixels else (1, pixels)
        config = {"inputDim": pixels, "imageHeight": h, "imageWidth": w, "hidden": [hidden],
                  "latent": tensors["fc21.weight"].shape[0], "likelihood": "bernoulli"}
    model = build_model(config)
    model.load_state_dict(tensors, strict=True)
    info = {
        "config": config,
        "layout": layout_of(config),
        "class_names": json.loads(meta[META_CLASS_NAMES]) if META_CLASS_NAMES in meta else None,
        "binarize": meta.get(META_BINARIZE, "none"),
        "data": json.loads(meta[META_DATA]) if META_DATA in meta else {},
    }
    return model, info


def save_export(path, model, info):
    """The module's weights with the metadata `vae import` reads back (model config, class names)."""
    meta = {"format": "pt", META_LAYOUT: layout_of(model.config), META_MODEL: json.dumps(model.config, separators=(",", ":"))}
    if info.get("class_names"):
        meta[META_CLASS_NAMES] = json.dumps(info["class_names"])
    if info.get("binarize"):
        meta[META_BINARIZE] = info["binarize"]
    if info.get("data"):
        meta[META_DATA] = json.dumps(info["data"], separators=(",", ":"))
    write_safetensors(path, model.state_dict(), meta)


def _forward_command(export, inputs, output):
    """Writes the module's outputs on the batch in INPUT (x, z, and labels for a conditional model):
    mu, logvar, the decoder's two parameters at z (second only when the likelihood has one), and the
    per-example NELBO at the posterior mean. For checking an export against the toolkit's own numbers."""
    model, _ = load_export(export)
    t, _ = read_safetensors(inputs)
    labels = t["labels"].round().long() if "labels" in t else None
    y = one_hot(model, labels, t["x"].shape[0])
    with torch.no_grad():
        mu, logvar = model.encode(t["x"], y)
        first, second = decoder_distribution(model, t["z"], y)
        nelbo = model(t["x"], y, at_mean=True)[0]
    out = {"mu": mu, "logvar": logvar, "first": first, "nelbo_at_mean": nelbo}
    if second is not None:
        out["second"] = second
    write_safetensors(output, out)


if __name__ == "__main__":
    import sys

    args = sys.argv[2:]
    if len(sys.argv) < 2 or sys.argv[1] != "forward" or len(args) == 0 or len(args) % 3 != 0:
        print("usage: python3 vae_torch.py forward EXPORT.safetensors INPUT.safetensors OUTPUT.safetensors [...]", file=sys.stderr)
        sys.exit(2)
    for i in range(0, len(args), 3):
        _forward_command(*args[i : i + 3])
