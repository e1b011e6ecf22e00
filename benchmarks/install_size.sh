#!/usr/bin/env bash
# How large and how slow the two installs are: the board's (`pip install -e .`) and the tests'
# (`pip install -e ".[test]"`, which takes the train extra), each into a fresh virtual environment
# made from a copy of this checkout's tracked files. Times depend on the network and on pip's
# cache (say which when quoting them).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for extra in "" "[test]"; do
    source="$work/src${extra:+-test}"
    mkdir -p "$source"
    git ls-files -z | xargs -0 cp --parents -P -t "$source"
    started=$(date +%s.%N)
    (cd "$source" && python3 -m venv .venv && .venv/bin/pip install -q -e ".$extra" >/dev/null)
    ended=$(date +%s.%N)
    size=$(du -sm "$source/.venv" | cut -f1)
    tensorflow=$("$source/.venv/bin/python" -c "import importlib.util as u; print('with' if u.find_spec('tensorflow') else 'without')")
    printf 'pip install -e ".%s": %.0f s, %s MB, %s TensorFlow\n' "$extra" "$(echo "$ended - $started" | bc)" "$size" "$tensorflow"
done
