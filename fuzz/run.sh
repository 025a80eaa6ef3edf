#!/usr/bin/env bash
# Runs clawauth's libFuzzer targets (nightly toolchain; the workspace itself stays on stable): each target for SECONDS on a temporary copy of its committed corpus
# (fuzz/corpus/<target>, never written to), then its inputs at the reader's size cap, each of
# which must finish within a second of CPU time. Fails on any finding: a panic (overflow checks are on), a
# broken property, an input slower than the timeout, or more memory than the limit. Findings
# are kept in fuzz/artifacts/<target>/ (ignored by git); replay one with
#   fuzz/target/<host>/release/<target> fuzz/artifacts/<target>/<file>
# The targets are built as `cargo fuzz build -O -a -s none` builds them (the same RUSTFLAGS, so
# cargo-fuzz, when installed, reuses the build), without needing cargo-fuzz itself.
#
#   fuzz/run.sh [SECONDS] [TARGET…]     default: 60 s each, every target
#
# Environment: FUZZ_RSS_MB (memory limit, default 512), FUZZ_TIMEOUT (seconds one input may
# take, default 2), FUZZ_CAP_SECONDS (CPU seconds an input at the size cap may take, default
# 1), FUZZ_EXTRA (more libFuzzer flags, e.g. "-fork=2" for a long campaign),
# FUZZ_CORPUS_OUT (a directory outside the repo that keeps each target's grown corpus),
# FUZZ_BUILD_ONLY=1 (build the targets and stop), FUZZ_QUICK_BUILD=1 (CI's regression run:
# the same instrumentation at opt-level 1 with parallel codegen and no debug info — 3.5 min to
# build from scratch on 2 cores instead of 8.5 — and a cap budget of 2 s; a campaign uses the
# default build).
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
shift || true
rss=${FUZZ_RSS_MB:-512}
timeout=${FUZZ_TIMEOUT:-2}
# The quick build (FUZZ_QUICK_BUILD=1, CI) runs its targets about 1.6 times slower than the
# campaign's build (companion_toml many-hosts: 0.64 s → 1.03 s): twice the budget there.
if [ "${FUZZ_QUICK_BUILD:-}" = 1 ]; then cap_cpu=${FUZZ_CAP_SECONDS:-2}; else cap_cpu=${FUZZ_CAP_SECONDS:-1}; fi

say() { printf '==> %s\n' "$*" >&2; }

all=(companion_toml durations external_creds gateway_report gateway_state known_hosts legacy_splice models_status ntfy_responses remote_probe ssh_config terminal_scan)
if (($#)); then targets=("$@"); else targets=("${all[@]}"); fi
for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "error: unknown fuzz target '$t'" >&2; echo "hint: one of: ${all[*]}" >&2; exit 2; }
done

# The largest input each target is fuzzed with: the reader's own size cap, at most 1 MiB (the
# at-the-cap inputs below cover the larger caps).
max_len() {
  case $1 in
    terminal_scan) echo $((256 * 1024 + 4)) ;; # reauth::scan::MAX_BYTES
    durations) echo 4096 ;;
    ntfy_responses) echo $((64 * 1024 + 64)) ;; # monitor::http::BODY_CAP
    remote_probe) echo $((64 * 1024 + 4)) ;; # the probe's output cap
    *) echo $((1024 * 1024 + 4)) ;;
  esac
}

# `yes LINE` cut at N bytes (LINE repeated with newlines), or without the newlines.
lines() { yes -- "$1" | head -c "$2" || true; }
run_of() { yes -- "$1" | tr -d '\n' | head -c "$2" || true; }

