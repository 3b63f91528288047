"""Print the headline numbers of evaluation folders (metrics.json) as Markdown table rows.

    .venv/bin/python benchmarks/summarize.py var/benchmarks/modality-autoencoder var/benchmarks/brain-googlenet
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

COLUMNS = ("map", "map_ci95", "P@1", "P@10", "P@20", "R@10", "ann_recall")


def rows(folder: Path) -> list[str]:
    metrics = json.loads((folder / "metrics.json").read_text())
    lines = []
    for name, result in metrics["encoders"].items():
        low, high = result["map_ci95"]
        precision, recall = result["precision_at"], result["recall_at"]
        lines.append(f"| {folder.name} | {metrics['label_column']} | {name}@{result['version']} | {result['map']:.4f} | "
                     f"{low:.4f}–{high:.4f} | {precision.get('1', float('nan')):.4f} | "
                     f"{precision.get('10', float('nan')):.4f} | {precision.get('20', float('nan')):.4f} | "
                     f"{recall.get('10', float('nan')):.4f} | {result['ann_recall']:.4f} |")
    return lines


def main() -> None:
    print("| evaluation | label | encoder@version | mAP | mAP 95% CI | P@1 | P@10 | P@20 | R@10 | ANN recall |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for folder in sys.argv[1:]:
        print("\n".join(rows(Path(folder))))


if __name__ == "__main__":
    main()
