"""Query-embedding latency of cenet-xception on CPU: one image through CE-Net → RMP → Xception →
reduction, as a new query would go, timed per stage (median and p90 over --runs after warm-up).

    PYTHONPATH=. .venv/bin/python benchmarks/cenet_latency.py --threads 1 --runs 20
    PYTHONPATH=. .venv/bin/python benchmarks/cenet_latency.py --checkpoint /tmp/cenet_bench/cenet-xception

On a shared machine wall time includes waiting for a core; `total_cpu` (process CPU time) with
one thread is what the same work takes on an idle core. Without --checkpoint the default-config
encoder has random weights and a PCA fitted on random maps: the arithmetic, hence the latency,
is the same as a trained one's.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from embeddings.encoders.cenet_common import images_to_tensor
from embeddings.encoders.cenet_xception import CENetXceptionEncoder

DEFAULT_IMAGE = Path("../shared/datasets/covid_ct/images/COVID/2020.01.24.919183-p27-132.png")


def build_encoder(checkpoint: Path | None, size: int) -> CENetXceptionEncoder:
    if checkpoint is not None:
        return CENetXceptionEncoder.load(checkpoint)
    torch.manual_seed(0)
    encoder = CENetXceptionEncoder(size=size)
    rng = np.random.default_rng(0)
    encoder.reducer.fit([rng.standard_normal((encoder.reducer.pca_dim + 1, *shape)).astype(np.float32)
                         for shape in encoder.map_shapes])
    return encoder


def time_stages(encoder: CENetXceptionEncoder, image: np.ndarray) -> dict[str, float]:
    """Wall seconds spent in each stage of embedding one image, plus the process's CPU seconds."""
    cenet, xception = encoder.networks["cenet"], encoder.networks["xception"]
    cpu_start = time.process_time()
    marks = [time.perf_counter()]
    pixels = images_to_tensor([image], encoder.input_spec.size)  # (1, 1, S, S)
    marks.append(time.perf_counter())
    with torch.inference_mode():
        rmp = cenet.encode(pixels)  # (1, 516, S/32, S/32)
        marks.append(time.perf_counter())
        last_map = xception.last_activation_map(rmp)  # same shape
        marks.append(time.perf_counter())
    encoder.reducer.reduce([rmp.numpy(), last_map.numpy()])
    marks.append(time.perf_counter())
    names = ("preprocess", "cenet_rmp", "xception", "reduction")
    stages = {name: end - start for name, start, end in zip(names, marks[:-1], marks[1:])}
    return stages | {"total": marks[-1] - marks[0], "total_cpu": time.process_time() - cpu_start}


def measure(encoder: CENetXceptionEncoder, image: np.ndarray, runs: int, warmup: int) -> dict:
    for network in encoder.networks.values():
        network.eval()
    for _ in range(warmup):
        time_stages(encoder, image)
    samples = [time_stages(encoder, image) for _ in range(runs)]
    summary = {}
    for stage in samples[0]:
        values_ms = np.array([sample[stage] for sample in samples]) * 1000
        summary[stage] = {"median_ms": round(float(np.median(values_ms)), 1),
                          "p90_ms": round(float(np.percentile(values_ms, 90)), 1)}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--threads", type=int, nargs="+", default=[1])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    encoder = build_encoder(args.checkpoint, args.size)
    image = np.asarray(Image.open(args.image).convert("L"))
    report = {"size": encoder.input_spec.size, "dim": encoder.dim, "full_dim": encoder.full_dim,
              "config": encoder.config(), "load_average_before": os.getloadavg(), "by_threads": {}}
    for threads in args.threads:
        torch.set_num_threads(threads)
        report["by_threads"][threads] = measure(encoder, image, args.runs, args.warmup)
    report["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
