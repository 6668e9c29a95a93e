#!/usr/bin/env bash
# A Neo4j Community test server for the Neo4j tests, without Docker (issue 12).
#
#   eval "$(bash .ci/neo4j.sh)"     # start (or reuse) the server; exports NEO4J_URI and NEO4J_AUTH
#   bash .ci/neo4j.sh status        # exit 0 and print the export lines when it is running
#   bash .ci/neo4j.sh stop          # stop it (the store stays: a restart finds the same graph)
#
# The server is tests/neo4j_server (neo4j-harness from Maven Central, run with `java -cp`),
# built on first use into tests/neo4j_server/target/ (ignored by git; the jars come from
# ~/.m2, so later builds are offline and take seconds). Neo4j is GPLv3: it stays this
# external test process and is never part of the wheel.
#
# One server per state folder, LINEAGE_NEO4J_DIR (default /tmp/lineage-neo4j): calling this
# again while it runs prints the same lines, so several test runs on one machine share one
# server; the test fixtures take a per-test lock on it and empty the graph first (see
# tests/conftest.py). Want your own server? Set LINEAGE_NEO4J_DIR to your own folder.
# Other settings, read when the server starts:
#   LINEAGE_NEO4J_PORT      Bolt port on 127.0.0.1 (default: a free one)
#   LINEAGE_NEO4J_PASSWORD  turn auth on, user neo4j with this password (default: auth off)
#   LINEAGE_NEO4J_HEAP      the JVM's -Xmx (default 768m)
#   LINEAGE_NEO4J_SETTINGS  more neo4j.conf settings, key=value;key=value
#   LINEAGE_NEO4J_START_TIMEOUT  seconds to wait for Bolt (default 300)
# Messages go to standard error; only the export lines go to standard output.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
SERVER="$REPO/tests/neo4j_server"
STATE="${LINEAGE_NEO4J_DIR:-/tmp/lineage-neo4j}"
PIDFILE="$STATE/pid"
URIFILE="$STATE/uri"
AUTHFILE="$STATE/auth"
LOG="$STATE/server.log"

say() { echo "neo4j.sh: $*" >&2; }

bolt_answers() {  # bolt_answers bolt://host:port
    local hostport="${1#*://}"
    (exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}") 2>/dev/null
}

running() {  # the recorded server is alive and its Bolt port answers
    [[ -s "$PIDFILE" && -s "$URIFILE" ]] || return 1
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || return 1
    bolt_answers "$(cat "$URIFILE")"
}

print_exports() {
    echo "export NEO4J_URI='$(cat "$URIFILE")'"
    echo "export NEO4J_AUTH='$(cat "$AUTHFILE")'"
}

build() {
    local classes="$SERVER/target/classes/lineage/TestNeo4jServer.class"
    if [[ -f "$classes" && -d "$SERVER/target/dependency" && "$classes" -nt "$SERVER/pom.xml" \
          && "$classes" -nt "$SERVER/src/main/java/lineage/TestNeo4jServer.java" ]]; then
        return 0
    fi
    command -v mvn >/dev/null || { say "Maven (mvn) is needed to build the test server: apt-get install maven"; exit 1; }
    say "building the Neo4j test server (the first build downloads neo4j-harness into ~/.m2)"
    local started=$SECONDS
    mvn -B -q -f "$SERVER/pom.xml" compile dependency:copy-dependencies >&2
    say "built in $((SECONDS - started)) s"
}

start() {
    if running; then
        print_exports
        return 0
    fi
    build
    command -v java >/dev/null || { say "Java 17+ is needed to run the test server"; exit 1; }
    rm -f "$PIDFILE" "$URIFILE"
    local password="${LINEAGE_NEO4J_PASSWORD:-}"
    if [[ -n "$password" ]]; then
        (umask 077 && echo "neo4j/$password" > "$AUTHFILE")
    else
        echo "none" > "$AUTHFILE"
    fi
    say "starting Neo4j (state in $STATE, log $LOG)"
    : > "$STATE/server.out"  # exists before the loop reads it (the background redirect opens it later)
    LINEAGE_NEO4J_HOME="$STATE/home" LINEAGE_NEO4J_PORT="${LINEAGE_NEO4J_PORT:-0}" \
        LINEAGE_NEO4J_PASSWORD="$password" \
        setsid nohup java "-Xmx${LINEAGE_NEO4J_HEAP:-768m}" -XX:+UseSerialGC \
        -cp "$SERVER/target/classes:$SERVER/target/dependency/*" lineage.TestNeo4jServer \
        > "$STATE/server.out" 2> "$LOG" < /dev/null 9>&- &
    local pid=$!
    echo "$pid" > "$PIDFILE"
    local deadline=$((SECONDS + ${LINEAGE_NEO4J_START_TIMEOUT:-300}))
    while (( SECONDS < deadline )); do
        if ! kill -0 "$pid" 2>/dev/null; then
            say "the server exited while starting; the end of $LOG:"
            tail -n 20 "$LOG" >&2
            rm -f "$PIDFILE"
            exit 1
        fi
        local uri
        uri="$(sed -n 's/^NEO4J_URI=//p' "$STATE/server.out" 2>/dev/null || true)"
        if [[ -n "$uri" ]] && bolt_answers "$uri"; then
            echo "$uri" > "$URIFILE"
            say "Neo4j answers at $uri (pid $pid)"
            print_exports
            return 0
        fi
        sleep 1
    done
    say "Bolt did not answer within ${LINEAGE_NEO4J_START_TIMEOUT:-300} s; stopping it (log: $LOG)"
    kill "$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
    exit 1
}

stop() {
    if [[ ! -s "$PIDFILE" ]]; then
        say "no server recorded in $STATE"
        return 0
    fi
    local pid
    pid="$(cat "$PIDFILE")"
    if kill "$pid" 2>/dev/null; then
        for _ in $(seq 120); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    fi
    rm -f "$PIDFILE" "$URIFILE"
    say "stopped (pid $pid; the store stays in $STATE/home)"
}

mkdir -p "$STATE"
exec 9>"$STATE/lock"
flock 9  # one caller at a time starts or stops the server of this folder
case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) running && print_exports ;;
    *) say "usage: $0 [start|stop|status]"; exit 2 ;;
esac
