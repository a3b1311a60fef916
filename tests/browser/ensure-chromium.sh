#!/bin/sh
# Makes sure Debian's headless browser pair is installed for the browser tests:
# /usr/bin/chromium (package chromium) and /usr/bin/chromedriver (package chromium-driver),
# with a Japanese font (package fonts-ipafont-gothic, 3.5 MB) so that screenshots of the
# Japanese pages show text rather than empty boxes.
# Fast and silent when both are there; otherwise installs them with apt-get, as root or
# through `sudo -n`, running `apt-get update` only when the install fails without it.
# Exits non-zero with a message saying what to do when it cannot.
#
# CHROMIUM_BIN and CHROMEDRIVER_BIN override the two paths checked (for testing this script).
set -eu

chromium=${CHROMIUM_BIN:-/usr/bin/chromium}
chromedriver=${CHROMEDRIVER_BIN:-/usr/bin/chromedriver}
japanese_font=${JAPANESE_FONT:-/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf}
packages="chromium chromium-driver fonts-ipafont-gothic"

installed() {
    [ -x "$chromium" ] && [ -x "$chromedriver" ] && [ -f "$japanese_font" ]
}

fail() {
    echo "ensure-chromium: $1" >&2
    echo "ensure-chromium: the browser tests need $chromium and $chromedriver;" \
        "install them with: apt-get install $packages" >&2
    exit 1
}

if installed; then
    exit 0
fi

echo "ensure-chromium: $chromium, $chromedriver or $japanese_font is missing; installing $packages" >&2

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found (not a Debian-like system?)"

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo -n"
else
    fail "not running as root and sudo is not available"
fi

# `env` carries the setting through sudo, which resets the environment.
run_apt_get() {
    # shellcheck disable=SC2086 # $as_root is empty or two words on purpose
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get -q -y \
        -o DPkg::Lock::Timeout=300 "$@" </dev/null
}

# shellcheck disable=SC2086 # $packages is a list of words
if ! run_apt_get install $packages; then
    echo "ensure-chromium: install failed; running apt-get update and trying again" >&2
    run_apt_get update || fail "apt-get update failed"
    # shellcheck disable=SC2086
    run_apt_get install $packages || fail "apt-get install $packages failed"
fi

installed || fail "apt-get finished but $chromium, $chromedriver or $japanese_font is still missing"
echo "ensure-chromium: installed $("$chromedriver" --version 2>/dev/null || echo chromedriver)" >&2
