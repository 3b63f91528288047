"""Score a GoogLeNet-GeM-ArcFace training state (work/state.pt or work/member-K/state.pt) mid-run.

Embeds the run's validation images and every 4th of its training images (the split train_encoder makes
for that seed) with the state's network in eval mode, and prints the retrieval mAP of each: a network
that scores low on its own training images has collapsed rather than overfitted. No database.

  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/score_training_state.py STATE.pt \
      --dataset var/benchmarks/splits/brain_tumor_mri-train --seed 2 [--img-size 128] [--validation-fraction 0.2]
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cbir.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("state")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--seed", type=int, required=True, help="the member's seed (it sets the split)")
    parser.add_argument("--img-size", type=int, default=128)
    parser.add_argument("--validation-fraction", type=float, default=0.2)
    parser.add_argument("--embedding-dim", type=int, default=256)
    args = parser.parse_args()

    import django

    django.setup()
    import torch

    from embeddings import training
    from embeddings.datasets import read_labelled_folders
    from embeddings.encoders.googlenet_gem import GoogLeNetGeM, unit_rows
    from embeddings.evaluation import retrieval_map
    from embeddings.pixels import prepare_square
    from embeddings.splits import patient_split

    state = torch.load(args.state, map_location="cpu", weights_only=False)
    network = GoogLeNetGeM(args.embedding_dim, 3.0)
    network.load_state_dict({key.removeprefix("network."): value for key, value in state["model"].items()
                             if key.startswith("network.")})
    network.eval()
    images = read_labelled_folders([args.dataset]).labelled()
    kept, held_out = patient_split(images.groups, held_out_fraction=args.validation_fraction, seed=args.seed,
                                   labels=images.labels)
    train, validation = images.subset(kept), images.subset(held_out)
    print(f"state after epoch {state['epoch']}, best validation mAP so far {state['best_metric']:.4f}")
    for name, part in [("validation", validation), ("training (every 4th)", train.subset(list(range(0, len(train), 4))))]:
        pixels = prepare_square(part.load_pixels(), args.img_size)
        with torch.inference_mode():
            vectors = training.embed_in_batches(network, pixels, device=torch.device("cpu"))
        score = retrieval_map(unit_rows(vectors), list(part.labels), list(part.groups))
        print(f"{name}: {len(pixels)} images, mAP {score:.4f}")


if __name__ == "__main__":
    main()
