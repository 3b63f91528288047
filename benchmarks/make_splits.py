"""Write patient-level train/test splits of labelled dataset folders as new labels.csv files.

The shared datasets' own held-out part is kept by the project lead, so benchmarks hold out
a part themselves: OUT/<folder>-train/labels.csv and OUT/<folder>-test/labels.csv list
absolute image paths (no image is copied). Groups come from patient_id, split_group or
dup_group, as in training, so no patient is in both parts.

    .venv/bin/python benchmarks/make_splits.py --out var/benchmarks/splits \
        ../shared/datasets/brain_tumor_mri ../shared/datasets/covid_ct ../shared/datasets/covid_chestxray
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings.datasets import GROUP_COLUMNS  # noqa: E402
from embeddings.splits import patient_split  # noqa: E402


def split_folder(folder: Path, out: Path, *, test_fraction: float, seed: int) -> tuple[int, int]:
    with open(folder / "labels.csv", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns, rows = list(reader.fieldnames), list(reader)
    group_column = next((c for c in GROUP_COLUMNS if c in columns), "file")
    groups = [row[group_column] or row["file"] for row in rows]
    train, test = patient_split(groups, held_out_fraction=test_fraction, seed=seed,
                                labels=[row.get("label", "") for row in rows])
    for part, indices in (("train", train), ("test", test)):
        target = out / f"{folder.name}-{part}"
        target.mkdir(parents=True, exist_ok=True)
        with open(target / "labels.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for index in indices:
                writer.writerow(rows[index] | {"file": str((folder / rows[index]["file"]).resolve())})
    return len(train), len(test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--test-fraction", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    for folder in arguments.folders:
        train, test = split_folder(folder, arguments.out, test_fraction=arguments.test_fraction, seed=arguments.seed)
        print(f"{folder.name}: {train} train, {test} test -> {arguments.out}")


if __name__ == "__main__":
    main()
