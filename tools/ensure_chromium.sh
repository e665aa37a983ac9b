#!/usr/bin/env bash
# Install Debian's Chromium and a CJK font when they are missing, so that
# the browser tests and the PDF build can run. The Playwright client drives
# this system binary; it never downloads a browser of its own.
#
# Needs root (or sudo) and Debian's package archive. Exits non-zero with a
# message naming the missing piece when the install fails.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
PACKAGES=(chromium fonts-noto-cjk)

missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null; then
    sudo=(sudo)
else
    echo "ensure_chromium: ${missing[*]} missing and not root; install: apt-get install ${PACKAGES[*]}" >&2
    exit 1
fi

echo "ensure_chromium: installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get update -qq \
    || ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" fontconfig; then
    echo "ensure_chromium: apt-get install ${PACKAGES[*]} failed; the browser tests and 'make pdf' need them" >&2
    exit 1
fi
[ -x "$CHROMIUM" ] || { echo "ensure_chromium: $CHROMIUM still missing after install" >&2; exit 1; }
