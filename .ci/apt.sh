# Sourced by .ci/run, .ci/postgres and .ci/redis: installs Debian packages the
# tests need. Diagnostics go to stderr, so a script's stdout stays its answer.

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# apt_install PACKAGE...: one update per script run, then the install.
apt_updated=false
apt_install() {
  echo "--- installing $* (apt)" >&2
  if [ "$apt_updated" = false ]; then sudo_if_needed apt-get update -qq >&2; apt_updated=true; fi
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# need_program COMMAND PACKAGE: installs PACKAGE unless COMMAND is on the PATH.
need_program() { command -v "$1" >/dev/null || apt_install "$2"; }
