#!/usr/bin/env bash
# Captures a real screen of the TUI (the demo, one failed scenario's Verdict
# tab) from tmux and writes it into README.md between the screen markers, so
# the README shows what the program shows today. Run: scripts/readme-screen.sh
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/mtlswb ./cmd/mtlswb
sock=$(mktemp -u)
trap 'tmux -S "$sock" kill-server 2>/dev/null || true' EXIT
tmux -S "$sock" new-session -d -s readme -x 100 -y 30 "NO_COLOR=1 ./bin/mtlswb demo"

# wait_for TEXT: poll the pane until TEXT shows, for at most 15 seconds.
wait_for() {
	local deadline=$((SECONDS + 15))
	until tmux -S "$sock" capture-pane -p -t readme | grep -qF -- "$1"; do
		sleep 0.1
		if [ $SECONDS -ge $deadline ]; then
			echo "readme-screen: '$1' did not appear" >&2
			tmux -S "$sock" capture-pane -p -t readme >&2
			exit 1
		fi
	done
}
keys() { tmux -S "$sock" send-keys -t readme "$@"; }

wait_for "Client identities"
keys 4
wait_for "Saved ("
keys Tab
wait_for "03-rogue-identity"
keys Down Down
wait_for ">  03-rogue-identity"
keys C-s
wait_for "What to do"
screen=$(tmux -S "$sock" capture-pane -p -t readme | sed -e 's/[[:space:]]*$//' -e 's/127\.0\.0\.1:[0-9]*/127.0.0.1:PORT/g')

python3 - "$screen" <<'PY'
import re, sys
screen = sys.argv[1].rstrip("\n")
readme = open("README.md").read()
block = "<!-- screen:start -->\n```text\n" + screen + "\n```\n<!-- screen:end -->"
new = re.sub(r"<!-- screen:start -->.*?<!-- screen:end -->", lambda m: block, readme, flags=re.S)
open("README.md", "w").write(new)
PY
echo "README.md screen updated"
