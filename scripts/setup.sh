#!/usr/bin/env bash
# Installs every Debian package tickpipe needs to build, test, fuzz and benchmark.
# Idempotent and quiet when everything is present. Needs root (or sudo) only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config python3
  libsimdjson-dev libconcurrentqueue-dev libreaderwriterqueue-dev libpcap-dev zlib1g-dev libssl-dev
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libboost-dev rapidjson-dev libfast-float-dev
  clang libclang-rt-14-dev
  tshark
  nodejs node-ws openssl
  libcpp-httplib-dev libsystemd-dev prometheus systemd
  libquickfix-dev
  libhiredis-dev redis-server redis-tools
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: missing packages (${missing[*]}) and not root: run as root or install them" >&2
    exit 1
  fi
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
