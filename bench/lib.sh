# Shell functions shared by bench/run and bench/soak; sourced, not run (see bench/README.md).
#
# The caller sets ROOT, BIN, LUA_DIR, RUN_DIR, THREADS, CONNECTIONS, REGISTRANTS,
# BY_ID_SAMPLE, READY_TIMEOUT_S and KEEP_SCRATCH (1: keep RUN_DIR), and BENCH_PG_URL when it
# uses PostgreSQL. LOG_TAG names the script in log lines (default "bench"). A function named
# cleanup_hook, if the caller defines one, runs first when the script exits.

SERVER_PID=""
PG_DB=""
CURRENT_DIR=""

log() { printf '[%s %(%H:%M:%S)T] %s\n' "${LOG_TAG:-bench}" -1 "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

stop_server() {
    [[ -n $SERVER_PID ]] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            log "server $SERVER_PID did not stop on TERM; killing it"
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

drop_pg_db() {
    [[ -n $PG_DB ]] || return 0
    psql "$BENCH_PG_URL/postgres" -qAtX -v ON_ERROR_STOP=1 \
        -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 ||
        log "could not drop database $PG_DB; drop it by hand"
    PG_DB=""
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [[ $(type -t cleanup_hook) == function ]] && cleanup_hook
    stop_server
    drop_pg_db
    if [[ $rc -ne 0 && -n $CURRENT_DIR && -f $CURRENT_DIR/server.log ]]; then
        log "last lines of the server log:"
        tail -n 20 "$CURRENT_DIR/server.log" >&2 || true
    fi
    if [[ $KEEP_SCRATCH == 1 ]]; then
        log "scratch data kept in $RUN_DIR"
    else
        rm -rf "$RUN_DIR"
        rmdir "$ROOT/bench/out" 2>/dev/null || true
    fi
    exit "$rc"
}

# Stops the server and removes scratch data on every exit, also on errors and Ctrl-C.
install_traps() {
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

require_tools() { # TOOL...
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "$tool is missing (Debian: apt-get install -y $tool)"
    done
}

# "10s" / "2m" → seconds on stdout; fails on anything else.
duration_s() {
    [[ $1 =~ ^([0-9]+)([sm]?)$ ]] || return 1
    if [[ ${BASH_REMATCH[2]} == m ]]; then echo $((10#${BASH_REMATCH[1]} * 60)); else echo "${BASH_REMATCH[1]}"; fi
}

build_release() {
    log "building the release binary"
    cargo build --release --quiet
    [[ -x $BIN ]] || die "no binary at $BIN"
}

# Creates RUN_DIR and opens fd 9 on a FIFO in it, for nap.
open_run_dir() {
    mkdir -p "$RUN_DIR"
    mkfifo "$RUN_DIR/tick"
    exec 9<>"$RUN_DIR/tick" # `read -t` on this never gets data: a sleep without a fork
}

# Sleeps for a fraction of a second without starting a process.
nap() { read -r -t "$1" -u 9 _ || true; }

free_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 30000))
        if ! { : >/dev/tcp/127.0.0.1/"$p"; } 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    die "no free port found"
}

# 0 when GET /readyz answers 200; raw HTTP over bash's /dev/tcp, so a probe costs no fork.
probe_ready() {
    local line=""
    {
        printf 'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&8
        IFS= read -r -t 2 line <&8
    } 2>/dev/null 8<>"/dev/tcp/127.0.0.1/$PORT" || return 1
    [[ $line == "HTTP/1.1 200"* ]]
}

# The environment every command of the binary runs with (set by new_dataset). Variables a
# local .env could set are pinned here, empty meaning the built-in default.
server_env_for() {
    SERVER_ENV=(DATABASE_URL="$DATABASE_URL" BIND_ADDR="127.0.0.1:$PORT" APP_ENV=production
        JWT_SECRET="$JWT_SECRET" RUST_LOG=warn AUTH_RATE_LIMIT_PER_MINUTE=1000000
        ACCESS_TOKEN_TTL_SECS=86400 REFRESH_TOKEN_TTL_DAYS= CORS_ALLOWED_ORIGINS=
        JWT_ISSUER= JWT_AUDIENCE= DATABASE_POOL_SIZE= DATABASE_POOL_TIMEOUT_MS= WORKERS=
        # Every create/submit/approve writes its outbox rows as in production; the mail goes
        # to .eml files in the run's folder. The registrants signed up through the API submit
        # without opening their verification mail.
        SMTP_URL= MAIL_TRANSPORT=files MAIL_DIR="$CURRENT_DIR/mail" MAIL_FROM= FRONTEND_BASE_URL=
        REQUIRE_EMAIL_VERIFICATION=false OUTBOX_MAX_ATTEMPTS= OUTBOX_POLL_MS= OUTBOX_BACKOFF_BASE_MS=
        OUTBOX_LEASE_SECS= DIGEST_INTERVAL_MINUTES= MODERATION_SLA_HOURS= MAIL_RATE_LIMIT_PER_ADDRESS_PER_HOUR=)
}

# Runs SQL against the current database; rows come out with fields separated by spaces.
db_query() {
    case $BACKEND in
    sqlite) sqlite3 -readonly -separator ' ' "$DB_FILE" "$1" ;;
    postgres) psql "$DATABASE_URL" -qAtX -F ' ' -v ON_ERROR_STOP=1 -c "$1" ;;
    esac
}

