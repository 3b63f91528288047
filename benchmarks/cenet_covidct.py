"""Train cenet-xception and its ablations on COVID-CT and measure retrieval P@k / R@k (k = 1..50).

Split: the official UCSD train images are split by patient into fit-train and fit-validation
(15 % of patients, seeded); the official val images (118, disjoint patients) are the test set.
Test retrieval is leave-one-out inside the test set (each test image queries the 117 others),
as the paper queried an index of unseen COVID-CT images; `_other_patient` rows also drop the
query's own patient from its candidates. Every embedding reduction (none / pool / pca, each with
raw or L2-normalised parts) is scored from the same activation maps. `cenet`, when run after
`cenet-xception`, is the ensemble's stage 1 rather than a second identical training. Writes
<out>/results.json and the checkpoints after each encoder.

    PYTHONPATH=. OMP_NUM_THREADS=1 .venv/bin/python benchmarks/cenet_covidct.py --epochs 5 --out /tmp/cenet_bench
    PYTHONPATH=. .venv/bin/python benchmarks/cenet_covidct.py --from-checkpoints /tmp/cenet_bench --out /tmp/rescored
"""
from __future__ import annotations

import argparse
import csv
import dataclasses
import itertools
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from embeddings.encoders.base import TrainingData, TrainingOptions
from embeddings.encoders.cenet_common import MapReducer
from embeddings.encoders.registry import get_encoder_class
from embeddings.management.commands.train_encoder import parse_extra_options

ENCODERS = ("cenet-xception", "cenet", "xception", "unet-me", "unet-ml")
KS = list(range(1, 51))
TINY = {"widths": [4, 8, 8, 8], "depths": [1, 1, 1, 1], "middle_repeats": 1, "entry_widths": [4, 4, 8, 8, 8],
        "exit_widths": [8, 8], "base_width": 4, "pca_dim": 8}


