# shellcheck shell=bash
# Shared by the test scripts (bindings/kotlin/run-tests.sh, android-widget/check-app.sh): `say`
# and `die` on stderr, and phase timings — each phase's wall time printed when it ends
# (`phase NAME` … `phase_done [NOTE]`) and again in a table (`print_timings`).

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

timings=()
phase_name=""
phase_start=0
now_ms() { local t=${EPOCHREALTIME/./}; echo $((10#$t / 1000)); }
phase() { phase_name=$1; phase_start=$(now_ms); say "$1"; }
phase_done() {
  local ms=$(($(now_ms) - phase_start)) line
  line=$(printf '%5d.%01d s  %s%s' $((ms / 1000)) $((ms % 1000 / 100)) "$phase_name" "${1:+ ($1)}")
  timings+=("$line")
  say "$line"
}
print_timings() { say "phase timings:"; printf '    %s\n' "${timings[@]}" >&2; }
