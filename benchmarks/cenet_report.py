"""Markdown table and P@k / R@k plot from one or more results.json files of cenet_covidct.py.

`train s` is the wall time of fit (data preparation, mask derivation, epochs, final scoring);
`in epochs s` sums the epochs alone, from the training history.

    PYTHONPATH=. .venv/bin/python benchmarks/cenet_report.py /tmp/cenet_bench/results.json \
        /tmp/cenet_bench_unet/results.json --plot docs/cenet_covidct_pk.png
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend first)

ORDER = ("cenet-xception", "cenet", "xception", "unet-me", "unet-ml")
QUERY_SETS = ("overall", "COVID", "NonCOVID")


def merged_encoders(paths: list[Path]) -> tuple[dict, list[dict]]:
    encoders, runs = {}, []
    for path in paths:
        results = json.loads(path.read_text())
        encoders.update(results["encoders"])
        runs.append({key: results[key] for key in ("command_args", "sizes", "torch_threads")})
    return {name: encoders[name] for name in ORDER if name in encoders}, runs


def table(encoders: dict) -> str:
    header = ("| encoder | reduction | dim | P@1 | P@10 | P@50 | P@10 COVID | P@10 NonCOVID | R@50 "
              "| P@10 other patients | train s | in epochs s |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for name, result in encoders.items():
        for method, scores in result["reductions"].items():
            curves, other = scores["curves"], scores["curves_other_patient"]
            cells = [name, method, scores["dim"], curves["overall"]["precision"][0], curves["overall"]["precision"][9],
                     curves["overall"]["precision"][-1], curves["COVID"]["precision"][9],
                     curves["NonCOVID"]["precision"][9], curves["overall"]["recall"][-1],
                     other["overall"]["precision"][9], round(result["train_seconds"]),
                     round(sum(entry["seconds"] for entry in result["history"]))]
            lines.append("| " + " | ".join(f"{c:.3f}" if isinstance(c, float) else str(c) for c in cells) + " |")
    return "\n".join(lines)


def plot(encoders: dict, reduction: str, path: Path) -> None:
    figure, axes = plt.subplots(2, 3, figsize=(13, 7), sharex=True)
    for column, query_set in enumerate(QUERY_SETS):
        for row, metric in enumerate(("precision", "recall")):
            axis = axes[row][column]
            for name, result in encoders.items():
                values = result["reductions"][reduction]["curves"][query_set][metric]
                axis.plot(range(1, len(values) + 1), values, label=name)
            axis.set_title(f"{metric[0].upper()}@k, {query_set} queries")
            axis.set_xlabel("k")
            axis.grid(alpha=0.3)
    axes[0][0].legend()
    figure.suptitle(f"COVID-CT official val split, leave-one-out, reduction = {reduction}")
    figure.tight_layout()
    figure.savefig(path, dpi=70)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="+")
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument("--reduction", default="pca+norm",
                        choices=[m + n for m in ("none", "pool", "pca") for n in ("", "+norm")])
    args = parser.parse_args()
    encoders, runs = merged_encoders(args.results)
    print(table(encoders))
    print()
    for name, result in encoders.items():
        print(f"- {name}: full dim {result['full_dim']}, config {json.dumps(result['config'])}")
    for run in runs:
        print(f"- run: {json.dumps(run)}")
    if args.plot is not None:
        plot(encoders, args.reduction, args.plot)
        print(f"- plot ({args.reduction}): {args.plot}")


if __name__ == "__main__":
    main()
