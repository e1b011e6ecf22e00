#!/usr/bin/env bash
# Rebuild the cross-validation fold models in reports/cv/LF/ (kept out of git): each fold's CNN and
# path model trained with the shipped recipe on all data but three held-out groups of UNIPEN
# institutions, their out-of-fold predictions, and the pooled fold models drawn_digits.py reads.
# Run it once after any change to the CNN or its recipe (about 35-50 minutes on 2 cores);
# then benchmarks/cross_validation.py --report-only, and changes to the path model, the pooling and
# the "not a digit" judgement, are compared on the same folds without training the CNNs again.
#
#     bash scripts/build_fold_models.sh [MNIST.npz]      # default: ../shared/data/mnist.npz
set -euo pipefail
cd "$(dirname "$0")/.."
mnist=${1:-../shared/data/mnist.npz}
python=${PYTHON:-.venv/bin/python}
exec "$python" benchmarks/cross_validation.py --mnist "$mnist" --full --recipes LF --paths --write-shifted --again
