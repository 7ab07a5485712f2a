#!/usr/bin/env bash
# Builds (or finds in the cache) the fosbury GOOS=tamago Go toolchain and
# prints its GOROOT on stdout; everything else goes to stderr, so a Makefile
# can use $(shell toolchain/build.sh).
#
# Cache layout ($FOSBURY_CACHE, default $HOME/.cache/fosbury):
#   src-<version>/          pristine, prepared release source (never modified)
#   go-tamago-<hash>/       a built GOROOT for one state of the port
# <hash> covers every input under toolchain/ that changes the result.
# A new hash whose changes leave cmd/ and the go command's tables alone
# reuses the newest build's tools (seconds); otherwise make.bash runs.
# FOSBURY_FULL_BUILD=1 forces make.bash.
set -euo pipefail

# The whole script is one compound command, parsed before it runs: bash
# reads scripts as it goes, and make.bash takes long enough for someone to
# edit this file meanwhile.
{

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${FOSBURY_CACHE:-$HOME/.cache/fosbury}
version=$(tr -d ' \n' <"$here/GO_VERSION")
module=golang.org/toolchain@v0.0.1-go${version}.linux-amd64
hostgo=${HOSTGO:-go}

log() { echo "toolchain: $*" >&2; }

# prune keeps the newest few builds; dev.sh and the fast path use the newest.
prune() {
	ls -1dt "$cache"/go-tamago-* 2>/dev/null | tail -n +4 | while read -r old; do
		log "pruning $old"
		rm -rf "$old"
	done
}

# Snapshot the port first, so that the hash and the applied files agree
# even if someone edits toolchain/ while make.bash runs.
snap=$(mktemp -d)
trap 'rm -rf "$snap"' EXIT
(cd "$here" && cp -r GO_VERSION build.sh apply overlay edits "$snap"/)
applysrc=$(find "$snap/apply" -name '*.go' ! -name '*_test.go' | LC_ALL=C sort)
hash=$( (cd "$snap" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) |
	sha256sum | cut -c1-16)
goroot=$cache/go-tamago-$hash
if [[ -x $goroot/bin/go ]]; then
	echo "$goroot"
	exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [[ -x $goroot/bin/go ]]; then # built by a concurrent run
	echo "$goroot"
	exit 0
fi

pristine=$cache/src-$version
if [[ ! -f $pristine/.fosbury-prepared ]]; then
	log "fetching $module through the module proxy"
	tmp=$(mktemp -d)
	dir=$(cd "$tmp" && GOFLAGS=-mod=mod "$hostgo" mod download -json "$module" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	rmdir "$tmp"
	[[ -d $dir ]] || { log "go mod download gave no Dir for $module"; exit 1; }
	rm -rf "$pristine.tmp"
	cp -r "$dir" "$pristine.tmp"
	"$hostgo" run $applysrc -prepare -goroot "$pristine.tmp"
	touch "$pristine.tmp/.fosbury-prepared"
	rm -rf "$pristine"
	mv "$pristine.tmp" "$pristine"
fi

work=$cache/.build-$hash
rm -rf "$cache"/.build-* # leftovers of interrupted builds (we hold the lock)

# Fast path: when the port changed only outside the tools (runtime, std),
# the newest build's go command, compiler and linker are still right:
# re-sync its sources instead of running make.bash (the standard library
# is compiled per program from source, so nothing else is stale).
base=$(ls -1dt "$cache"/go-tamago-* 2>/dev/null | head -n 1 || true)
if [[ -n $base && ${FOSBURY_FULL_BUILD:-0} != 1 ]]; then
	log "trying to reuse the tools of $base"
	cp -r "$base" "$work"
	if "$hostgo" run $applysrc -goroot "$work" -port "$snap" -pristine "$pristine" -strict-tools; then
		mv "$work" "$goroot"
		log "built $goroot (port synced, tools reused)"
		prune
		echo "$goroot"
		exit 0
	fi
	log "tool sources changed: full build"
	rm -rf "$work"
fi

log "copying source to $work"
cp -r "$pristine" "$work"
rm -f "$work/.fosbury-prepared"
log "applying port ($hash)"
"$hostgo" run $applysrc -goroot "$work" -port "$snap"
cp "$work/.fosbury-port" "$work/.fosbury-built"

log "running make.bash (a few minutes)"
start=$(date +%s)
(cd "$work/src" && GOROOT_BOOTSTRAP=$("$hostgo" env GOROOT) GOROOT= GOOS= GOARCH= GOFLAGS= \
	CGO_ENABLED=0 bash make.bash) >&2
log "make.bash took $(($(date +%s) - start)) s"

rm -rf "$goroot"
mv "$work" "$goroot"
log "built $goroot"

prune
echo "$goroot"
exit 0
}
