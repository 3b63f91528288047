#!/usr/bin/env bash
# GoogLeNet-GeM-ArcFace on the training part of one labelled set (benchmarks/make_splits.py), then
# evaluation (with the baseline) against its held-out part. Own CBIR_VAR_DIR: the dev database is untouched.
#   DATASET=covid_ct EPOCHS=30 IMG_SIZE=96 benchmarks/train_googlenet.sh
# EXTRA="--option softmax_weight=1" passes further train_encoder options; PATIENCE (default 20);
# VAL_FRACTION (default 0.2): share of the training part held out for early stopping; SEED (default 0).
set -euo pipefail
# one thread: on a shared 2-core machine two spinning OpenMP threads per process are several times slower
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
cd "$(dirname "$0")/.."
DATASET=${DATASET:-brain_tumor_mri}
export CBIR_VAR_DIR=${CBIR_VAR_DIR:-$PWD/var/benchmarks/googlenet-$DATASET}
SPLITS=var/benchmarks/splits
mkdir -p "$CBIR_VAR_DIR"
.venv/bin/python benchmarks/make_splits.py --out $SPLITS ../shared/datasets/brain_tumor_mri ../shared/datasets/covid_ct ../shared/datasets/covid_chestxray
.venv/bin/python manage.py migrate -v0 --skip-checks
start=$(date +%s)
.venv/bin/python manage.py train_encoder --skip-checks googlenet-gem-arcface --dataset "$SPLITS/$DATASET-train" \
    --epochs "${EPOCHS:-30}" --img-size "${IMG_SIZE:-128}" --batch 32 --lr "${LR:-1e-3}" --patience "${PATIENCE:-20}" \
    --validation-fraction "${VAL_FRACTION:-0.2}" --seed "${SEED:-0}" --activate ${EXTRA:-} \
    --option arcface_scale="${ARCFACE_SCALE:-64}" --option arcface_margin_degrees="${ARCFACE_MARGIN:-28.6}"
echo "training wall-clock seconds: $(( $(date +%s) - start ))"
.venv/bin/python manage.py evaluate --skip-checks --reference "$SPLITS/$DATASET-train" --queries "$SPLITS/$DATASET-test" \
    --encoders baseline,googlenet-gem-arcface --out "var/benchmarks/${OUT_NAME:-$DATASET-googlenet}"
