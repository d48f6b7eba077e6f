#!/usr/bin/env bash
# Installs the operating-system packages Bilten needs on Debian/Ubuntu, only those missing:
# libzbar0 for QR decoding, the libraries Qt needs to open a window (or render offscreen),
# Chromium for the browser tests, and systemd for systemd-analyze, which checks the venue
# server's service unit.
set -euo pipefail

packages=(libzbar0 libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
          libglib2.0-0 fonts-dejavu-core chromium systemd)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "Please install these system packages: ${missing[*]}" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
