# Shortcuts for contributors; a new user needs only the two commands at the top of README.md.
VENV ?= .venv
PYTHON = $(VENV)/bin/python
MNIST ?= ../shared/data/mnist.npz

$(PYTHON):
	python3 -m venv $(VENV) && $(VENV)/bin/pip install -e ".[test,notebook]"

board: $(PYTHON)
	$(VENV)/bin/digitboard

test: $(PYTHON)
	$(PYTHON) -m pytest

# Execute the training notebook headlessly; the executed copy and its figures land in reports/.
train: $(PYTHON)
	DIGITBOARD_MNIST=$(MNIST) $(PYTHON) -m jupyter nbconvert --to notebook --execute \
		--ExecutePreprocessor.timeout=-1 --output-dir reports notebooks/train.ipynb

benchmarks: $(PYTHON)
	$(PYTHON) benchmarks/drawn_digits.py
	$(PYTHON) benchmarks/latency.py
	$(PYTHON) benchmarks/training_speed.py --mnist $(MNIST)

.PHONY: board test train benchmarks