# Inputs at the reader's size cap, in the CAP form (see fuzz_targets/common.rs: only what
# clawauth does with them runs, so the time is the reader's): the shapes that once took time
# growing faster than the input, and plain big documents.
cap_inputs() {
  local t=$1 dir=$2
  mkdir -p "$dir"
  raw() { { printf 'CAP\0'; cat; } > "$dir/$1"; }
  local k=1024
  case $t in
    terminal_scan)
      run_of 'https://' $((256 * k - 8)) | raw back-to-back-urls
      lines $'https://a\r' $((256 * k - 8)) | raw rows-of-urls
      { printf 'https://example.com/a'; run_of ')' $((256 * k - 32)); } | raw closing-parens
      { printf 'x'; run_of $'\t' $((256 * k - 16)); } | raw tabs
      { printf '\033]8;;https://'; run_of a $((16 * k)); printf '\a'; run_of $'\033]\a\033]\033x' $((240 * k)); } | raw osc
      run_of $'sk-ant-oat01-\033[1B' $((256 * k - 8)) | raw tokens
      run_of $'\033[256C' $((256 * k - 8)) | raw cursor-forward
      lines $'URL: https://github.com/login/device\r\nCode: ABCD-1234\r' $((256 * k - 8)) | raw device-codes
      ;;
    ssh_config)
      lines $'Host gw gw-* *.lan !printer.lan\n  HostName %h.example.net\n  IdentityFile ~/.ssh/id_%r@%h\n  Port 22' $((1024 * k - 8)) | raw big-config
      { printf 'Host '; run_of '*a' $((1024 * k - 16)); } | raw long-pattern
      { printf 'Host gw\n  HostName '; run_of '%h' $((1024 * k - 32)); printf '\n'; } | raw host-name-escapes
      ;;
    known_hosts)
      lines 'gw,*,!other ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsFHAKsGz1X4ESwTh1Syu8oGTSMeTTmOW+j0hLBnFZ5' $((4 * 1024 * k - 8)) | raw plain-4mib
      lines '|1|BiC62sVkzgAXwXn+q8s1V46AE8g=|6XUrBzvYDvrYe24t8fISxOnkN3k= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsFHAKsGz1X4ESwTh1Syu8oGTSMeTTmOW+j0hLBnFZ5' $((4 * 1024 * k - 8)) | raw hashed-4mib
      ;;
    legacy_splice)
      { printf '{"version": 1,\n'; run_of ' ' $((1024 * k)); printf '"profiles": {"anthropic:claude-cli": {"x": '; run_of '[' 200; run_of ']' 200; printf '}, '; lines '"a:b": {"type": "token", "token": "t", "n": [1, 2, {"c": null}]},' $((7 * 1024 * k)); printf '"z": {}}}\n'; } | raw store-8mib
      ;;
    companion_toml)
      awk 'BEGIN { printf "[defaults]\ndeadline = \"2m\"\n"; for (i = 0; i < 19000; i++) printf "[hosts.h%d]\nssh = \"pi@gateway.lan\"\nagent = \"main\"\n# comment\n", i }' | raw many-hosts
      ;;
    durations)
      run_of '1h' 4000 | raw long-duration
      ;;
    gateway_state)
      # Sections: `name\ncontent`, NUL between them (see make-seeds.py).
      sec() { printf '%s\n' "$1"; cat; printf '\0'; }
      { { printf '{a: "'; run_of '${' $((2 * 1024 * k - 16)); printf '"}'; } | sec config; } | raw unclosed-substitutions-2mib
      { { printf '{$include: "./inc.json5", b: "'; run_of '$${A}' $((1024 * k)); printf '"}'; } | sec config
        { printf '{a: "'; run_of '${A ' $((2 * 1024 * k - 16)); printf '"}'; } | sec include; } | raw include-2mib
      { awk 'BEGIN { printf "{\"version\":1,\"profiles\":{"; for (i = 0; i < 60000; i++) printf "%s\"p%d:x\":{\"type\":\"token\",\"provider\":\"p%d\",\"token\":\"sk-FAKE-%0120d\",\"expires\":1795300000000}", (i ? "," : ""), i, i % 300, i; printf "}}" }' | sec store
        awk 'BEGIN { printf "{\"version\":1,\"order\":{"; for (i = 0; i < 300; i++) { printf "%s\"p%d\":[", (i ? "," : ""), i; for (j = 0; j < 200; j++) printf "%s\"p%d:x\"", (j ? "," : ""), j * 300 + i; printf "]" } printf "},\"usageStats\":{"; for (i = 0; i < 60000; i++) printf "%s\"p%d:x\":{\"cooldownUntil\":1795300000000,\"cooldownReason\":\"rate_limit\"}", (i ? "," : ""), i; printf "}}" }' | sec state
        printf '{"location":"state-db"}' | sec shared; } | raw store-near-16mib@4
      ;;
    gateway_report)
      awk 'BEGIN { printf "{\"schema\":1,\"host\":\"gw\",\"taken_at\":\"2026-11-21T10:00:00Z\",\"as_of\":\"2026-11-21T10:00:00Z\",\"warn_after_ms\":86400000,\"verdict\":\"expired\",\"exit_code\":1,\"state_dir\":\"/s\",\"config_path\":\"/c\",\"agents\":[{\"agent\":\"main\",\"source\":\"direct\",\"verdict\":\"expired\",\"models\":{\"fallbacks\":[],\"image_fallbacks\":[]},\"routes\":["; for (i = 0; i < 12000; i++) printf "%s{\"kind\":\"fallback\",\"model\":\"p%d/m\",\"provider\":\"p%d\",\"outcome\":\"expired\",\"profile\":\"p%d:x\",\"detail\":\"\\u001b[2J\"}", (i ? "," : ""), i, i, i; printf "],\"profiles\":["; for (i = 0; i < 12000; i++) printf "%s{\"profile_id\":\"p%d:x\",\"provider\":\"p%d\",\"type\":\"token\",\"status\":\"expired\",\"expires_at_ms\":-9223372036854775808,\"remaining_ms\":-9223372036854775808}", (i ? "," : ""), i, i; printf "],\"providers\":[],\"unusable_profiles\":[]}],\"errors\":[],\"hints\":[]}" }' | head -c $((4 * 1024 * k)) | raw report-4mib
      ;;
    models_status)
      awk 'BEGIN { printf "{\"agentId\":\"main\",\"defaultModel\":\"p0/m\",\"fallbacks\":["; for (i = 0; i < 20000; i++) printf "%s\"p%d/m\"", (i ? "," : ""), i % 500; printf "],\"auth\":{\"oauth\":{\"profiles\":["; for (i = 0; i < 30000; i++) printf "%s{\"profileId\":\"p%d:x%d\",\"provider\":\"p%d\",\"type\":\"token\",\"status\":\"expiring\",\"expiresAt\":1795300000000,\"remainingMs\":3600000}", (i ? "," : ""), i % 500, i, i % 500; printf "]}}}\n" }' | head -c $((8 * 1024 * k)) | raw stdout-8mib
      { run_of '{' $((4 * 1024 * k)); run_of '}' $((4 * 1024 * k - 8)); } | raw braces-8mib
      ;;
    remote_probe)
      { printf 'clawauth-probe 1\n'; lines 'unusable clawauth missing' $((64 * k - 32)); } | raw probe-64kib
      { lines '@@file@@ /a/b' $((12 * 1024 * k)); lines 'QUFBQUFBQUFBQUFBQUFB' $((12 * 1024 * k - 16)); printf '@@end@@\n'; } | raw bundle-24mib
      ;;
    ntfy_responses)
      { printf '{"error":"'; run_of $'\033[2J\u2028' $((64 * k - 16)); printf '"}'; } | raw escapes-64kib
      lines $'\r\033]0;x\a' $((64 * k - 8)) | raw lines-64kib
      ;;
    external_creds)
      sec() { printf '%s\n' "$1"; cat; printf '\0'; }
      { { printf '{"claudeAiOauth":{"accessToken":"'; run_of 'a' $((1024 * k)); printf '","expiresAt":9223372036854775807}}'; } | sec claude
        { printf '{"tokens":{"id_token":"a.'; run_of 'QUFB' $((1024 * k)); printf '.c"}}'; } | sec codex; } | raw big-creds
      ;;
  esac
}

