#!/usr/bin/env bash
# Re-introduces each defect of issue 8 (one patch each, kept out of main) into a copy of the tree and counts how many
# seeds the deterministic simulation needs to find it. Not part of CI: about a minute per patch on 2 cores.
#   bash src/test/mutations/find-all.sh [max-seeds [patch-name-pattern]]        (default 200, every patch)
# Seeds run from 1 (the regression seeds are left out here), so "seed N" is how many seeds it took. A patch whose
# first line is "# test: <Class#method>" runs that test alone, with max-seeds of it (26-30: the sharded world's).
set -uo pipefail
cd "$(dirname "$0")/../../.."
max=${1:-200}
only=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-42s %s\n' "defect (patch)" "found at seed (of $max)"
for p in src/test/mutations/*${only}*.patch; do
  name=$(basename "$p" .patch)
  rm -rf "$work/tree" && mkdir -p "$work/tree" && cp -r pom.xml src "$work/tree/"
  (cd "$work/tree" && git apply "$OLDPWD/$p") || { printf '%-42s %s\n' "$name" "patch does not apply"; continue; }
  test=$(sed -n '1s/^# test: //p' "$p")
  (cd "$work/tree" && mvn -o -B -q test -Dtest="${test:-SimulationTest}" -Dsim.seeds="$max" -Dsim.seedsSharded="${test:+$max}" \
      -Dsim.regressions=false >"$work/out.log" 2>&1)
  report="$work/tree/target/surefire-reports/io.blobgc.sim.SimulationTest.txt"
  if [ ! -f "$report" ]; then printf '%-42s %s\n' "$name" "BUILD FAILED (see a run by hand)"; continue; fi
  found=$(grep -m1 -o 'seed [0-9]*, step [0-9]*, [0-9]* ms: .*' "$report" | cut -c1-150)
  printf '%-42s %s\n' "$name" "${found:-NOT FOUND in $max seeds}"
done
