# crowdsec.sh: a private CrowdSec Local API for the tests (source after
# tap.sh and alerts.sh or daemon.sh: their exit trap kills it).  Debian's crowdsec, started as `crowdsec -c CONFIG -no-cs` on a
# random 127.0.0.1 port with its own configuration directory, SQLite file
# and no agent, hub, acquisition, Central API or Prometheus port.
#
#   lapi_start                start it (the first time: create the config,
#                             a bouncer); waits until the API answers;
#                             sets LAPI_URL, LAPI_PORT, LAPI_PID, LAPI_KEY
#   lapi_stop                 stop it (SIGTERM, waits); the database stays
#   lapi_machine NAME PASS    register a watcher (cscli machines add)
#   lapi_decisions IP         the bouncer's view: GET /v1/decisions?ip=IP
#                             (JSON, "null" when there is none)
#   lapi_cscli ARGS...        cscli -c CONFIG ARGS... (as its own machine:
#                             `alerts list` works)
# Skips the whole test when crowdsec is not installed.  Everything stays
# on 127.0.0.1; the process is killed at exit.
command -v crowdsec >/dev/null && command -v cscli >/dev/null ||
	skip_all "Debian's crowdsec is not installed (tests/deps.sh)"
LAPI_DIR=$TMP/lapi
LAPI_PID=
LAPI_PORT=
LAPI_KEY=
LAPI_URL=
# the exit trap of alerts.sh (_PIDS) or daemon.sh (track_pid) ends it
_lapi_track() {
	if declare -F track_pid >/dev/null; then track_pid "$1"; else _PIDS="${_PIDS:-} $1"; fi
}

_lapi_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_lapi_config() {
	mkdir -p "$LAPI_DIR/data" "$LAPI_DIR/hub" "$LAPI_DIR/notifications"
	cat > "$LAPI_DIR/config.yaml" <<EOF
common:
  daemonize: false
  log_media: stdout
  log_level: info
  working_dir: .
config_paths:
  config_dir: $LAPI_DIR/
  data_dir: $LAPI_DIR/data/
  simulation_path: $LAPI_DIR/simulation.yaml
  hub_dir: $LAPI_DIR/hub/
  index_path: $LAPI_DIR/hub/.index.json
  notification_dir: $LAPI_DIR/notifications/
  plugin_dir: /usr/lib/crowdsec/plugins/
db_config:
  log_level: info
  type: sqlite
  db_path: $LAPI_DIR/data/crowdsec.db
  use_wal: true
api:
  client:
    credentials_path: $LAPI_DIR/local_api_credentials.yaml
  server:
    log_level: info
    listen_uri: 127.0.0.1:$LAPI_PORT
    profiles_path: $LAPI_DIR/profiles.yaml
    trusted_ips: [127.0.0.1]
prometheus:
  enabled: false
EOF
	cat > "$LAPI_DIR/profiles.yaml" <<'EOF'
name: default_ip_remediation
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
on_success: break
EOF
	echo 'simulation: off' > "$LAPI_DIR/simulation.yaml"
}

lapi_cscli() { cscli -c "$LAPI_DIR/config.yaml" "$@"; }

lapi_machine() {
	lapi_cscli machines add "$1" --password "$2" --force \
		-f "$LAPI_DIR/machine-$1.yaml" >/dev/null 2>&1
}

_lapi_up() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Api-Key: $LAPI_KEY" \
		"$LAPI_URL/v1/decisions?ip=192.0.2.1")" = 200 ]
}

lapi_start() {
	local try i
	for try in 1 2 3; do
		if [ ! -f "$LAPI_DIR/config.yaml" ]; then
			LAPI_PORT=$(_lapi_free_port)
			_lapi_config
			LAPI_KEY=$(lapi_cscli bouncers add firewall -o raw 2>/dev/null)
			# cscli's own machine, for `lapi_cscli alerts list`
			lapi_cscli machines add cscli --auto --force \
				-f "$LAPI_DIR/local_api_credentials.yaml" >/dev/null 2>&1
		fi
		LAPI_URL=http://127.0.0.1:$LAPI_PORT
		crowdsec -c "$LAPI_DIR/config.yaml" -no-cs >>"$LAPI_DIR/lapi.log" 2>&1 &
		LAPI_PID=$!
		_lapi_track "$LAPI_PID"
		for ((i = 0; i < 150; i++)); do
			_lapi_up && return 0
			kill -0 "$LAPI_PID" 2>/dev/null || break
			sleep 0.1
		done
		lapi_stop
		# the port was taken meanwhile: a new one (the database stays)
		grep -q 'address already in use' "$LAPI_DIR/lapi.log" || break
		LAPI_PORT=$(_lapi_free_port)
		sed -i "s|listen_uri: .*|listen_uri: 127.0.0.1:$LAPI_PORT|" "$LAPI_DIR/config.yaml"
	done
	diag "the CrowdSec Local API did not start:" "$(tail -n 20 "$LAPI_DIR/lapi.log")"
	return 1
}

lapi_stop() {
	local i
	[ -n "$LAPI_PID" ] || return 0
	kill "$LAPI_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$LAPI_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$LAPI_PID" 2>/dev/null
	wait "$LAPI_PID" 2>/dev/null
	LAPI_PID=
	return 0
}

lapi_decisions() {
	curl -s -H "X-Api-Key: $LAPI_KEY" "$LAPI_URL/v1/decisions?ip=$1"
}
