#!/usr/bin/env bash
# Start-up of the self-contained cicdops: `cicdops project list` on a small (empty) data directory, median of 20 runs,
# beside /bin/true (the floor: fork+exec alone) in the same run, interleaved; wall time and CPU time (user+sys, which the
# load inflates far less). Publishes linux-x64 with and without ReadyToRun.
# Usage: bench/startup/run.sh [runs=20]
#   BEFORE=/path/to/an/older/cicdops  adds that executable as a row (before/after in one run)
#   NO_PLAIN=1                        skips the publish without ReadyToRun (it takes minutes)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-20}
out=$(mktemp -d)
[ -n "${NO_PLAIN:-}" ] || dotnet publish src/CicdOps.Cli/CicdOps.Cli.csproj -c Release --nologo -v q -clp:ErrorsOnly -p:CicdPublishRid=linux-x64 -p:PublishReadyToRun=false -o "$out/plain"
dotnet publish src/CicdOps.Cli/CicdOps.Cli.csproj -c Release --nologo -v q -clp:ErrorsOnly -p:CicdPublishRid=linux-x64 -o "$out/r2r"
data=$(mktemp -d)
"$out/r2r/cicdops" --data-dir "$data" project list >/dev/null   # creates the database once
python3 - "$runs" "$out" "$data" "${BEFORE:-}" <<'PY'
import os, resource, statistics, subprocess, sys, time
runs, out, data, before = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def run(cmd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN); t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = (time.perf_counter() - t) * 1000; r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000
# Interleaved (one run of each command in turn), so a change of load during the run hits every command alike.
cmds = {"/bin/true": ["/bin/true"]}
if before:
    cmds["cicdops project list (before)"] = [before, "--data-dir", data, "project", "list"]
for name in ("plain", "r2r"):
    if os.path.exists(f"{out}/{name}/cicdops"):
        cmds[f"cicdops project list ({name})"] = [f"{out}/{name}/cicdops", "--data-dir", data, "project", "list"]
for cmd in cmds.values(): run(cmd)  # warm the page cache
times = {k: [] for k in cmds}
load = os.getloadavg()[0]
for _ in range(runs):
    for k, cmd in cmds.items(): times[k].append(run(cmd))
print(f"load={load:.1f} before, {os.getloadavg()[0]:.1f} after ({runs} runs each, interleaved)")
floor = statistics.median(w for w, _ in times["/bin/true"])
for k, ts in times.items():
    wall = statistics.median(w for w, _ in ts); cpu = statistics.median(c for _, c in ts)
    size = f"  size={os.path.getsize(cmds[k][0]) / 1e6:.0f} MB" if k != "/bin/true" else ""
    print(f"{k:34} median={wall:6.1f} ms  min={min(w for w, _ in ts):6.1f} ms  cpu={cpu:5.1f} ms  ratio to /bin/true={wall / floor:5.1f}{size}")
PY
rm -rf "$out" "$data"
