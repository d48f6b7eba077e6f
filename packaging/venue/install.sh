#!/usr/bin/env bash
# Installs the Bilten venue server as a systemd service on a Debian/Ubuntu laptop or mini-PC:
#
#   /opt/bilten/venue                        a virtualenv with `bilten[venue]` (no Qt, no cloud)
#   /etc/systemd/system/bilten-venue.service the hardened unit
#   /etc/bilten/venue.toml                   the settings (an existing file is never replaced)
#   /etc/sysusers.d/bilten-venue.conf        the `bilten` system user
#   /var/lib/bilten-venue                    the state: database and cloud pairing (mode 0700)
#
# Run it again to upgrade: it is idempotent and keeps the settings and the state.
# With --root DIR everything lands under DIR instead of / (an image being built, or a test);
# paths inside the virtualenv are then rewritten to /opt/bilten/venue, so DIR/opt/bilten/venue
# works once DIR becomes the machine's root. No user is created and systemd is not touched.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root=/
from="$(cd "$here/../.." && pwd)"
python=python3
pip=1

usage() {
  cat <<EOF
usage: $0 [--root DIR] [--from WHEEL|SOURCE_DIR] [--python PYTHON] [--no-pip]

  --root DIR     install under DIR instead of / (default: /)
  --from PATH    a bilten wheel or source directory (default: $from)
  --python PY    the Python 3.11+ the virtualenv is made from (default: python3)
  --no-pip       leave the virtualenv as it is; install or update only the unit, the
                 settings and the user
EOF
}

die() {
  echo "install.sh: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2:?--root needs a directory}"; shift 2 ;;
    --from) from="${2:?--from needs a wheel or a source directory}"; shift 2 ;;
    --python) python="${2:?--python needs an interpreter}"; shift 2 ;;
    --no-pip) pip=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

venv=/opt/bilten/venue
unit=/etc/systemd/system/bilten-venue.service
config=/etc/bilten/venue.toml
sysusers=/etc/sysusers.d/bilten-venue.conf
state=/var/lib/bilten-venue

mkdir -p "$root"
root="$(cd "$root" && pwd)"
live=0
[ "$root" = / ] && live=1
# The path of $1 (an absolute path on the target machine) inside the tree being installed.
at() { printf '%s%s' "${root%/}" "$1"; }

if [ "$live" -eq 1 ] && [ "$(id -u)" -ne 0 ]; then
  die "installing into / needs root: run it with sudo, or give --root DIR"
fi

install_python() {
  local spec
  if [ -f "$from" ] && [[ "$from" == *.whl ]]; then
    spec="$(cd "$(dirname "$from")" && pwd)/$(basename "$from")[venue]"
  elif [ -f "$from/pyproject.toml" ]; then
    spec="$(cd "$from" && pwd)[venue]"
  else
    die "--from $from is neither a bilten wheel (.whl) nor a source directory with pyproject.toml"
  fi
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    die "$python is older than Python 3.11; give a newer one with --python"
  if [ ! -x "$(at "$venv")/bin/python" ]; then
    echo "Creating the virtualenv $(at "$venv")"
    "$python" -m venv "$(at "$venv")"
  fi
  echo "Installing bilten[venue] from $from"
  "$(at "$venv")/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade \
    "$spec"
  if [ "$live" -eq 0 ]; then
    relocate_venv
  fi
}

# A virtualenv records its own path in its scripts; make them name the path on the target.
relocate_venv() {
  local built pattern file
  built="$(at "$venv")"
  pattern="$(printf '%s' "$built" | sed 's/[][\\.*^$|]/\\&/g')"
  for file in "$built"/bin/*; do
    if [ -f "$file" ] && [ ! -L "$file" ] && grep -Iq -F -- "$built" "$file"; then
      sed -i "s|$pattern|$venv|g" "$file"
    fi
  done
}

install_files() {
  install -D -m 0644 "$here/bilten-venue.service" "$(at "$unit")"
  install -D -m 0644 "$here/bilten-venue.sysusers" "$(at "$sysusers")"
  if [ -e "$(at "$config")" ]; then
    config_note="kept as it was"
  else
    install -D -m 0644 "$here/venue.toml.example" "$(at "$config")"
    config_note="new: check host and port"
  fi
  install -d -m 0700 "$(at "$state")"
}

create_user() {
  if getent passwd bilten >/dev/null; then
    return
  fi
  if command -v systemd-sysusers >/dev/null; then
    systemd-sysusers "$sysusers"
  else
    useradd --system --user-group --home-dir "$state" --no-create-home \
      --shell /usr/sbin/nologin --comment "Bilten venue server" bilten
  fi
}

if [ "$pip" -eq 1 ]; then
  install_python
fi
install_files
if [ "$live" -eq 1 ]; then
  create_user
  chown bilten:bilten "$state"
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
  fi
fi

bilten="$venv/bin/bilten"
cat <<EOF

Bilten venue server installed$([ "$live" -eq 1 ] || echo " under $root"):
  program   $venv
  service   $unit
  settings  $config ($config_note)
  state     $state

Next steps:
  1. Review the settings, then check what the server will run with:
       sudoedit $config
       sudo -u bilten $bilten venue config --config $config
  2. Pair it with the cloud, using the venue API key the cloud showed when the venue was made:
       sudo -u bilten $bilten venue pair --config $config --cloud https://CLOUD --key VENUE_KEY
  3. Start it now and at every boot, and follow its log:
       sudo systemctl enable --now bilten-venue
       journalctl -u bilten-venue -f
  4. Pair each gate's scanner with a one-time code:
       sudo -u bilten $bilten venue pairing-code --config $config --gate "Main Entrance"
EOF
