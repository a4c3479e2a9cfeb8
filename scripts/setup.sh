#!/usr/bin/env bash
# Installs everything the harness needs, from Debian (apt) and PyPI (pip, into ./.venv).
# Idempotent: each step checks first and says what it does. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: compiler and build tools, the C++ libraries the design names, the fuzzing runtime, and
# Slurm with munge (cli.submit_slurm starts a one-node Slurm of its own; ~4 MB, 9 packages).
apt_packages=(build-essential cmake git python3 python3-venv python3-pip
              nlohmann-json3-dev libfmt-dev catch2 libbenchmark-dev libpcre2-dev libssl-dev
              clang libclang-rt-14-dev gnuplot-nox slurm-wlm munge)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages already installed (${#apt_packages[@]} checked)"
fi

# Python packages, pinned in scripts/requirements.txt (and requirements-nodeps.txt): torch (libtorch) and the transformers test oracle.
stamp=.venv/.requirements.sha256
want=$(cat scripts/requirements.txt scripts/requirements-nodeps.txt | sha256sum | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "setup: .venv is up to date with scripts/requirements.txt"
else
  [[ -x .venv/bin/python ]] || { echo "setup: creating the virtual environment .venv"; python3 -m venv .venv; }
  echo "setup: installing Python packages from scripts/requirements.txt into .venv (torch is large: minutes)"
  .venv/bin/pip install --disable-pip-version-check -q -r scripts/requirements.txt
  .venv/bin/pip install --disable-pip-version-check -q --no-deps -r scripts/requirements-nodeps.txt
  echo "$want" > "$stamp"
fi
echo "setup: done ($(.venv/bin/python -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'))"
