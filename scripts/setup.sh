#!/usr/bin/env bash
# npm run setup: the system programs the tests (and the action's Bash sandbox) use — bubblewrap, socat, ripgrep and
# git — installed with apt-get when this can (as root, or with passwordless sudo); otherwise the command to run.
# Without them `npm test` still passes but skips what needs them; under CI=true those tests fail instead.
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive

# program:package
PAIRS=(bwrap:bubblewrap socat:socat rg:ripgrep git:git)

missing_packages() {
  local out=() pair
  for pair in "${PAIRS[@]}"; do command -v "${pair%%:*}" >/dev/null 2>&1 || out+=("${pair#*:}"); done
  echo "${out[*]:-}"
}

# The sandbox the action makes, reduced to a probe: prints why bwrap cannot run it, nothing when it can.
bwrap_problem() {
  command -v bwrap >/dev/null 2>&1 || { echo "bwrap is not installed"; return; }
  local err
  if ! err="$(bwrap --cap-drop ALL --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --unshare-pid --unshare-net \
    --die-with-parent -- true 2>&1)"; then
    echo "${err:-bwrap failed}" | head -1
  fi
}

SUDO=""
can_install=0
if [ "$(uname -s)" != "Linux" ]; then
  reason="the Bash sandbox is Linux-only; install ripgrep, socat and git with your package manager (e.g. brew install ripgrep socat git)"
elif ! command -v apt-get >/dev/null 2>&1; then
  reason="no apt-get here; install the packages with your package manager"
elif [ "$(id -u)" -eq 0 ]; then
  can_install=1
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
  can_install=1
else
  reason="installing needs root: run the command below yourself"
fi

missing="$(missing_packages)"
if [ -n "$missing" ]; then
  if [ $can_install -eq 1 ]; then
    echo "setup: installing $missing"
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends $missing; then
      reason="apt-get installed them, but they are not on PATH ($PATH)"
    else
      reason="apt-get install failed"
    fi
    missing="$(missing_packages)"
  fi
  if [ -n "$missing" ]; then
    echo "setup: missing $missing (${reason})." >&2
    echo "  run: sudo apt-get install -y $missing" >&2
    echo "  Until then npm test skips the tests that need them (and fails them under CI=true)." >&2
    exit 1
  fi
fi

# Installed is not enough: Ubuntu 24.04 forbids unprivileged user namespaces by default, and containers may too.
problem="$(bwrap_problem)"
sysctl_knob=/proc/sys/kernel/apparmor_restrict_unprivileged_userns
if [ -n "$problem" ] && [ -e "$sysctl_knob" ] && [ $can_install -eq 1 ]; then
  echo "setup: bwrap cannot create a sandbox ($problem); allowing unprivileged user namespaces"
  $SUDO sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 >/dev/null
  problem="$(bwrap_problem)"
fi
if [ -n "$problem" ]; then
  echo "setup: bubblewrap is installed but cannot create a sandbox here: $problem" >&2
  [ -e "$sysctl_knob" ] && echo "  run: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0" >&2
  echo "  (in a container: run it with user namespaces allowed, e.g. docker run --security-opt seccomp=unconfined)" >&2
  exit 1
fi
echo "setup: bubblewrap, socat, ripgrep and git are installed and the sandbox works. Next: npm ci && npm test"
