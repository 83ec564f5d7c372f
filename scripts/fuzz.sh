#!/usr/bin/env bash
# Runs every Fuzz* target in the module for a short time each.
set -euo pipefail
fuzztime=${1:-20000x}
go list -f '{{.Dir}} {{.ImportPath}}' ./... | while read -r dir pkg; do
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
		echo "fuzz $pkg $target ($fuzztime)"
		# Minimizing a new input may take up to a minute by default, which would
		# swallow a short run; 1s is plenty for a smoke run.
		if ! out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 1s "$pkg" 2>&1); then
			echo "$out"
			exit 1
		fi
	done
done
