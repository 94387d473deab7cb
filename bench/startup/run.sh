#!/usr/bin/env bash
# Start-up of the self-contained cicdops: `cicdops project list` on a small (empty) data directory, median of 20 runs,
# beside /bin/true (the floor: fork+exec alone) in the same run. Publishes linux-x64 with and without ReadyToRun.
# Usage: bench/startup/run.sh [runs=20]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-20}
out=$(mktemp -d)
dotnet publish src/CicdOps.Cli/CicdOps.Cli.csproj -c Release --nologo -v q -clp:ErrorsOnly -p:CicdPublishRid=linux-x64 -p:PublishReadyToRun=false -o "$out/plain"
dotnet publish src/CicdOps.Cli/CicdOps.Cli.csproj -c Release --nologo -v q -clp:ErrorsOnly -p:CicdPublishRid=linux-x64 -o "$out/r2r"
data=$(mktemp -d)
"$out/r2r/cicdops" --data-dir "$data" project list >/dev/null   # creates the database once
python3 - "$runs" "$out" "$data" <<'PY'
import os, statistics, subprocess, sys, time
runs, out, data = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def median(cmd):
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm the page cache
    ts = []
    for _ in range(runs):
        t = time.perf_counter(); subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ts.append((time.perf_counter() - t) * 1000)
    return statistics.median(ts)
print(f"load={os.getloadavg()[0]:.1f}")
print(f"/bin/true                          median={median(['/bin/true']):6.1f} ms")
for name in ("plain", "r2r"):
    exe = f"{out}/{name}/cicdops"
    size = os.path.getsize(exe) / 1e6
    print(f"cicdops project list ({name:5})     median={median([exe, '--data-dir', data, 'project', 'list']):6.1f} ms  size={size:.0f} MB")
PY
rm -rf "$out" "$data"
