"""What the demo's budgeted training (`manage.py train_demo_encoders`) buys over the baseline, per dataset.

Runs the demo's own plans (embeddings/demo_training.py) on the training parts of the splits that
`benchmarks/make_splits.py` writes, in a throwaway CBIR_VAR_DIR, then evaluates the baseline and every
encoder the demo trained on each set's held-out part (reference = training part, queries = held-out
part). The demo itself trains on the whole shared sets; training on the training parts here keeps the
queries unseen.

    .venv/bin/python benchmarks/make_splits.py          # once
    .venv/bin/python benchmarks/demo_quality.py --out var/benchmarks/demo-quality
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPLITS = ROOT / "var" / "benchmarks" / "splits"
TRAINED_ON = ("brain_tumor_mri", "covid_ct", "covid_chestxray")  # the demo's sets (DEMO_DATASETS)
EVALUATED_ON = ("brain_tumor_mri", "covid_ct")


def manage(var_dir: Path, *arguments: str) -> str:
    environment = os.environ | {"CBIR_VAR_DIR": str(var_dir)}
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *arguments], cwd=ROOT, env=environment,
                          stdout=subprocess.PIPE, text=True, check=True)
    return done.stdout


def train(var_dir: Path, budget_minutes: float) -> float:
    manage(var_dir, "migrate", "-v0")
    datasets = [argument for name in TRAINED_ON for argument in ("--dataset", str(SPLITS / f"{name}-train"))]
    started = time.monotonic()
    print(manage(var_dir, "train_demo_encoders", "--budget-minutes", str(budget_minutes), *datasets), end="")
    return time.monotonic() - started


def trained_encoders(var_dir: Path) -> list[str]:
    code = ("from embeddings.models import EncoderVersion; active = EncoderVersion.objects.filter(is_active=True); "
            "print(','.join(sorted(set(active.values_list('name', flat=True)))))")
    return [name for name in manage(var_dir, "shell", "-v", "0", "-c", code).strip().split(",") if name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="folder for the scratch installation and results")
    parser.add_argument("--budget-minutes", type=float, default=10.0)
    args = parser.parse_args()
    missing = [name for name in TRAINED_ON if not (SPLITS / f"{name}-train" / "labels.csv").is_file()]
    if missing:
        sys.exit(f"no splits for {', '.join(missing)}: run benchmarks/make_splits.py first")
    shutil.rmtree(args.out, ignore_errors=True)
    var_dir = args.out.resolve() / "var"
    seconds = train(var_dir, args.budget_minutes)
    print(f"train_demo_encoders wall clock: {seconds:.0f} s")
    encoders = ",".join(["baseline", *[name for name in trained_encoders(var_dir) if name != "baseline"]])
    folders = []
    for name in EVALUATED_ON:
        folder = args.out.resolve() / f"demo-{name}"
        manage(var_dir, "evaluate", "--reference", str(SPLITS / f"{name}-train"), "--queries",
               str(SPLITS / f"{name}-test"), "--encoders", encoders, "--out", str(folder))
        folders.append(str(folder))
    print(subprocess.run([sys.executable, str(ROOT / "benchmarks" / "summarize.py"), *folders],
                         stdout=subprocess.PIPE, text=True, check=True).stdout, end="")


if __name__ == "__main__":
    main()
