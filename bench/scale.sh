# The PostgreSQL scale-out scenario, sourced by bench/run: 1, 2 and 4 server processes
# listening on one port with BIND_REUSE_PORT=true (the kernel spreads wrk's connections over
# them), warmed up for 5 s × N, then measured with reads alone and with reads and writes
# mixed (lua/scale.lua).
# Correctness of the mixed run: no answer but 2xx, and every create and submit that was
# answered 201/200 is in the database afterwards (a lost write would be missing there).

SCALE_PIDS=()

stop_scale() {
    local pid
    for pid in "${SCALE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${SCALE_PIDS[@]}"; do
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    SCALE_PIDS=()
}

# Starts N processes on $PORT and waits until each has said it listens and /readyz answers.
start_scale() { # N
    local i start_s=${EPOCHREALTIME%.*}
    cd "$CURRENT_DIR"
    # As an operator would: the cores shared out, at least one worker each.
    local workers=$(($(nproc) / $1))
    ((workers > 0)) || workers=1
    for i in $(seq "$1"); do
        env "${SERVER_ENV[@]}" BIND_REUSE_PORT=true WORKERS=$workers "$BIN" serve >"$CURRENT_DIR/scale-$1-$i.log" 2>&1 &
        SCALE_PIDS+=($!)
    done
    cd "$ROOT"
    for i in $(seq "$1"); do
        until grep -q 'listening on' "$CURRENT_DIR/scale-$1-$i.log" 2>/dev/null; do
            kill -0 "${SCALE_PIDS[$((i - 1))]}" 2>/dev/null || die "scale-out process $i of $1 exited: $(tail -n 5 "$CURRENT_DIR/scale-$1-$i.log")"
            ((${EPOCHREALTIME%.*} - start_s <= READY_TIMEOUT_S)) || die "scale-out process $i of $1 was not ready"
            nap 0.05
        done
    done
    until probe_ready; do
        ((${EPOCHREALTIME%.*} - start_s <= READY_TIMEOUT_S)) || die "the scale-out processes were not ready"
        nap 0.05
    done
}

# The registrants' activities created since MARK, by status: "drafts pending".
scale_counts() { # MARK
    db_query "SELECT count(*) FILTER (WHERE status = 'draft'), count(*) FILTER (WHERE status = 'pending')
              FROM activities WHERE account_id IN ($REG_IN) AND created_at >= '$1'"
}

scale_out() {
    local n one_read="" mark counts drafts pending created submitted lost
    for n in 1 2 4; do
        log "  scale-out: $n process(es) on port $PORT"
        start_scale "$n"
        # Unmeasured: every process fills its own response cache, as a long-running one
        # would have; the measured runs then compare steady states. N processes share the
        # requests, so each gets 5 s × N: every process sees as many as one alone in 5 s
        # (with 5 s for all, each of 2 processes had seen about 57 % of the ~24k URLs, one
        # alone 81 %, and the comparison measured the difference in warmth).
        BENCH_IDS="$RUN_DIR/approved-ids" BENCH_WRITE_PERCENT=0 WRK_DURATION="$((5 * n))s" \
            run_wrk "scale-$n-warm" /api/v1/public/activities -s "$LUA_DIR/scale.lua"
        BENCH_IDS="$RUN_DIR/approved-ids" BENCH_WRITE_PERCENT=0 \
            run_wrk "scale-$n-reads" /api/v1/public/activities -s "$LUA_DIR/scale.lua"
        parse_wrk "$CURRENT_DIR/scale-$n-reads.wrk"
        local reads_rps=$W_OK_RPS reads_p99=$W_P99 reads_bad=$W_NON2XX
        [[ -n $one_read ]] || one_read=$reads_rps
        mark=$(db_query "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')")
        BENCH_IDS="$RUN_DIR/approved-ids" BENCH_TOKENS="$RUN_DIR/tokens" BENCH_WRITE_PERCENT=10 \
            run_wrk "scale-$n-mixed" /api/v1/public/activities -s "$LUA_DIR/scale.lua"
        parse_wrk "$CURRENT_DIR/scale-$n-mixed.wrk"
        settle
        created=$(awk '$1 == "bench:" && $2 == "created" { print $3 }' "$CURRENT_DIR/scale-$n-mixed.wrk")
        submitted=$(awk '$1 == "bench:" && $2 == "submitted" { print $3 }' "$CURRENT_DIR/scale-$n-mixed.wrk")
        [[ -n $created && -n $submitted ]] || die "scale-$n-mixed printed no created/submitted counts"
        counts=$(scale_counts "$mark")
        read -r drafts pending <<<"$counts"
        # Answered creates missing from the database, and answered submits not pending there.
        lost=$(awk -v c="$created" -v s="$submitted" -v d="$drafts" -v p="$pending" \
            'BEGIN { l = (c - (d + p)); l = l > 0 ? l : 0; m = s - p; m = m > 0 ? m : 0; print l + m }')
        stop_scale
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s |\n' "$(group "$SIZE")" "$n" \
            "$(fmt_int "$reads_rps")" "$(awk -v a="$reads_rps" -v b="$one_read" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" \
            "$(fmt_ms "$reads_p99")" "$reads_bad" "$(fmt_int "$W_OK_RPS")" "$(fmt_ms "$W_P99")" \
            "${W_STATUSES:-none}" "$(group "$created")" "$(group "$submitted")" "$lost" >>"$RUN_DIR/scale.md"
    done
}
