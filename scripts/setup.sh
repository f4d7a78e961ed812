#!/usr/bin/env bash
# Installs what the server needs from Debian's packages when it is missing: R and Rserve
# (r-base-core, r-cran-rserve), and curl for the batch-script tests. Idempotent and quick
# when everything is present. Runs apt-get directly as root, through sudo otherwise.
set -euo pipefail

missing=()
command -v Rscript >/dev/null 2>&1 || missing+=(r-base-core)
if ! Rscript -e 'quit(status = if (requireNamespace("Rserve", quietly = TRUE)) 0 else 1)' >/dev/null 2>&1; then
  missing+=(r-cran-rserve)
fi
command -v curl >/dev/null 2>&1 || missing+=(curl)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "[setup] installing from Debian: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
