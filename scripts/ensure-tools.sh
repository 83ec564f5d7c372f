#!/usr/bin/env bash
# Installs the real peers the tests use, only what is missing: openssl, tmux
# and curl, and the servers of the real-server suite (tlsengine/realserver):
# nginx, HAProxy, Apache 2 with mod_ssl, stunnel, PostgreSQL, mosquitto and
# MariaDB's server binary (mariadb-server-core: 7 MB, no system service, where
# mariadb-server would add 27 MB, a service and a Perl upgrade).
# Idempotent: on a machine that has them it does nothing, not even
# `apt-get update`.
#
# The tests start each daemon themselves, on a free 127.0.0.1 port with a
# config in a temp dir, so the distribution's system services must never run:
# a policy-rc.d that answers 101 ("action forbidden") keeps the packages'
# maintainer scripts from starting them, and anything that started anyway is
# stopped right after the install.
set -euo pipefail

# package|file that proves it is installed (a glob for versioned paths)
wanted=(
	"openssl|/usr/bin/openssl"
	"tmux|/usr/bin/tmux"
	"curl|/usr/bin/curl"
	"nginx|/usr/sbin/nginx"
	"haproxy|/usr/sbin/haproxy"
	"apache2|/usr/lib/apache2/modules/mod_ssl.so"
	"stunnel4|/usr/bin/stunnel4"
	"postgresql|/usr/lib/postgresql/*/bin/pg_ctl"
	"mosquitto|/usr/sbin/mosquitto"
	"mariadb-server-core|/usr/sbin/mariadbd"
)
missing=()
for w in "${wanted[@]}"; do
	pkg=${w%%|*} file=${w#*|}
	# shellcheck disable=SC2086 # the glob must expand
	compgen -G "$file" >/dev/null || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing ${missing[*]} for the integration and end-to-end tests (their system services stay stopped)" >&2

policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# mtlswb scripts/ensure-tools.sh: no service starts during this install\nexit 101\n' |
		$sudo tee "$policy" >/dev/null
	$sudo chmod 755 "$policy"
	trap '$sudo rm -f "$policy"' EXIT
fi

# Another apt run (a second worktree's `make tools`) may hold the lock: wait.
apt=($sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq)
"${apt[@]}" update
"${apt[@]}" install -y --no-install-recommends "${missing[@]}"

# Belt and braces: a policy-rc.d that was already there may allow starts.
# Stop only what this install could have started; under systemd also keep
# it from starting at boot (the tests run their own instances).
for pkg in "${missing[@]}"; do
	case $pkg in
	nginx | haproxy | apache2 | mosquitto | postgresql | stunnel4) ;;
	*) continue ;;
	esac
	if [ -d /run/systemd/system ]; then
		$sudo systemctl disable --now --quiet "$pkg" >/dev/null 2>&1 || true
	elif [ -x "/etc/init.d/$pkg" ]; then
		if $sudo "/etc/init.d/$pkg" status >/dev/null 2>&1; then
			$sudo "/etc/init.d/$pkg" stop >/dev/null 2>&1 || true
		fi
	fi
done
echo "installed ${missing[*]}; none of their system services is running" >&2
exit 0
