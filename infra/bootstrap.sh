#!/usr/bin/env bash
# Install everything motcua needs on a fresh Debian machine, idempotently, then run one action.
#
#   infra/bootstrap.sh demo     install, then run `motcua demo` on the embedded stack
#   infra/bootstrap.sh test     install, then run the test suite (what CI runs)
#   infra/bootstrap.sh          install only
#
# Debian packages are installed only when missing; the virtual environment (.venv/) is
# (re)installed only when pyproject.toml or infra/constraints.txt changed since the last run, so a
# second run costs a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

apt_packages=(
  tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd   # OCR, Vietnamese model, orientation
  poppler-utils                                        # pdftoppm, pdftotext, pdfsig
  libnss3-tools                                        # certutil: NSS trust store for pdfsig
  postgresql                                           # the tests run the flow on PostgreSQL too
  fonts-liberation2 fonts-noto-core fonts-dejavu-core  # fonts with Vietnamese glyphs
  softhsm2                                             # PKCS#11 token for the signing tests
  rclone                                               # the scanner drop: SFTP and WebDAV on intake
  chromium                                             # the UI test drives it (Playwright)
  curl                                                 # speaks SFTP and WebDAV in the drop test
)

log() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }

missing=()
for p in "${apt_packages[@]}"; do
  [[ $p == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $($python --version)"
  $python -m venv .venv
fi
stamp=.venv/.motcua-install-stamp
want=$(cat pyproject.toml infra/constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing Python dependencies into .venv (about a minute the first time)"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q --disable-pip-version-check -c infra/constraints.txt -e ".[test,bench]"
  echo "$want" > "$stamp"
fi

case "${1:-}" in
  demo) shift; exec .venv/bin/motcua demo "$@" ;;
  test) shift; exec .venv/bin/python -m pytest "$@" ;;
  "") log "ready: .venv/bin/motcua --help" ;;
  *) echo "usage: $0 [demo|test] [args...]" >&2; exit 64 ;;
esac
