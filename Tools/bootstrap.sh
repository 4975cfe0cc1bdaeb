#!/usr/bin/env bash
# Installs what the project needs from Debian and PyPI, and nothing that is already there.
# Idempotent: a second run on a prepared machine does no network work at all.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

debian_packages=(
    libssl-dev
    libsqlite3-dev
    libmosquitto-dev
    libncursesw5-dev
    mosquitto
    mosquitto-clients
    tmux
    procps
    wrk
    python3-venv
)

missing=()
for package in "${debian_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} > 0)); then
    echo "bootstrap: installing ${missing[*]}"
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's mosquitto package enables a system broker on port 1883; the project never uses it,
# and it must not hold the port tests expect to be free, so it is stopped when it runs.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
    systemctl stop mosquitto || true
fi

# Interop tests drive real third-party Python clients from this virtualenv.
venv="$root/.build-venv"
python_requirements="$root/Tools/python-requirements.txt"
stamp="$venv/.requirements-installed"
if [ ! -x "$venv/bin/python" ]; then
    echo "bootstrap: creating $venv"
    python3 -m venv "$venv"
fi
if [ -f "$python_requirements" ] && ! cmp -s "$python_requirements" "$stamp"; then
    echo "bootstrap: installing Python clients from $python_requirements"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$python_requirements"
    cp "$python_requirements" "$stamp"
fi
