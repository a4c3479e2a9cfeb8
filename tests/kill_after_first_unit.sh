# Sourced by the kill-and-resume tests. kill_after_first_unit UNITS_DIR LOG COMMAND...: runs COMMAND in
# the background with its output in LOG, kills it (SIGKILL) as soon as a finished unit (*.json) appears
# in UNITS_DIR, and sets `finished` to the number of units written by then. Fails when the run ends
# before it could be killed, or no unit appears within 60 s.
kill_after_first_unit() {
  local units=$1 log=$2
  shift 2
  "$@" > "$log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 1200); do
    if compgen -G "$units/*.json" > /dev/null; then break; fi
    kill -0 "$pid" 2> /dev/null || { echo "the run ended before it could be killed"; return 1; }
    sleep 0.05
  done
  kill -9 "$pid"
  wait "$pid" || true
  finished=$(ls "$units"/*.json | wc -l)
}
