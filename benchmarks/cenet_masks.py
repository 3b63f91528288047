"""How often the classical lung-field masks (embeddings.masks) fail on COVID-CT: empty, tiny or
near-whole-slice masks, and the median mask fraction.

    PYTHONPATH=. .venv/bin/python benchmarks/cenet_masks.py
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from PIL import Image

from embeddings.masks import derive_lung_mask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=Path("../shared/datasets/covid_ct"))
    args = parser.parse_args()
    with open(args.dataset / "labels.csv", newline="") as handle:
        files = [row["file"] for row in csv.DictReader(handle)]
    fractions = np.array([derive_lung_mask(np.asarray(Image.open(args.dataset / name).convert("L"))).mean()
                          for name in files])
    print(f"images {len(fractions)}, empty {int((fractions == 0).sum())}, under 3 % {int((fractions < 0.03).sum())}, "
          f"over 70 % {int((fractions > 0.7).sum())}, median mask fraction {np.median(fractions):.3f}")


if __name__ == "__main__":
    main()
