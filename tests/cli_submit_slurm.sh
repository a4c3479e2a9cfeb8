#!/usr/bin/env bash
# `harness submit` against a real one-node Slurm on localhost (tests/slurm_localhost.sh starts it): a
# sweep of three units (drift at two lengths, forward_check) on the shipped model goes in as one job
# array; every unit must get its done marker and its result file, and the results must equal, metric
# by metric, those of the same sweep run here with --local. Then one done marker is removed: the
# resubmission must hold only that unit; submitting again while it is queued must not submit it twice;
# and with every unit done, nothing is submitted.
# Usage: cli_submit_slurm.sh HARNESS PYTHON SOURCE_DIR WORK_DIR
set -euo pipefail
source "$(dirname "$0")/slurm_localhost.sh"
harness=$1 python=$2 src=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
cd "$work"
trap stop_local_slurm EXIT
start_local_slurm || { echo "FAIL: could not start a local Slurm (above: why)"; exit 1; }

model="$src/data/models/tinystories-656k"
cat > sweep.json <<JSON
{"description": "drift of the shipped model at two lengths, and a forward check",
 "units": [{"case": "drift", "model": "$model",
            "options": {"data": "$src/data/eval/wikitext-2-raw/wiki.test.raw", "docs": 4, "bootstrap": 50},
            "grid": {"seqlen": [32, 64]}},
           {"case": "forward_check", "model": "$model", "options": {"new-tokens": 8}}]}
JSON
units=3

# Waits (120 s at most: CI runs other tests beside it) until job $1 has left the queue, then prints its
# tasks' states. Only an answer from squeue that lists no task counts: a squeue that failed (the controller
# slow to answer under load) is asked again.
wait_for_job() {
  local queue
  for _ in $(seq 1200); do
    if queue=$(squeue -h -j "$1" 2> /dev/null) && [ -z "$queue" ]; then
      scontrol -o show job "$1" | grep -o 'JobState=[A-Z]*' | sort | uniq -c
      return 0
    fi
    sleep 0.1
  done
  echo "FAIL: job $1 still queued after 120 s:"; squeue; exit 1
}

# The first submission: every unit.
"$harness" submit --sweep sweep.json --dir sweep --out slurm-results --cpus 1 > submit1.log
cat submit1.log
job=$(tail -n 1 submit1.log)
grep -q -- "--array=0-2$" sweep/job.sbatch || { echo "FAIL: job.sbatch's array is not 0-2"; cat sweep/job.sbatch; exit 1; }
wait_for_job "$job"
for ((i = 0; i < units; i++)); do
  [ -f "sweep/done/$i.json" ] || { echo "FAIL: unit $i has no done marker; its log:"; cat sweep/logs/"${job}_$i.out"; exit 1; }
  [ -f "sweep/logs/${job}_$i.out" ] || { echo "FAIL: unit $i has no log sweep/logs/${job}_$i.out"; exit 1; }
done

# The same sweep, run here through the same runner.
"$harness" submit --sweep sweep.json --dir local-sweep --out local-results --local > local.log 2>&1 \
  || { cat local.log; exit 1; }
grep -q "all $units units of .* are done" local.log || { echo "FAIL: --local did not finish"; cat local.log; exit 1; }

compare() {  # compare SWEEP_DIR_A SWEEP_DIR_B: unit by unit, the result files' configs and metrics
  "$python" - "$@" "$units" <<'PY'
import json, math, pathlib, sys
a_dir, b_dir, units = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
def result(folder, i):
    done = json.loads((folder / "done" / f"{i}.json").read_text())
    assert done["exit_code"] == 0 and len(done["results"]) == 1, done
    path = pathlib.Path(done["results"][0])
    assert path.is_file(), f"unit {i}: {path} is missing"
    return json.loads(path.read_text())
worst = 0.0
def same(x, y, where):
    global worst
    if isinstance(x, dict):
        assert isinstance(y, dict) and x.keys() == y.keys(), f"{where}: keys differ"
        for k in x:
            if not k.endswith("_s"): same(x[k], y[k], f"{where}.{k}")  # timings (s, tokens/s) are not compared
    elif isinstance(x, list):
        assert isinstance(y, list) and len(x) == len(y), f"{where}: lengths differ"
        for k, (p, q) in enumerate(zip(x, y)): same(p, q, f"{where}[{k}]")
    elif isinstance(x, float) or isinstance(y, float):
        # Slurm's tasks run torch on 1 thread (--cpus 1), --local on all cores: sums may round differently.
        d = abs(x - y) / max(abs(x), abs(y), 1e-6)
        worst = max(worst, d)
        assert d <= 1e-5 or (math.isnan(x) and math.isnan(y)), f"{where}: {x} != {y}"
    else:
        assert x == y, f"{where}: {x!r} != {y!r}"
for i in range(units):
    a, b = result(a_dir, i), result(b_dir, i)
    assert a["case"] == b["case"] and a["status"] == b["status"], f"unit {i}: {a['case']} {a['status']}, {b['case']} {b['status']}"
    ca, cb = dict(a["config"]), dict(b["config"])
    for where in ("out", "work"): ca.pop(where, None); cb.pop(where, None)
    assert ca == cb, f"unit {i}: configs differ: {ca} {cb}"
    assert a["config_hash"] == b["config_hash"], f"unit {i}: config hashes differ"
    same(a["metrics"], b["metrics"], f"unit {i} ({a['case']['name']}) metrics")
print(f"{units} units: Slurm's results equal --local's (largest relative difference {worst:.2e})")
PY
}
compare sweep local-sweep
"$harness" diff slurm-results local-results > diff.md
grep -q "^Summary: $units paired results" diff.md || { echo "FAIL: harness diff does not pair the $units results"; head diff.md; exit 1; }