if ! rustc +nightly -vV >/dev/null 2>&1; then
  echo "error: the nightly toolchain is missing (libFuzzer's coverage instrumentation needs it)" >&2
  echo "hint: tests/install-tools.sh installs it (rustup toolchain install nightly --profile minimal)" >&2
  exit 2
fi
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin=target/$host/release
# cargo-fuzz's flags for -O (release, one codegen unit), -a (debug assertions, so overflow
# checks) and -s none (no sanitizer): libFuzzer's coverage counters, comparison tracing and
# stack depth, and `cfg(fuzzing)`.
fuzz_flags=(
  -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table
  -Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-simplifycfg-branch-fold-threshold=0
  --cfg fuzzing -Clink-dead-code -Cllvm-args=-sanitizer-coverage-stack-depth -Cdebug-assertions
  -Ccodegen-units=1
)
profile=(--release --config profile.release.debug=true)
if [ "${FUZZ_QUICK_BUILD:-}" = 1 ]; then
  # CI's regression run (a few seconds per target): the same instrumentation, built for less
  # optimisation time — opt-level 1, parallel codegen, no debug info. A campaign uses the default.
  fuzz_flags=("${fuzz_flags[@]/-Ccodegen-units=1/}")
  profile=(--release --config profile.release.debug=false --config profile.release.opt-level=1)
  say "building the fuzz targets (nightly, quick: opt-level 1, overflow checks)"
