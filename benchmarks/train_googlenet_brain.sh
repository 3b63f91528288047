#!/usr/bin/env bash
# GoogLeNet-GeM-ArcFace on the brain-tumour MRI training part (benchmarks/make_splits.py), then
# evaluation against the held-out part. Runs in its own CBIR_VAR_DIR so the dev database is untouched.
set -euo pipefail
# one thread: on a shared 2-core machine two spinning OpenMP threads per process are several times slower
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
cd "$(dirname "$0")/.."
export CBIR_VAR_DIR=${CBIR_VAR_DIR:-$PWD/var/benchmarks/issue4}
SPLITS=var/benchmarks/splits
mkdir -p "$CBIR_VAR_DIR"
.venv/bin/python benchmarks/make_splits.py --out $SPLITS ../shared/datasets/brain_tumor_mri ../shared/datasets/covid_ct ../shared/datasets/covid_chestxray
.venv/bin/python manage.py migrate -v0 --skip-checks
start=$(date +%s)
.venv/bin/python manage.py train_encoder --skip-checks googlenet-gem-arcface --dataset $SPLITS/brain_tumor_mri-train \
    --epochs "${EPOCHS:-30}" --img-size "${IMG_SIZE:-128}" --batch 32 --lr "${LR:-1e-3}" --patience 20 --seed 0 --activate \
    --option arcface_scale="${ARCFACE_SCALE:-64}" --option arcface_margin_degrees="${ARCFACE_MARGIN:-28.6}"
echo "training wall-clock seconds: $(( $(date +%s) - start ))"
.venv/bin/python manage.py evaluate --skip-checks --reference $SPLITS/brain_tumor_mri-train --queries $SPLITS/brain_tumor_mri-test \
    --encoders baseline,googlenet-gem-arcface --out "var/benchmarks/${OUT_NAME:-brain-googlenet}"
