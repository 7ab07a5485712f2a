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
		corpus="$dir/testdata/fuzz/$fn"
		before=$(ls "$corpus" 2>/dev/null | sort || true)
		if ! out=$(go test -run='^$' -fuzz="^${fn}\$" -fuzztime="$fuzztime" "./$dir" 2>&1); then
			printf '%s\n' "$out"
			after=$(ls "$corpus" 2>/dev/null | sort || true)
			# Go 1.26's fuzz coordinator can report its own -fuzztime deadline
			# as a failure (golang/go#75804, fixed in 1.27): no input failed
			# and none was written. Anything else is a real failure.
			if [ "$before" = "$after" ] && printf '%s\n' "$out" | grep -q '^    context deadline exceeded$'; then
				echo ">> $fn: coordinator deadline race (golang/go#75804), no failing input: not a failure"
			else
				echo ">> $fn FAILED" >&2
				exit 1
			fi
		else
			printf '%s\n' "$out" | tail -3
		fi
		n=$((n + 1))
	done
done < <(grep -rlE '^func Fuzz' --include='*_test.go' . | grep -v '^./toolchain/' | sed 's|^\./||' | sort)
echo ">> $n fuzz targets ran for $fuzztime each"
