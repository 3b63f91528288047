"""Print the headline numbers of evaluation folders (metrics.json) as Markdown table rows.

    .venv/bin/python benchmarks/summarize.py var/benchmarks/modality-autoencoder var/benchmarks/brain-googlenet

With `--spread ENCODER`, the median, minimum and maximum of that encoder's mAP and P@10 over the
folders instead (one folder per seed of the same recipe):

    .venv/bin/python benchmarks/summarize.py --spread googlenet-gem-arcface var/benchmarks/gn-brain-arc-e110*
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path


def load(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text())


def rows(folder: Path) -> list[str]:
    metrics = load(folder)
    lines = []
    for name, result in metrics["encoders"].items():
        low, high = result["map_ci95"]
        precision, recall = result["precision_at"], result["recall_at"]
        lines.append(f"| {folder.name} | {metrics['label_column']} | {name}@{result['version']} | {result['map']:.4f} | "
                     f"{low:.4f}–{high:.4f} | {precision.get('1', float('nan')):.4f} | "
                     f"{precision.get('10', float('nan')):.4f} | {precision.get('20', float('nan')):.4f} | "
                     f"{recall.get('10', float('nan')):.4f} | {result['ann_recall']:.4f} |")
    return lines


def spread(encoder: str, folders: list[Path]) -> list[str]:
    """One row per metric: median, min and max over the folders' results for `encoder`."""
    results = [load(folder)["encoders"][encoder] for folder in folders]
    metrics = {"mAP": [result["map"] for result in results],
               "P@10": [result["precision_at"]["10"] for result in results]}
    return [f"| {name} | {len(values)} | {statistics.median(values):.4f} | {min(values):.4f} | {max(values):.4f} |"
            for name, values in metrics.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spread", metavar="ENCODER", help="median/min/max of ENCODER over the folders")
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args()
    if args.spread:
        print("| metric | runs | median | min | max |")
        print("|---|---|---|---|---|")
        print("\n".join(spread(args.spread, args.folders)))
        return
    print("| evaluation | label | encoder@version | mAP | mAP 95% CI | P@1 | P@10 | P@20 | R@10 | ANN recall |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for folder in args.folders:
        print("\n".join(rows(folder)))


if __name__ == "__main__":
    main()
