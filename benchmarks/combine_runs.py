"""What separately trained GoogLeNet-GeM-ArcFace networks retrieve alone and as ensembles.

Loads checkpoint folders (var/.../models/googlenet-gem-arcface/VERSION, no database needed),
splits ensemble checkpoints (`--option members=N`) into their member networks, embeds the
reference and query folders once per network, and scores every single network, every
combination of NETWORKS networks (their unit embeddings concatenated, as `members` does) and,
with --flip, each of those with horizontal-flip test-time averaging. Prints Markdown rows and
the median / min / max over the combinations of each size.

    .venv/bin/python benchmarks/combine_runs.py --reference var/benchmarks/splits/brain_tumor_mri-train \\
        --queries var/benchmarks/splits/brain_tumor_mri-test --sizes 1,2 --flip \\
        var/benchmarks/gn-brain-arc-e110*/models/googlenet-gem-arcface/2*
"""
from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings import training  # noqa: E402
from embeddings.datasets import read_labelled_folders  # noqa: E402
from embeddings.encoders.googlenet_gem import GoogLeNetGeMEncoder, MemberEnsemble, unit_rows  # noqa: E402
from embeddings.evaluation import rank_reference, summarize  # noqa: E402


@dataclass
class NetworkVectors:
    name: str
    reference: dict[bool, np.ndarray]  # flipped? -> unit (n, D)
    queries: dict[bool, np.ndarray]


def member_networks(checkpoint: Path) -> list[tuple[str, GoogLeNetGeMEncoder]]:
    """(name, single-network encoder) for the checkpoint, one per member of an ensemble."""
    encoder = GoogLeNetGeMEncoder.load(checkpoint)
    label = checkpoint.parents[2].name
    if not isinstance(encoder.network, MemberEnsemble):
        return [(label, encoder)]
    singles = []
    for index, network in enumerate(encoder.network.members):
        single = GoogLeNetGeMEncoder(**(encoder.config() | {"members": 1}), version=encoder.version)
        single.network = network
        singles.append((f"{label}#{index + 1}", single))
    return singles


def embed_both_ways(encoder: GoogLeNetGeMEncoder, images: list[np.ndarray], flip: bool) -> dict[bool, np.ndarray]:
    squares = encoder.network_pixels(images)
    vectors = {False: unit_rows(training.embed_in_batches(encoder.network, squares, device=torch.device("cpu")))}
    if flip:
        flipped = np.ascontiguousarray(squares[:, :, ::-1])
        vectors[True] = unit_rows(vectors[False] + unit_rows(training.embed_in_batches(encoder.network, flipped,
                                                                             device=torch.device("cpu"))))
    return vectors


def score(queries: np.ndarray, query_labels, reference: np.ndarray, reference_labels) -> tuple[float, float]:
    metrics = summarize(rank_reference(queries, query_labels, reference, reference_labels), (10,))
    return metrics["map"], metrics["precision_at"]["10"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", required=True, nargs="+")
    parser.add_argument("--queries", required=True, nargs="+")
    parser.add_argument("--label-column", default="label")
    parser.add_argument("--sizes", default="1,2", help="ensemble sizes to score, e.g. 1,2,3")
    parser.add_argument("--flip", action="store_true", help="also score horizontal-flip test-time averaging")
    parser.add_argument("checkpoints", nargs="+", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    reference = read_labelled_folders(args.reference, label_column=args.label_column)
    queries = read_labelled_folders(args.queries, label_column=args.label_column).labelled()
    reference_images, query_images = reference.load_pixels(), queries.load_pixels()
    networks = [NetworkVectors(name, embed_both_ways(encoder, reference_images, args.flip),
                               embed_both_ways(encoder, query_images, args.flip))
                for checkpoint in tqdm(args.checkpoints, desc="embed", unit="checkpoint")
                for name, encoder in member_networks(checkpoint)]
    print("| networks | test-time flip | mAP | P@10 |\n|---|---|---|---|")
    spread = {}
    for size in map(int, args.sizes.split(",")):
        for flipped in ([False, True] if args.flip else [False]):
            results = []
            for combination in itertools.combinations(networks, size):
                concatenated = [unit_rows(np.concatenate([getattr(n, part)[flipped] for n in combination], axis=1))
                                for part in ("queries", "reference")]
                result = score(concatenated[0], queries.labels, concatenated[1], reference.labels)
                results.append(result)
                print(f"| {' + '.join(n.name for n in combination)} | {'yes' if flipped else 'no'} | "
                      f"{result[0]:.4f} | {result[1]:.4f} |")
            spread[(size, flipped)] = results
    print("\n| networks per ensemble | test-time flip | combinations | mAP median (min–max) | P@10 median (min–max) |")
    print("|---|---|---|---|---|")
    for (size, flipped), results in spread.items():
        maps, precisions = [r[0] for r in results], [r[1] for r in results]
        print(f"| {size} | {'yes' if flipped else 'no'} | {len(results)} | {statistics.median(maps):.4f} "
              f"({min(maps):.4f}–{max(maps):.4f}) | {statistics.median(precisions):.4f} "
              f"({min(precisions):.4f}–{max(precisions):.4f}) |")


if __name__ == "__main__":
    main()
