#!/usr/bin/env bash
# Installs the operating-system packages Bilten needs on Debian/Ubuntu, only those missing:
# libzbar0 for QR decoding, the libraries Qt needs to open a window (or render offscreen),
# Chromium for the browser tests, and systemd for systemd-analyze, which checks the venue
# server's service unit. For the operations tests: nginx (the light build), the load balancer
# the scale-out test runs, and prometheus for promtool, which checks the Prometheus settings.
set -euo pipefail

packages=(libzbar0 libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
          libglib2.0-0 fonts-dejavu-core chromium systemd)
# Both come as services that start at once; the tests run their own. Installed without their
# recommendations (prometheus would bring an exporter service along), then stopped.
services=(nginx-light prometheus)

missing_of() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}
mapfile -t missing < <(missing_of "${packages[@]}")
mapfile -t missing_services < <(missing_of "${services[@]}")
[ ${#missing[@]} -eq 0 ] && [ ${#missing_services[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "Please install these system packages: ${missing[*]} ${missing_services[*]}" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing system packages: ${missing[*]} ${missing_services[*]}"
$sudo apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ${#missing_services[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing_services[@]}" >/dev/null
  if [ -d /run/systemd/system ]; then
    for pkg in "${missing_services[@]}"; do
      unit="${pkg%-light}"
      $sudo systemctl disable --now "$unit" >/dev/null 2>&1 || true
    done
  fi
fi
