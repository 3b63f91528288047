#!/usr/bin/env bash
# CNN autoencoder vs baseline on modality retrieval (X-ray / CT / MRI) over the three labelled sets:
# trained on the training parts of benchmarks/make_splits.py, evaluated with the held-out parts as queries.
set -euo pipefail
# one thread: on a shared 2-core machine two spinning OpenMP threads per process are several times slower
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
cd "$(dirname "$0")/.."
export CBIR_VAR_DIR=${CBIR_VAR_DIR:-$PWD/var/benchmarks/ae-modality}
SPLITS=var/benchmarks/splits
mkdir -p "$CBIR_VAR_DIR"
.venv/bin/python manage.py migrate -v0 --skip-checks
start=$(date +%s)
.venv/bin/python manage.py train_encoder --skip-checks cnn-autoencoder --label-column modality \
    --dataset $SPLITS/brain_tumor_mri-train --dataset $SPLITS/covid_ct-train --dataset $SPLITS/covid_chestxray-train \
    --epochs "${EPOCHS:-8}" --img-size "${IMG_SIZE:-64}" --batch 32 --lr 1e-3 --patience 10 --seed 0 --activate \
    --option depth="${DEPTH:-4}" --option latent_channels="${LATENT_CHANNELS:-16}" ${EXTRA:-}
echo "training wall-clock seconds: $(( $(date +%s) - start ))"
.venv/bin/python manage.py evaluate --skip-checks --label-column modality \
    --reference $SPLITS/brain_tumor_mri-train --reference $SPLITS/covid_ct-train --reference $SPLITS/covid_chestxray-train \
    --queries $SPLITS/brain_tumor_mri-test --queries $SPLITS/covid_ct-test --queries $SPLITS/covid_chestxray-test \
    --encoders baseline,cnn-autoencoder --out "var/benchmarks/${OUT_NAME:-modality-autoencoder}"