# A resubmission after one unit's marker is gone: only that unit goes in.
first_result=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0])' sweep/done/1.json)
rm sweep/done/1.json
# Held, so that it is still queued when the sweep is submitted once more below: through an sbatch that
# adds --hold (Slurm 22.05's sbatch ignores SBATCH_HOLD=1, and an unheld unit may finish before the
# next submission looks for it).
mkdir -p hold
printf '#!/bin/sh\nexec %s --hold "$@"\n' "$(command -v sbatch)" > hold/sbatch
chmod +x hold/sbatch
PATH="$PWD/hold:$PATH" "$harness" submit --sweep sweep.json --dir sweep --out slurm-results --cpus 1 > submit2.log
cat submit2.log
grep -q "2 of 3 units are done .*only the other 1 unit (1) is submitted" submit2.log \
  || { echo "FAIL: the resubmission does not say it submits unit 1 only"; exit 1; }
grep -q -- "--array=1$" sweep/job.sbatch || { echo "FAIL: the resubmitted array is not just unit 1"; cat sweep/job.sbatch; exit 1; }
job2=$(tail -n 1 submit2.log)
tasks=$(scontrol -o show job "$job2" | grep -o 'ArrayTaskId=[0-9-]*' | sort -u | tr '\n' ' ')
[ "$tasks" = "ArrayTaskId=1 " ] || { echo "FAIL: the resubmitted job's tasks are '$tasks', not unit 1 alone"; exit 1; }
scontrol -o show job "$job2" | grep -q "Reason=JobHeldUser" \
  || { echo "FAIL: the resubmitted job is not held:"; scontrol -o show job "$job2"; exit 1; }
# While unit 1 waits in the queue, submitting again leaves it alone: nothing new goes in.
"$harness" submit --sweep sweep.json --dir sweep --out slurm-results --cpus 1 > submit-queued.log
cat submit-queued.log
grep -q "^1 unit (1) still queued or running in Slurm job $job2: not submitted again" submit-queued.log \
  || { echo "FAIL: the resubmission does not see unit 1 queued in job $job2"; exit 1; }
grep -q "nothing is submitted" submit-queued.log || { echo "FAIL: a queued unit was submitted again"; exit 1; }
[ "$(wc -l < sweep/submissions.log)" = 2 ] || { echo "FAIL: a third job was submitted"; cat sweep/submissions.log; exit 1; }
# A squeue that cannot reach the controller: submit refuses, rather than guess that unit 1 left the queue.
mkdir -p no-controller
printf '#!/bin/sh\necho "slurm_load_jobs error: Socket timed out on send/recv operation" >&2\nexit 1\n' > no-controller/squeue
chmod +x no-controller/squeue
if PATH="$PWD/no-controller:$PATH" "$harness" submit --sweep sweep.json --dir sweep --out slurm-results --cpus 1 \
     > submit-no-controller.log 2>&1; then
  echo "FAIL: submit went ahead without an answer from squeue"; cat submit-no-controller.log; exit 1
fi
grep -q "squeue could not say whether job [0-9]* .*Socket timed out" submit-no-controller.log \
  || { echo "FAIL: the error does not name the job and squeue's message"; cat submit-no-controller.log; exit 1; }
[ "$(wc -l < sweep/submissions.log)" = 2 ] || { echo "FAIL: a job was submitted without an answer from squeue"; exit 1; }
scontrol release "$job2"
wait_for_job "$job2"
[ -f sweep/done/1.json ] || { echo "FAIL: the resubmitted unit 1 has no done marker"; cat sweep/logs/"${job2}"_1.out; exit 1; }
second_result=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0])' sweep/done/1.json)
[ "$second_result" != "$first_result" ] && [ -f "$second_result" ] || { echo "FAIL: unit 1 wrote no new result"; exit 1; }
[ "$(ls sweep/logs | grep -c "^${job2}_")" = 1 ] || { echo "FAIL: the resubmission ran more than one task"; ls sweep/logs; exit 1; }
compare sweep local-sweep

# Every unit done: nothing is submitted.
"$harness" submit --sweep sweep.json --dir sweep --out slurm-results > submit3.log
grep -q "all 3 units of .* are done" submit3.log || { echo "FAIL: a finished sweep was submitted again"; cat submit3.log; exit 1; }
echo "PASS: harness submit through Slurm (jobs $job, $job2) equals --local"
