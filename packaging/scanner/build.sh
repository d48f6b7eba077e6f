#!/usr/bin/env bash
# Builds the gate app as a desktop bundle on Linux: one folder with the program
# (bilten-gate) and everything it needs, Python and Qt included, then checks it with its
# self-test. Windows: build.ps1. Needs the scanner and dev extras (PyInstaller) installed:
# `make setup`, or `pip install '.[scanner]' pyinstaller`.
#
#   packaging/scanner/build.sh [--dist DIR] [--work DIR] [--python PY] [--no-check] [--no-archive]
#
# Result: DIR/bilten-gate/ (default dist/bilten-gate/) and DIR/bilten-gate-linux-<arch>.tar.gz.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dist="$repo/dist"
work="$repo/build/bilten-gate"
python="$repo/.venv/bin/python"
check=1
archive=1

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --dist) dist="${2:?--dist needs a directory}"; shift 2 ;;
    --work) work="${2:?--work needs a directory}"; shift 2 ;;
    --python) python="${2:?--python needs an interpreter}"; shift 2 ;;
    --no-check) check=0; shift ;;
    --no-archive) archive=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

[ -x "$python" ] || python="$(command -v python3)"
if ! "$python" -c 'import PyInstaller' 2>/dev/null; then
  echo "build.sh: PyInstaller is not installed for $python (pip install pyinstaller)" >&2
  exit 1
fi

started=$(date +%s)
echo "Building the gate app bundle into $dist/bilten-gate"
"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$dist" --workpath "$work" "$here/bilten-gate.spec"
echo "Built in $(( $(date +%s) - started )) s: $(du -sh "$dist/bilten-gate" | cut -f1)"

if [ "$check" -eq 1 ]; then
  echo "Self-test of the bundle (offscreen):"
  "$dist/bilten-gate/bilten-gate" self-test --offscreen
fi

echo "Bundle: $dist/bilten-gate/bilten-gate"
if [ "$archive" -eq 1 ]; then
  tarball="$dist/bilten-gate-linux-$(uname -m).tar.gz"
  tar -C "$dist" -czf "$tarball" bilten-gate
  echo "Archive: $tarball"
fi
