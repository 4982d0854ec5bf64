#!/bin/sh
# GET /v1/jobs/{id} requests per second through kilnd (api -> core ->
# journal read -> JSON), next to nginx returning a fixed 200-byte body on
# the same machine in the same run: wrk -t1 -c64, 3 interleaved rounds,
# medians.  usage: bench/http.sh [BUILD_DIR] [SECONDS]
set -eu
build=$(cd "${1:-build}" && pwd)
secs=${2:-5}
work=$(mktemp -d /tmp/kiln-bench-http.XXXXXX)
chmod 755 "$work"
trap 'kill $kpid $npid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

"$build/src/kilnd/kilnd" --state-dir "$work/state" --listen 127.0.0.1:0 \
    2>"$work/kilnd.log" &
kpid=$!
until [ -s "$work/state/listen" ] &&
    curl -fs "http://$(cat "$work/state/listen")/readyz" >/dev/null; do
	sleep 0.05
done
addr=$(cat "$work/state/listen")
token=$(cat "$work/state/tokens/demo")
auth="Authorization: Bearer $token"
digest=$(curl -fs -H "$auth" -H 'Content-Type: application/wasm' \
    --data-binary @"$build/sdk/tiny.wasm" "http://$addr/v1/modules" |
    sed 's/.*"digest":"\([^"]*\)".*/\1/')
job=$(curl -fs -H "$auth" -H 'Content-Type: application/json' \
    -d "{\"module\":\"$digest\"}" "http://$addr/v1/jobs" |
    sed 's/.*"id":"\([^"]*\)".*/\1/')
bytes=$(curl -fs -H "$auth" "http://$addr/v1/jobs/$job" | wc -c)

mkdir -p "$work/nginx"
body=$(head -c 200 /dev/zero | tr '\0' x)
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $work/nginx;
	proxy_temp_path $work/nginx;
	fastcgi_temp_path $work/nginx;
	uwsgi_temp_path $work/nginx;
	scgi_temp_path $work/nginx;
	server {
		listen 127.0.0.1:18089;
		location / { default_type application/json; return 200 '$body'; }
	}
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
npid=$!
until curl -fs http://127.0.0.1:18089/ >/dev/null; do sleep 0.05; done

rps() {
	wrk -t1 -c64 -d"${secs}s" "$@" | awk '/Requests\/sec/ {print $2}'
}
k="" n=""
for round in 1 2 3; do
	k="$k $(rps -H "$auth" "http://$addr/v1/jobs/$job")"
	n="$n $(rps http://127.0.0.1:18089/)"
done
median() { echo "$@" | tr ' ' '\n' | sort -n | sed -n 2p; }
km=$(median $k)
nm=$(median $n)
echo "GET /v1/jobs/{id} ($bytes-byte JSON body), wrk -t1 -c64 -d${secs}s, 3 rounds"
echo "  kilnd: $km req/s (rounds:$k)"
echo "  nginx fixed 200-byte body: $nm req/s (rounds:$n)"
awk -v k="$km" -v n="$nm" 'BEGIN { printf "  ratio kilnd/nginx: %.2f\n", k / n }'