def load_covid_ct(root: Path, limit: int | None) -> dict[str, list]:
    with open(root / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if limit:
        rows = rows[::max(1, len(rows) // limit)]
    images = [np.asarray(Image.open(root / row["file"]).convert("L")) for row in rows]
    return {"images": images, "labels": [row["label"] for row in rows], "groups": [row["patient_id"] for row in rows],
            "split": [row["official_split"] for row in rows]}


def split_data(data: dict, seed: int) -> tuple[TrainingData, TrainingData, TrainingData]:
    official_train = [i for i, split in enumerate(data["split"]) if split == "train"]
    patients = sorted({data["groups"][i] for i in official_train})
    rng = np.random.default_rng(seed)
    held = set(rng.choice(patients, size=max(1, int(0.15 * len(patients))), replace=False))
    fit_train = [i for i in official_train if data["groups"][i] not in held]
    fit_validation = [i for i in official_train if data["groups"][i] in held]
    test = [i for i, split in enumerate(data["split"]) if split == "val"]
    return tuple(subset(data, indices) for indices in (fit_train, fit_validation, test))


def subset(data: dict, indices: list[int]) -> TrainingData:
    return TrainingData(images=[data["images"][i] for i in indices], labels=[data["labels"][i] for i in indices],
                        groups=[data["groups"][i] for i in indices])


def retrieval_curves(vectors: np.ndarray, labels: list[str], groups: list[str], *, other_patient: bool) -> dict:
    """Leave-one-out P@k and R@k (k = 1..50), overall and per query class."""
    squared = (vectors.astype(np.float64) ** 2).sum(axis=1)
    distances = squared[:, None] + squared[None, :] - 2 * vectors.astype(np.float64) @ vectors.T.astype(np.float64)
    labels_array, groups_array = np.asarray(labels), np.asarray(groups)
    excluded = np.eye(len(labels), dtype=bool)
    if other_patient:
        excluded |= groups_array[:, None] == groups_array[None, :]
    distances[excluded] = np.inf
    k_max = min(max(KS), len(labels) - 1)
    order = np.argsort(distances, axis=1, kind="stable")[:, :k_max]
    is_candidate = np.isfinite(np.take_along_axis(distances, order, axis=1))
    relevant = (labels_array[order] == labels_array[:, None]) & is_candidate  # (n, k_max)
    relevant_total = ((labels_array[:, None] == labels_array[None, :]) & ~excluded).sum(axis=1)
    hits = np.cumsum(relevant, axis=1)
    precision = hits / np.arange(1, k_max + 1)
    recall = hits / np.maximum(relevant_total, 1)[:, None]
    curves = {"overall": {"precision": precision.mean(0).tolist(), "recall": recall.mean(0).tolist()}}
    for label in sorted(set(labels)):
        rows = labels_array == label
        curves[label] = {"precision": precision[rows].mean(0).tolist(), "recall": recall[rows].mean(0).tolist()}
    return curves


def score_reductions(encoder, train: TrainingData, test: TrainingData, pca_dim: int) -> dict:
    """Every reduction, with raw parts (the paper's concatenation) and L2-normalised parts (+norm)."""
    train_maps, test_maps = encoder.maps_of_images(train.images), encoder.maps_of_images(test.images)
    scores = {}
    for method, normalize_parts in itertools.product(("none", "pool", "pca"), (False, True)):
        reducer = MapReducer(method, pca_dim, normalize_parts=normalize_parts)
        reducer.fit(train_maps)
        vectors = reducer.reduce(test_maps)
        scores[method + ("+norm" if normalize_parts else "")] = {"dim": int(vectors.shape[1]),
                          "curves": retrieval_curves(vectors, test.labels, test.groups, other_patient=False),
                          "curves_other_patient": retrieval_curves(vectors, test.labels, test.groups,
                                                                   other_patient=True)}
    return scores


def cenet_from_ensemble(ensemble, ensemble_history: list[dict]):
    """The `cenet` ablation is stage 1 of the ensemble (same class, seed, data and epochs)."""
    config = {key: ensemble.config()[key] for key in ("size", "reduction", "pca_dim", "normalize_parts", "widths",
                                                      "depths", "mask_method")}
    cenet = get_encoder_class("cenet")(**config)
    cenet.networks["cenet"].load_state_dict(ensemble.networks["cenet"].state_dict())
    return cenet, [entry for entry in ensemble_history if entry["stage"] == "segmentation"]


def obtain_encoder(name: str, args, options: TrainingOptions, data: tuple, done: dict) -> dict:
    """Train `name` (or load it from --from-checkpoints); -> encoder, history, validation mAP, seconds."""
    started = time.perf_counter()
    if args.from_checkpoints is not None:
        earlier = json.loads((args.from_checkpoints / "results.json").read_text())["encoders"][name]
        return {"encoder": get_encoder_class(name).load(args.from_checkpoints / name), "history": earlier["history"],
                "validation_map": earlier.get("fit_validation_map"), "seconds": earlier["train_seconds"]}
    if name == "cenet" and "cenet-xception" in done:
        encoder, history = cenet_from_ensemble(done["cenet-xception"]["encoder"], done["cenet-xception"]["history"])
        return {"encoder": encoder, "history": history, "validation_map": None,
                "seconds": sum(entry["seconds"] for entry in history)}
    extra = options.extra | ({"exit_widths": [8, 8, 8]} if args.tiny and name == "xception" else {})
    fitted = get_encoder_class(name).fit(*data, dataclasses.replace(options, extra=extra),
                                         progress=lambda epoch, metrics: print(name, epoch, metrics, flush=True))
    return {"encoder": fitted.encoder, "history": fitted.history, "validation_map": fitted.validation_metric,
            "seconds": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=Path("../shared/datasets/covid_ct"))
    parser.add_argument("--encoders", nargs="+", default=list(ENCODERS), choices=ENCODERS)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--img-size", type=int, default=128)
    parser.add_argument("--patience", type=int, default=5, help="early stopping within each stage")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--pca-dim", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="use about this many images (smoke runs)")
    parser.add_argument("--tiny", action="store_true", help="tiny networks (smoke runs)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/cenet_bench"))
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="encoder setting as in train_encoder, e.g. classification_epochs=30")
    parser.add_argument("--from-checkpoints", type=Path, default=None,
                        help="score encoders saved by an earlier run in this folder instead of training them")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    train, validation, test = split_data(load_covid_ct(args.dataset, args.limit), args.seed)
    extra = (TINY if args.tiny else {}) | {"pca_dim": args.pca_dim} | parse_extra_options(args.option)
    options = TrainingOptions(epochs=args.epochs, img_size=args.img_size, batch_size=args.batch_size,
                              seed=args.seed, patience=args.patience, device="cpu", extra=extra)
    results = {"command_args": {k: str(v) for k, v in vars(args).items()}, "torch_threads": torch.get_num_threads(),
               "sizes": {"fit_train": len(train.labels), "fit_validation": len(validation.labels),
                         "test": len(test.labels)}, "encoders": {}}
    done = {}
    for name in args.encoders:
        done[name] = obtained = obtain_encoder(name, args, options, (train, validation), done)
        encoder = obtained["encoder"]
        if args.from_checkpoints is None:
            encoder.save(args.out / name)
        results["encoders"][name] = {
            "train_seconds": obtained["seconds"], "fit_validation_map": obtained["validation_map"],
            "history": obtained["history"], "full_dim": encoder.full_dim, "config": encoder.config(),
            "reductions": score_reductions(encoder, train, test, args.pca_dim),
        }
        (args.out / "results.json").write_text(json.dumps(results, indent=1, default=str))
        print(name, "done in", round(obtained["seconds"]), "s", flush=True)

if __name__ == "__main__":
    main()
