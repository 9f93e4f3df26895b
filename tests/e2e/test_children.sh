#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Fork-per-connection servers under --children, and -- COMMAND trees: every
# process is followed from its fork in the kernel, so every connection's SSL
# object is seen however short-lived its process, and every site is named
# (no "?" file or module) even once the process that allocated is gone.
#   python:   a Python server forking one child per connection
#   postgres: Debian's PostgreSQL with ssl=on, one backend per connection
#   apache:   apache2 prefork with mod_ssl, MaxConnectionsPerChild 100
#   tree:     tlsmem -- sh -c '...' running TLS clients one after another
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
e2e_require

FORK_SERVER=tests/targets/fork_server.py
N_PY=40
N_PG=40
N_APACHE=250
# the test's own directory is read by the servers' unprivileged users
chmod 755 "$TMP"
gen_cert "$TMP"
chmod 644 "$TMP/cert.pem" "$TMP/key.pem"

# no_unnamed NAME SITES_CSV: no site lacks its file or module name
no_unnamed()
{
	local bad

	bad=$(python3 - "$2" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
bad = [r for r in rows if r["file"] == "?" or r["module"] == "?"]
print(len(bad) if rows else "no sites")
for r in bad[:5]:
    print(r, file=sys.stderr)
EOF
	)
	check_eq "$1" "$bad" 0
}

# observe NAME PID: tlsmem -p PID --children with JSON and a sites CSV
observe()
{
	if ! start_tlsmem "$1.tlsmem" -p "$2" --children -i 0.5 --json \
		--sites-csv "$TMP/$1.sites.csv"; then
		fail "$1.attach" "no 'tlsmem: attached' line within 60 s"
		dump "$TMP/$1.tlsmem.err"
		return 1
	fi
	TL=$LAST_PID
}

# finish NAME CONNS MEASURE: stops tlsmem and checks SSL created against CONNS
finish()
{
	local json=$TMP/$1.tlsmem.out

	stop_tlsmem "$TL"
	check_eq "$1.tlsmem_exit" "$WAIT_RC" 0
	info "$1: ssl $(json_get "$json" ".ssl|tojson"), heap $(json_get "$json" ".heap|tojson")," \
		"$(json_get "$json" '.targets | length') targets"
	compare_ssl "$1" "$json" "$2"
	check_eq "$1.events_lost" "$(json_get "$json" .events.lost)" 0
	check_eq "$1.complete" "$(json_get "$json" .complete)" true
	# several processes alive at the end (MEASURE pss) or one (rss)
	check_eq "$1.memory_measure" "$(json_get "$json" .process.measure)" "$3"
	no_unnamed "$1.no_unnamed_sites" "$TMP/$1.sites.csv"
}

compare_ssl()
{
	local got

	got=$(json_get "$2" .ssl.created)
	info "$1.ssl_created tlsmem=$got connections=$3"
	check_eq "$1.ssl_created" "$got" "$3"
}

test_python()
{
	local pid port ok

	spawn py "$FORK_SERVER" "$TMP/cert.pem" "$TMP/key.pem"
	pid=$LAST_PID
	if ! wait_for_line "$TMP/py.out" '^listening [0-9]+ pid [0-9]+$' 20 "$pid"; then
		fail python.setup "fork_server did not start"
		dump "$TMP/py.err"
		return
	fi
	port=$(awk '{ print $2; exit }' "$TMP/py.out")
	observe python "$pid" || return
	echo | "$TLS_CLIENT" --port "$port" --conns $N_PY --bytes 100 >"$TMP/py.client" 2>&1
	ok=$(awk '/^done/ { print $2 }' "$TMP/py.client")
	check_eq python.client_ok "$ok" $N_PY
	wait_for_line "$TMP/py.out" "^served $N_PY\$" 30 "$pid" ||
		fail python.served "the server did not serve $N_PY connections"
	finish python "$ok" rss
}

test_postgres()
{
	local bin port data pm i ok=0

	bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
	if [ -z "$bin" ] || ! id postgres >/dev/null 2>&1; then
		skip postgres "Debian's postgresql package is not installed"
		return
	fi
	port=$(free_port)
	data=$TMP/pg/data
	mkdir -p "$TMP/pg"
	cp "$TMP/cert.pem" "$TMP/key.pem" "$TMP/pg/"
	chmod 600 "$TMP/pg/key.pem"
	chown -R postgres "$TMP/pg"
	if ! su postgres -s /bin/sh -c "$bin/initdb -D $data -A trust -U postgres" \
		>"$TMP/pg.init" 2>&1; then
		fail postgres.setup "initdb failed"
		dump "$TMP/pg.init"
		return
	fi
	cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$TMP/pg'
ssl = on
ssl_cert_file = '$TMP/pg/cert.pem'
ssl_key_file = '$TMP/pg/key.pem'
max_connections = 20
EOF
	if ! su postgres -s /bin/sh -c "$bin/pg_ctl -D $data -l $TMP/pg/log -w start" \
		>"$TMP/pg.start" 2>&1; then
		fail postgres.setup "pg_ctl start failed"
		dump "$TMP/pg.start" "$TMP/pg/log"
		return
	fi
	pm=$(head -1 "$data/postmaster.pid")
	track_pid "$pm"
	observe postgres "$pm" || return
	for i in $(seq 1 $N_PG); do
		psql "host=127.0.0.1 port=$port user=postgres dbname=postgres sslmode=require gssencmode=disable" \
			-Atc "select ssl from pg_stat_ssl where pid = pg_backend_pid()" \
			>>"$TMP/pg.psql" 2>&1 && ok=$((ok + 1))
	done
	check_eq postgres.psql_ok "$(grep -c '^t$' "$TMP/pg.psql")" $N_PG
	finish postgres "$ok" pss
	su postgres -s /bin/sh -c "$bin/pg_ctl -D $data -m immediate stop" >/dev/null 2>&1
}

