#!/usr/bin/env bash
# Runs every fuzz target of the module (func FuzzXxx in *_test.go) for a
# bounded time each: go test can fuzz only one target per invocation.
set -euo pipefail
fuzztime=${1:-10s}
cd "$(dirname "$0")/.."
n=0
while IFS= read -r file; do
	dir=$(dirname "$file")
	for fn in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
		echo ">> fuzz ./$dir $fn ($fuzztime)"
		go test -run='^$' -fuzz="^${fn}\$" -fuzztime="$fuzztime" "./$dir"
		n=$((n + 1))
	done
done < <(grep -rlE '^func Fuzz' --include='*_test.go' . | grep -v '^./toolchain/' | sed 's|^\./||' | sort)
echo ">> $n fuzz targets ran for $fuzztime each"