else
  say "building the fuzz targets (nightly, release with overflow checks)"
fi
CARGO_FUZZ=1 RUSTFLAGS="${fuzz_flags[*]}${RUSTFLAGS:+ $RUSTFLAGS}" cargo +nightly build --locked \
  --manifest-path Cargo.toml --target "$host" "${profile[@]}" --bins >&2
if [ "${FUZZ_BUILD_ONLY:-}" = 1 ]; then
  say "built; FUZZ_BUILD_ONLY=1, so nothing runs"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/corpus" "artifacts/$t"
  cp -R "corpus/$t/." "$work/$t/corpus/"
  say "$t: fuzzing for $seconds s on its corpus ($(ls "corpus/$t" | wc -l) inputs)"
  # shellcheck disable=SC2086
  if "$bin/$t" "$work/$t/corpus" -dict="dict/$t.dict" -max_total_time="$seconds" \
    -rss_limit_mb="$rss" -malloc_limit_mb="$rss" -timeout="$timeout" -max_len="$(max_len "$t")" \
    -artifact_prefix="artifacts/$t/" -print_final_stats=1 ${FUZZ_EXTRA:-} > "$work/$t.log" 2>&1; then
    grep -E '^#[0-9]+[[:space:]]+DONE|^stat::number_of_executed_units' "$work/$t.log" | sed "s/^/   $t: /" >&2 || true
    say "$t: corpus grew from $(ls "corpus/$t" | wc -l) to $(ls "$work/$t/corpus" | wc -l) inputs"
    if [ -n "${FUZZ_CORPUS_OUT:-}" ]; then
      mkdir -p "$FUZZ_CORPUS_OUT/$t"
      cp -R "$work/$t/corpus/." "$FUZZ_CORPUS_OUT/$t/"
    fi
  else
    tail -n 40 "$work/$t.log" >&2
    failed+=("$t (fuzzing)")
    continue
  fi
  cap_inputs "$t" "$work/$t/cap"
  say "$t: $(ls "$work/$t/cap" | wc -l) inputs at the size cap, each within $cap_cpu s of CPU"
  for f in "$work/$t/cap"/*; do
    # CPU time, not wall time: the machine may be shared; the wall-clock timeout is a hang guard.
    TIMEFORMAT='%3U %3S'
    if ! { time "$bin/$t" -timeout=60 -rss_limit_mb="$rss" -malloc_limit_mb="$rss" \
      -artifact_prefix="artifacts/$t/" "$f" > "$work/$t.cap.log" 2>&1; } 2> "$work/$t.cap.time"; then
      tail -n 20 "$work/$t.cap.log" >&2
      failed+=("$t (at the size cap: $(basename "$f"))")
      continue
    fi
    cpu=$(awk '{ printf "%.3f", $1 + $2 }' "$work/$t.cap.time")
    # An input named NAME@N may take N times the budget: the fuzz build is instrumented (about
    # four times slower than a release build), and a 16 MiB store is parsed and evaluated whole;
    # its release-build figure is the benchmark's (tests/bench.sh --evaluation-only).
    budget=$cap_cpu
    case $(basename "$f") in *@*) budget=$(awk -v c="$cap_cpu" -v n="${f##*@}" 'BEGIN { print c * n }') ;; esac
    printf '   %s: %s in %s s of CPU (budget %s s)\n' "$t" "$(basename "$f")" "$cpu" "$budget" >&2
    if awk -v c="$cpu" -v max="$budget" 'BEGIN { exit !(c > max) }'; then
      cp "$f" "artifacts/$t/slow-at-cap-$(basename "$f")"
      failed+=("$t (at the size cap: $(basename "$f") took $cpu s)")
    fi
  done
done

if ((${#failed[@]})); then
  echo "error: fuzzing found problems in: ${failed[*]}" >&2
  echo "hint: the inputs are in fuzz/artifacts/; replay one with: fuzz/$bin/TARGET fuzz/artifacts/TARGET/FILE" >&2
  exit 1
fi
say "fuzzing: ${#targets[@]} targets, no findings"
