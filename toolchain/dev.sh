#!/usr/bin/env bash
# Fast port iteration without make.bash: dev.sh [-tools] DIR
#
# The first time, copies the newest GOROOT built by build.sh to DIR. Every
# time, restores the files the port touched from the pristine source and lays
# the current overlay and edits onto DIR, so that DIR/bin/go builds runtime
# and std from the latest port. Changes to cmd/ (compiler, linker, dist) or
# to tables compiled into the go command (internal/syslist, ...) still need
# toolchain/build.sh: apply prints a WARNING naming each such file; with
# -tools, dev.sh instead rebuilds the go command, compiler, assembler and
# linker of DIR from DIR's sources (minutes, not a full make.bash).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${FOSBURY_CACHE:-$HOME/.cache/fosbury}
version=$(tr -d ' \n' <"$here/GO_VERSION")
pristine=$cache/src-$version
tools=false
if [[ ${1:-} == -tools ]]; then
	tools=true
	shift
fi
dir=${1:?usage: toolchain/dev.sh [-tools] DIR}

if [[ ! -x $dir/bin/go ]]; then
	newest=$(ls -1dt "$cache"/go-tamago-* 2>/dev/null | head -n 1 || true)
	[[ -n $newest ]] || { echo "dev.sh: no built toolchain in $cache: run toolchain/build.sh first" >&2; exit 1; }
	echo "dev.sh: copying $newest to $dir" >&2
	mkdir -p "$(dirname "$dir")"
	cp -r "$newest" "$dir"
fi
[[ -d $pristine ]] || { echo "dev.sh: no pristine source $pristine: run toolchain/build.sh first" >&2; exit 1; }
cd "$here/.."
go run ./toolchain/apply -goroot "$dir" -port toolchain -pristine "$pristine"
if $tools; then
	echo "dev.sh: rebuilding cmd/go, cmd/compile, cmd/asm, cmd/link in $dir" >&2
	(cd "$dir/src" && GOROOT="$dir" GOOS= GOARCH= GOFLAGS= ../bin/go install cmd/go cmd/compile cmd/asm cmd/link) >&2
	cp "$dir/.fosbury-port" "$dir/.fosbury-built"
fi
echo "$dir"