test_apache()
{
	local dir=$TMP/apache port mods=/usr/lib/apache2/modules pid ok

	if [ ! -x /usr/sbin/apache2 ] || [ ! -f $mods/mod_ssl.so ]; then
		skip apache "apache2 is not installed"
		return
	fi
	port=$(free_port)
	mkdir -p "$dir/htdocs"
	echo hello >"$dir/htdocs/index.html"
	chmod -R a+rX "$dir"
	# MaxSpareServers is MaxRequestWorkers: apache never stops an idle child
	# itself, for it wakes the child with a connection of its own to the
	# port, and mod_ssl makes an SSL object for that one too
	cat >"$dir/apache2.conf" <<EOF
ServerRoot $dir
ServerName localhost
Listen 127.0.0.1:$port
PidFile $dir/httpd.pid
DefaultRuntimeDir $dir
Mutex file:$dir default
ErrorLog $dir/error.log
User www-data
Group www-data
LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule socache_shmcb_module $mods/mod_socache_shmcb.so
LoadModule ssl_module $mods/mod_ssl.so
StartServers 2
MinSpareServers 2
MaxSpareServers 8
MaxRequestWorkers 8
MaxConnectionsPerChild 100
KeepAlive Off
DocumentRoot $dir/htdocs
SSLEngine on
SSLCertificateFile $TMP/cert.pem
SSLCertificateKeyFile $TMP/key.pem
SSLSessionCache shmcb:$dir/scache(512000)
EOF
	spawn apache /usr/sbin/apache2 -f "$dir/apache2.conf" -DFOREGROUND
	pid=$LAST_PID
	for _ in $(seq 1 100); do
		curl -sk "https://127.0.0.1:$port/index.html" >/dev/null 2>&1 && break
		is_alive "$pid" || break
		sleep 0.1
	done
	if ! is_alive "$pid"; then
		fail apache.setup "apache2 did not start"
		dump "$TMP/apache.err" "$dir/error.log"
		return
	fi
	observe apache "$pid" || return
	# one curl, many URLs, no keep-alive: one connection each
	curl -sk -w '%{http_code}\n' -o /dev/null $(for _ in $(seq 1 $N_APACHE); do
		echo "https://127.0.0.1:$port/index.html"; done) >"$TMP/apache.codes" 2>&1
	ok=$(grep -c '^200$' "$TMP/apache.codes")
	check_eq apache.requests_ok "$ok" $N_APACHE
	finish apache "$ok" pss
}

test_tree()
{
	local pid port

	spawn tree.py "$FORK_SERVER" "$TMP/cert.pem" "$TMP/key.pem"
	pid=$LAST_PID
	if ! wait_for_line "$TMP/tree.py.out" '^listening [0-9]+ pid [0-9]+$' 20 "$pid"; then
		fail tree.setup "fork_server did not start"
		return
	fi
	port=$(awk '{ print $2; exit }' "$TMP/tree.py.out")
	# clients that live a few milliseconds, each exec'd by a forked shell
	# the JSON in a file: stdout is the command's own
	run_tlsmem tree --json="$TMP/tree.json" --sites-csv "$TMP/tree.sites.csv" -- sh -c \
		"for i in 1 2 3; do echo | $TLS_CLIENT --port $port --conns 2 --bytes 10; done >$TMP/tree.clients; echo | $TLS_CLIENT --port $port --conns 1 --bytes 10 >>$TMP/tree.clients"
	check_eq tree.exit "$RC" 0
	check_eq tree.clients_done "$(grep -c '^done [12] ok 0 failed' "$TMP/tree.clients")" 4
	info "tree: ssl $(json_get "$TMP/tree.json" ".ssl|tojson"), $(json_get "$TMP/tree.json" '.targets | length') targets"
	compare_ssl tree "$TMP/tree.json" 7
	check_eq tree.complete "$(json_get "$TMP/tree.json" .complete)" true
	no_unnamed tree.no_unnamed_sites "$TMP/tree.sites.csv"
}

test_python
test_tree
test_postgres
test_apache
e2e_finish
