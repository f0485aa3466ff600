#!/usr/bin/env bash
# The two set-up commands of the README, on a machine with only Python (>= 3.11) and git:
#   ./dev.sh demo   install into .venv if needed, then run `execplan demo` on the embedded database
#   ./dev.sh test   install into .venv if needed, then lint, type-check and run the whole test suite
# Anything after the command goes to execplan / pytest. EXECPLAN_VENV picks another virtualenv.
set -euo pipefail
cd "$(dirname "$0")"
venv=${EXECPLAN_VENV:-.venv}
python=${PYTHON:-python3}

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "dev.sh: execplan needs Python 3.11 or newer as '$python' (set PYTHON=...)" >&2
    exit 2
fi
if [ ! -x "$venv/bin/execplan" ] || [ pyproject.toml -nt "$venv/.installed" ]; then
    echo "dev.sh: installing execplan and its dependencies into $venv ..." >&2
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -e '.[dev]'
    touch "$venv/.installed"
fi

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
    demo)
        exec "$venv/bin/execplan" demo "$@"
        ;;
    test)
        "$venv/bin/ruff" check .
        "$venv/bin/ruff" format --check .
        "$venv/bin/mypy"
        "$venv/bin/lint-imports"
        exec "$venv/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: ./dev.sh demo | ./dev.sh test [pytest arguments]" >&2
        exit 2
        ;;
esac