db_size_mib() {
    local bytes
    case $BACKEND in
    sqlite) bytes=$(cat "$DB_FILE" "$DB_FILE"-wal 2>/dev/null | wc -c) ;;
    postgres) bytes=$(db_query "SELECT pg_database_size(current_database())") ;;
    esac
    awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 }'
}

api() { # METHOD PATH [BODY] [TOKEN]  → body on stdout, fails on a non-2xx
    local args=(-sS --fail-with-body --max-time 30 -X "$1" "http://127.0.0.1:$PORT$2")
    [[ -n ${3:-} ]] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    [[ -n ${4:-} ]] && args+=(-H "Authorization: Bearer $4")
    curl "${args[@]}"
}

login() { # EMAIL PASSWORD → access token
    api POST /api/v1/auth/login "$(jq -nc --arg e "$1" --arg p "$2" '{email: $e, password: $p}')" |
        jq -er .access_token
}

# A field of the server's /proc/PID/status in KiB (VmRSS, VmHWM, …).
server_kib() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$SERVER_PID/status"; }

# Converts wrk's latency ("812.00us", "1.25ms", "1.02s", "1.50m") to milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.3f", n }'
}

fmt_ms() { # milliseconds → "0.41 ms" / "12.3 ms" / "1,234 ms"
    awk -v n="$1" 'BEGIN {
        if (n < 10) printf "%.2f ms", n; else if (n < 100) printf "%.1f ms", n; else printf "%.0f ms", n }'
}

kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

fmt_int() { awk -v n="$1" 'BEGIN { printf "%.0f", n }'; }

