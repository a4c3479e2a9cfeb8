#!/usr/bin/env bash
# zero_shot on the shipped model, killed (SIGKILL) once its first task unit is written, then run again
# with --resume true: it must reuse the finished tasks, score only the rest, and write metrics equal to
# those of an uninterrupted run. Usage: cli_tasks_resume.sh HARNESS PYTHON SOURCE_DIR WORK_DIR
set -euo pipefail
source "$(dirname "$0")/kill_after_first_unit.sh"
harness=$1 python=$2 src=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
args=(--model "$src/data/models/tinystories-656k" --data "$src/data/eval" --tasks arc_easy,piqa,winogrande,hellaswag
      --limit 25)

"$harness" run zero_shot "${args[@]}" --work "$work/clean" --out "$work/clean-results" > "$work/clean.log" 2>&1

units="$work/killed/zero_shot/tinystories-656k/tasks"
kill_after_first_unit "$units" "$work/first.log" \
  "$harness" run zero_shot "${args[@]}" --work "$work/killed" --out "$work/killed-results"
echo "killed after $finished finished task(s)"
[ "$finished" -lt 4 ] || { echo "every task finished before the kill; nothing to resume"; exit 1; }
[ -z "$(find "$work/killed-results" -name '*.json' 2> /dev/null)" ] || { echo "a killed run left a result"; exit 1; }

"$harness" run zero_shot "${args[@]}" --work "$work/killed" --out "$work/killed-results" --resume true > "$work/resumed.log" 2>&1
reused=$(grep -c "reusing the finished task" "$work/resumed.log" || true)
[ "$reused" -eq "$finished" ] || { echo "resume reused $reused tasks; $finished had finished"; cat "$work/resumed.log"; exit 1; }
scored=$(grep -c "docs):" "$work/resumed.log" || true)
[ "$scored" -eq $((4 - finished)) ] || { echo "resume scored $scored tasks; expected $((4 - finished))"; exit 1; }

"$python" - "$work/clean-results" "$work/killed-results" <<'PY'
import json, pathlib, sys
def metrics(folder):
    files = list(pathlib.Path(folder).rglob("*.json"))
    assert len(files) == 1, files
    return json.loads(files[0].read_text())["metrics"]
a, b = metrics(sys.argv[1]), metrics(sys.argv[2])
assert set(a["tasks"]) == {"arc_easy", "piqa", "winogrande", "hellaswag"}, a["tasks"].keys()
assert a == b, "resumed metrics differ from an uninterrupted run"
print("resumed run equals the uninterrupted one")
PY
