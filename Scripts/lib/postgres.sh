# Shared by Scripts/test and Scripts/bench-intake: a throwaway PostgreSQL cluster on a free
# loopback port, run as an unprivileged user, removed on exit. Source it, then call
# `pg_start [extra server options]`; it exports PG_URL (postgres://mailhook@127.0.0.1:PORT/postgres).

log() { printf '==> %s\n' "$*" >&2; }

pg_find_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then echo "$dir"; return 0; fi
    done
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return 0; fi
    return 1
}

# Installs a Debian package when this user may (root, or passwordless sudo).
apt_install() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else return 1; fi
    fi
    command -v apt-get >/dev/null 2>&1 || return 1
    log "installing Debian's $* package"
    $sudo apt-get update -qq >&2 || return 1
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2 || return 1
}

PG_DIR=""
PG_AS=""
PG_BIN=""
pg_stop() {
    if [ -n "$PG_DIR" ] && [ -d "$PG_DIR" ]; then
        $PG_AS "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
    fi
    PG_DIR=""
}

# Below both Linux's ephemeral range (32768 and up: any outgoing connection of the suite could take
# the port while a fault test has the server stopped) and the tests' own servers (20000-32000).
free_port() {
    local port
    for port in $(shuf -i 10000-19999 -n 50); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
    done
    return 1
}

pg_start() {
    PG_BIN=$(pg_find_bindir) || { apt_install postgresql && PG_BIN=$(pg_find_bindir); } || return 1
    PG_DIR=$(mktemp -d -t mailhook-pg.XXXXXX)
    if [ "$(id -u)" -eq 0 ]; then
        # The server refuses to run as root: use Debian's postgres account (or make a test one).
        local user=postgres
        if ! id "$user" >/dev/null 2>&1; then
            user=mailhook-test
            id "$user" >/dev/null 2>&1 || useradd --system --no-create-home "$user"
        fi
        chown "$user" "$PG_DIR"
        PG_AS="runuser -u $user --"
    fi
    local port
    port=$(free_port) || return 1
    $PG_AS "$PG_BIN/initdb" -D "$PG_DIR/data" -U mailhook --auth=trust -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    $PG_AS "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=400 $*" start >/dev/null \
        || { cat "$PG_DIR/server.log" >&2; return 1; }
    PG_URL="postgres://mailhook@127.0.0.1:$port/postgres"
    export PG_URL
    log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') running on 127.0.0.1:$port (throwaway cluster)"
}