group() { # 1234567 → 1,234,567
    local n=$1 out=""
    while ((${#n} > 3)); do
        out=",${n: -3}$out"
        n=${n:0:${#n}-3}
    done
    echo "$n$out"
}

# wrk with the suite's fixed shape. NAME URL_PATH [wrk options...]; the raw output is kept
# in $CURRENT_DIR/NAME.wrk. Extra environment for the Lua scripts comes from the caller.
run_wrk() {
    local name=$1 path=$2 perf_pid=""
    shift 2
    # BENCH_PROFILE=approve,create_submit records the server with perf during those
    # scenarios (call graphs, to bench/out/perf-NAME.data; read with `perf report -i`).
    if [[ ,${BENCH_PROFILE:-}, == *,"$name",* ]]; then
        # BENCH_PERF_OPTS="-a …" records every process (threads the server starts later too).
        local target=(-p "$SERVER_PID")
        [[ " ${BENCH_PERF_OPTS:-} " == *" -a "* ]] && target=()
        perf record -q ${BENCH_PERF_OPTS:--g} "${target[@]}" -o "$ROOT/bench/out/perf-$name.data" >/dev/null 2>&1 &
        perf_pid=$!
    fi
    BENCH_LUA_DIR="$LUA_DIR" BENCH_THREADS=$THREADS \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WRK_DURATION:-$BENCH_DURATION}" --latency "$@" \
        "http://127.0.0.1:$PORT$path" >"$CURRENT_DIR/$name.wrk" 2>&1 ||
        die "wrk failed for $name: $(tail -n 5 "$CURRENT_DIR/$name.wrk")"
    if [[ -n $perf_pid ]]; then
        kill -INT "$perf_pid" 2>/dev/null || true
        wait "$perf_pid" 2>/dev/null || true
    fi
    grep -q '^Requests/sec:' "$CURRENT_DIR/$name.wrk" ||
        die "wrk printed no result for $name: $(tail -n 5 "$CURRENT_DIR/$name.wrk")"
}

# Parses a wrk output file into global variables.
parse_wrk() {
    local f=$1
    W_RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$f")
    W_TOTAL=$(awk '/ requests in / { print $1; exit }' "$f")
    W_NON2XX=$(awk '/^ *Non-2xx or 3xx responses:/ { print $NF }' "$f")
    W_NON2XX=${W_NON2XX:-0}
    W_P50=$(to_ms "$(awk '$1 == "50%" { print $2; exit }' "$f")")
    W_P99=$(to_ms "$(awk '$1 == "99%" { print $2; exit }' "$f")")
    W_SOCKET=$(awk -F'errors: ' '/Socket errors:/ { print $2 }' "$f")
    W_DISTINCT=$(awk '$1 == "bench:" && $2 == "distinct" { print $3 }' "$f")
    W_GENERATED=$(awk '$1 == "bench:" && $2 == "generated" { print $3 }' "$f")
    W_EXHAUSTED=$(awk '$1 == "bench:" && $2 == "exhausted" { print $3 }' "$f")
    W_STATUSES=$(awk '$1 == "bench:" && $2 == "status" && ($3 < 200 || $3 > 299) { printf "%s%s×%s", sep, $4, $3; sep = ", " }' "$f")
    # Only 2xx answers count: wrk's Requests/sec counts every completed response.
    W_OK_RPS=$(awk -v r="$W_RPS" -v t="$W_TOTAL" -v e="$W_NON2XX" 'BEGIN { printf "%.1f", (t > 0 ? r * (t - e) / t : 0) }')
    W_OK=$((W_TOTAL - W_NON2XX))
}

# ---------------------------------------------------------------------------------------
# one data set: a fresh database, the server on it, and the accounts the load uses

# Sets CURRENT_DIR, PORT, JWT_SECRET, BACKEND_LABEL, DATABASE_URL (and DB_FILE or PG_DB,
# creating the PostgreSQL database) and SERVER_ENV for BACKEND SIZE.
new_dataset() { # BACKEND SIZE
    BACKEND=$1
    SIZE=$2
    CURRENT_DIR="$RUN_DIR/$BACKEND-$SIZE"
    mkdir -p "$CURRENT_DIR"
    PORT=$(free_port)
    JWT_SECRET=$(head -c 36 /dev/urandom | base64 | tr '+/' '-_')
    case $BACKEND in
    sqlite)
        BACKEND_LABEL=SQLite
        DB_FILE="$CURRENT_DIR/registry.db"
        DATABASE_URL="sqlite://$DB_FILE"
        ;;
    postgres)
        BACKEND_LABEL=PostgreSQL
        PG_DB="bench_$$_$SIZE"
        psql "$BENCH_PG_URL/postgres" -qAtX -v ON_ERROR_STOP=1 \
            -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
        DATABASE_URL="$BENCH_PG_URL/$PG_DB"
        ;;
    esac
    server_env_for
}

# seed-demo --activities SIZE (migrations included); its wall time goes to SEED_S.
seed_db() {
    log "  seeding"
    local t0 t1
    t0=$EPOCHREALTIME
    (cd "$CURRENT_DIR" && env "${SERVER_ENV[@]}" "$BIN" seed-demo --activities "$SIZE") >"$CURRENT_DIR/seed.log" 2>&1 ||
        die "seed-demo failed: $(tail -n 5 "$CURRENT_DIR/seed.log")"
    t1=$EPOCHREALTIME
    SEED_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    log "  $(tail -n 1 "$CURRENT_DIR/seed.log")"
}

# create-admin with a fresh password (ADMIN_PW) on stdin.
create_admin() {
    ADMIN_PW="bench-admin-$RANDOM$RANDOM"
    printf '%s' "$ADMIN_PW" | (cd "$CURRENT_DIR" && env "${SERVER_ENV[@]}" "$BIN" create-admin --email bench-admin@example.jp) \
        >"$CURRENT_DIR/admin.log" 2>&1 || die "create-admin failed: $(cat "$CURRENT_DIR/admin.log")"
}

# Starts `serve` (SERVER_PID) and waits for the first 200 from /readyz, polled every 5 ms;
# sets READY_MS (spawn to ready) and RSS_READY_KB.
start_server() {
    log "  starting the server on 127.0.0.1:$PORT"
    cd "$CURRENT_DIR"
    local t0 t1 start_s
    t0=$EPOCHREALTIME
    start_s=${t0%.*}
    # A simple command, so $! is the server itself (env execs it), not a subshell.
    env "${SERVER_ENV[@]}" "$BIN" serve >"$CURRENT_DIR/server.log" 2>&1 &
    SERVER_PID=$!
    cd "$ROOT"
    until probe_ready; do
        kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited during start-up"
        ((${EPOCHREALTIME%.*} - start_s <= READY_TIMEOUT_S)) || die "the server was not ready after ${READY_TIMEOUT_S}s"
        nap 0.005
    done
    t1=$EPOCHREALTIME
    READY_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
    [[ $(readlink "/proc/$SERVER_PID/exe") == "$BIN"* ]] || die "process $SERVER_PID is not the server"
    RSS_READY_KB=$(server_kib VmRSS)
    log "  ready after $READY_MS ms"
}

# Logs in as the admin, creates a moderator (MOD_TOKEN) and registers REGISTRANTS
# organizations: lines "account_id access_token" in $RUN_DIR/tokens, their quoted ids,
# comma-separated, in REG_IN.
setup_accounts() {
    log "  accounts: admin, moderator, $REGISTRANTS registrants"
    local admin_token mod_pw reg_pw i reg ids_in=()
    mod_pw="bench-moderator-$RANDOM$RANDOM"
    reg_pw="bench-registrant-$RANDOM$RANDOM"
    admin_token=$(login bench-admin@example.jp "$ADMIN_PW")
    api POST /api/v1/admin/accounts "$(jq -nc --arg p "$mod_pw" \
        '{email: "bench-moderator@example.jp", password: $p, role: "moderator", display_name: "ベンチ モデレーター"}')" \
        "$admin_token" >/dev/null
    MOD_TOKEN=$(login bench-moderator@example.jp "$mod_pw")
    : >"$RUN_DIR/tokens"
    for i in $(seq "$REGISTRANTS"); do
        reg=$(api POST /api/v1/auth/register "$(jq -nc --arg p "$reg_pw" --arg e "bench-registrant-$i@example.jp" \
            --arg n "ベンチ株式会社 $i" '{email: $e, password: $p, kind: "organization", display_name: $n, prefecture: "13", industry: "G"}')")
        jq -er '"\(.account.id) \(.access_token)"' <<<"$reg" >>"$RUN_DIR/tokens"
        ids_in+=("'$(jq -er .account.id <<<"$reg")'")
    done
    REG_IN=$(
        IFS=,
        echo "${ids_in[*]}"
    )
}

# BY_ID_SAMPLE random approved ids, one per line, into FILE (for lua/by_id.lua).
sample_approved_ids() { # FILE
    db_query "SELECT id FROM activities WHERE status = 'approved' ORDER BY random() LIMIT $BY_ID_SAMPLE" >"$1"
    [[ -s $1 ]] || die "no approved activities to read by id"
}

# What a report says about where it ran: MACHINE_COMMIT, MACHINE_CPU, WRK_VERSION.
describe_machine() {
    MACHINE_COMMIT=$(git -C "$ROOT" describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
    MACHINE_CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    WRK_VERSION=$(wrk -v 2>&1 | head -n 1 | sed 's/ Copyright.*//' || true)
}
