#!/usr/bin/env bash
# Installs what ruralnet needs on a fresh Debian/Ubuntu machine and nothing more:
# PostgreSQL server + PostGIS 3 from the OS packages (only when DATABASE_URL is not given),
# and a virtualenv in .venv with the project and its dev tools.
# Idempotent: a second run finishes in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1mruralnet:\033[0m %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

python=${PYTHON:-python3}
command -v "$python" >/dev/null || die "Python 3.11+ is needed: apt-get install python3 python3-venv"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "Python 3.11+ is needed, found $("$python" --version 2>&1)"

missing=()

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/postgres" ] && { echo "$d"; return 0; }
  done
  return 1
}

if [ -z "${DATABASE_URL:-}" ]; then
  if bindir=$(pg_bindir); then
    version=$(basename "$(dirname "$bindir")")
    [ -f "/usr/share/postgresql/$version/extension/postgis.control" ] \
      || missing+=("postgresql-$version-postgis-3")
  else
    missing+=("postgresql")
  fi
fi
"$python" -c 'import ensurepip, venv' 2>/dev/null || missing+=("python3-venv")

install_os_packages() {
  if [ "$(id -u)" -ne 0 ]; then
    die "missing OS packages: $*. Install them as root (sudo apt-get install -y $*) and run again."
  fi
  command -v apt-get >/dev/null || die "no apt-get here: install $* with your package manager"
  say "installing OS packages: $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The officials' page is tested in Debian's chromium (tests/gateway/registry/
# test_officials_page.py): `make test` asks for it with --with-browser.
# A Chinese font too, or its screenshots show boxes for every character.
if [ "${1:-}" = "--with-browser" ]; then
  [ -x /usr/bin/chromium ] || missing+=("chromium")
  [ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=("fonts-wqy-zenhei")
fi

if [ ${#missing[@]} -gt 0 ]; then
  install_os_packages "${missing[@]}"
  # PostGIS is versioned by the server we just installed; look again.
  if [ -z "${DATABASE_URL:-}" ]; then
    bindir=$(pg_bindir) || die "PostgreSQL server still missing after install"
    version=$(basename "$(dirname "$bindir")")
    [ -f "/usr/share/postgresql/$version/extension/postgis.control" ] \
      || install_os_packages "postgresql-$version-postgis-3"
  fi
fi

stamp=.venv/.ruralnet-installed
want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "setting up .venv"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  log=.venv/pip-install.log
  if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip \
         && .venv/bin/python -m pip install --disable-pip-version-check -e '.[dev]'; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "installing the project into .venv failed (full log: $log)"
  fi
  echo "$want" > "$stamp"
fi
