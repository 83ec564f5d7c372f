#!/usr/bin/env bash
# Installs the real peers the tests use (openssl, tmux, curl), only when missing.
# Idempotent: on a machine that has them it does nothing.
set -euo pipefail
missing=()
for tool in openssl tmux curl; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing ${missing[*]} for the integration and end-to-end tests" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
