#!/usr/bin/env bash
# Refreshes the gate app's translations after its texts changed:
#   1. pyside6-lupdate collects every self.tr() / QT_TRANSLATE_NOOP text in scanner_app/ui/*.py
#      into each translations/bilten_<lang>.ts, keeping the translations already made; a new
#      text arrives marked "unfinished", a text no longer in the code is dropped.
#   2. pyside6-lrelease compiles each .ts into the .qm the app loads at start.
# Translate the unfinished entries (Qt Linguist: `.venv/bin/pyside6-linguist FILE.ts`, or any
# editor), then run this script again so the .qm carries them. tests/scanner/ui/test_i18n.py
# fails while a text is untranslated or the .qm is older than its .ts.
#
# Usage: packaging/update-translations.sh          (from anywhere in the repository)
# BIN=/path/to/venv/bin packaging/update-translations.sh   to use another virtualenv.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${BIN:-$root/.venv/bin}"
lupdate="$bin/pyside6-lupdate"
lrelease="$bin/pyside6-lrelease"
for tool in "$lupdate" "$lrelease"; do
  if [ ! -x "$tool" ]; then
    echo "Missing $tool. Install the scanner's extras first (make setup), or set BIN." >&2
    exit 1
  fi
done

cd "$root"
shopt -s nullglob
sources=(scanner_app/ui/*.py)
ts_files=(scanner_app/ui/translations/bilten_*.ts)
if [ ${#ts_files[@]} -eq 0 ]; then
  echo "No scanner_app/ui/translations/bilten_*.ts found." >&2
  exit 1
fi

for ts in "${ts_files[@]}"; do
  "$lupdate" -silent -no-obsolete "${sources[@]}" -ts "$ts"
  "$lrelease" -silent -nounfinished "$ts" -qm "${ts%.ts}.qm"
  unfinished=$(grep -c 'type="unfinished"' "$ts" || true)
  if [ "$unfinished" -gt 0 ]; then
    echo "$ts: $unfinished text(s) still need a translation." >&2
  fi
done
