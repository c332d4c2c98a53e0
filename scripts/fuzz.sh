#!/bin/sh
# Runs every Fuzz target of the module for a while each: ./scripts/fuzz.sh 30s
set -eu
cd "$(dirname "$0")/.."
fuzztime=${1:-30s}
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "== $pkg $target ($fuzztime)"
		go test -run='^$' -fuzz="^$target\$" -fuzztime="$fuzztime" "$pkg"
	done
done
