#!/usr/bin/env bash
# Mutation proof for the DMA rules (DESIGN.md section 3): copy the module to a
# temporary directory, remove one cache operation, barrier or reference check
# from the real ring source, run the ring tests, and require them to FAIL.
# A pattern that is not found exactly once aborts the script (the source
# moved on: fix the table below). Prints a table; exits 1 if a mutant lives.
#
# Usage: scripts/mutation/run.sh            (from anywhere inside the repo)
#        ONLY='tx wmb' scripts/mutation/run.sh   (mutants whose name contains it)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name | file | action | fixed pattern | replacement
# Actions: delete (the one line containing the pattern), line (the one line
# that is exactly the pattern, blanks around it aside: for a statement whose
# text also starts a longer line), replace (the pattern within its line).
mutants=(
  "rx SyncForCPU|rxring/ring.go|delete|r.pool.SyncForCPU(s.page, start, flen)|"
  "rx SyncForDevice (half handed back)|rxring/ring.go|delete|r.pool.SyncForDevice(s.page, s.off, dirty)|"
  "rx dma_rmb after E|rxring/ring.go|delete|r.pool.DmaRMB() // nothing below may be read before the E bit|"
  "rx dma_wmb before E|rxring/ring.go|delete|r.pool.DmaWMB()|"
  "rx refcount check before flip|rxring/ring.go|replace|otherFree := r.pool.Refs(s.page) == 1|otherFree := true"
  "rx wmb before RDAR|rxring/ring.go|delete|r.pool.WMB() // before RDAR|"
  "tx SyncForDevice (frame bytes)|txring/ring.go|delete|r.pool.SyncForDevice(b.Page, int(b.Off), int(b.Len))|"
  "tx dma_wmb before R|txring/ring.go|delete|r.pool.DmaWMB() // the fields before R|"
  "tx wmb before TDAR|txring/ring.go|delete|r.pool.WMB() // before TDAR|"
  "tx dma_rmb after R|txring/ring.go|delete|r.pool.DmaRMB() // the write-back fields after R|"
  "rx SyncForDevice (buffers at New)|rxring/ring.go|delete|o.Pool.SyncForDevice(pg, 0, pagepool.HalfSize)|"
  "rx wmb before the first RDAR|rxring/ring.go|line|r.pool.WMB()|"
  "rx Frame.Ref takes a page reference|rxring/frame.go|delete|f.r.pool.Ref(f.page)|"
  "rx Frame.Ref keeps the half from reuse|rxring/frame.go|delete|f.refs++|"
  "tx one page reference per half|txring/ring.go|delete|r.pool.Ref(pg) // one reference per half|"
)

copy_tree() {
  rm -rf "$work/m"
  mkdir -p "$work/m"
  (cd "$root" && tar cf - go.mod go.sum bd internal/noncoherent internal/copyring pagepool rxring txring) | (cd "$work/m" && tar xf -)
}

tests='^(TestSoak|TestPoolExhaustion|TestStartOrdersDescriptors)$'
printf '%-38s %-16s %s\n' "MUTANT (removed from real source)" "RESULT" "FIRST FAILURE"
printf '%-38s %-16s %s\n' "--------------------------------------" "----------------" "-------------"
survivors=0
for m in "${mutants[@]}"; do
  IFS='|' read -r name file action pattern repl <<<"$m"
  if [ -n "${ONLY:-}" ] && [[ "$name" != *"$ONLY"* ]]; then continue; fi
  copy_tree
  f="$work/m/$file"
  if [ "$action" = line ]; then
    n=$(awk -v p="$pattern" '{ t = $0; gsub(/^[ \t]+|[ \t]+$/, "", t); if (t == p) n++ } END { print n + 0 }' "$f")
  else
    n=$(grep -cF -- "$pattern" "$f" || true)
  fi
  if [ "$n" != 1 ]; then
    echo "mutation.sh: pattern for '$name' found $n times in $file (want 1): $pattern" >&2
    exit 2
  fi
  if [ "$action" = delete ]; then
    grep -vF -- "$pattern" "$f" >"$f.new"
  elif [ "$action" = line ]; then
    awk -v p="$pattern" '{ t = $0; gsub(/^[ \t]+|[ \t]+$/, "", t); if (t != p) print }' "$f" >"$f.new"
  else
    awk -v p="$pattern" -v r="$repl" '{ i = index($0, p); if (i) $0 = substr($0, 1, i-1) r substr($0, i+length(p)); print }' "$f" >"$f.new"
  fi
  mv "$f.new" "$f"
  if cmp -s "$f" "$root/$file"; then
    echo "mutation.sh: '$name' left $file unchanged" >&2
    exit 2
  fi
  out=$(cd "$work/m" && GOFLAGS=-mod=mod timeout 300 go test -count=1 -failfast -run "$tests" ./rxring/ ./txring/ 2>&1) && rc=0 || rc=$?
  first=$(printf '%s\n' "$out" | grep -m1 -E '_test\.go:[0-9]+:' | sed -E 's/^[[:space:]]+//' | cut -c1-110 || true)
  if printf '%s\n' "$out" | grep -q -E '\[(build|setup) failed\]'; then
    printf '%s\n' "$out" | tail -20 >&2
    echo "mutation.sh: '$name' did not build: a build failure proves nothing" >&2
    exit 2
  fi
  if [ $rc -eq 0 ]; then
    printf '%-38s %-16s %s\n' "$name" "SURVIVED" "-"
    survivors=$((survivors + 1))
  elif printf '%s\n' "$out" | grep -q -E '^(FAIL|--- FAIL)'; then
    printf '%-38s %-16s %s\n' "$name" "killed (FAIL)" "$first"
  else
    printf '%s\n' "$out" | tail -20 >&2
    echo "mutation.sh: '$name' did not build or timed out (rc $rc)" >&2
    exit 2
  fi
done
if [ $survivors -ne 0 ]; then
  echo "mutation.sh: $survivors mutant(s) survived" >&2
  exit 1
fi
echo "mutation.sh: no mutant survived"
