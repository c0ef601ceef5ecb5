#!/usr/bin/env bash
# Re-introduces each defect of issue 8 (one patch each, kept out of main) into a copy of the tree and counts how many
# seeds the deterministic simulation needs to find it. Not part of CI: about a minute per patch on 2 cores.
#   bash src/test/mutations/find-all.sh [max-seeds]        (default 200)
set -uo pipefail
cd "$(dirname "$0")/../../.."
max=${1:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-42s %s\n' "defect (patch)" "found at seed (of $max)"
for p in src/test/mutations/*.patch; do
  name=$(basename "$p" .patch)
  rm -rf "$work/tree" && mkdir -p "$work/tree" && cp -r pom.xml src "$work/tree/"
  (cd "$work/tree" && git apply "$OLDPWD/$p") || { printf '%-42s %s\n' "$name" "patch does not apply"; continue; }
  (cd "$work/tree" && mvn -o -B -q test -Dtest=SimulationTest -Dsim.seeds="$max" >"$work/out.log" 2>&1)
  found=$(grep -ho 'seed [0-9]*, step [0-9]*[^:]*: [^\n]*' "$work/tree/target/surefire-reports/io.blobgc.sim.SimulationTest.txt" 2>/dev/null | head -n 1)
  printf '%-42s %s\n' "$name" "${found:-NOT FOUND in $max seeds}"
done
