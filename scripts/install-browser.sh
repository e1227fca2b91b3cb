#!/usr/bin/env bash
# Installs what the browser tests (tests/web/test_browser.py) drive: Debian's Chromium.
# Playwright's Python package is in requirements.txt and brings its own driver; its own browser builds
# are never downloaded (`playwright install` is not used): the tests launch /usr/bin/chromium.
# Idempotent: does nothing when chromium is already there. Needs root (or sudo) to install.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    echo "chromium: $(chromium --version 2>/dev/null || echo present)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: no apt-get here; install Chromium yourself (the browser tests skip without it, and fail under CI=true)" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if ! sudo -n true 2>/dev/null; then
        echo "install-browser: not root and no password-less sudo; run 'sudo apt-get install chromium' (browser tests skip meanwhile)" >&2
        exit 1
    fi
    SUDO="sudo -n"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "chromium: $(chromium --version)"
