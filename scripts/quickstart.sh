#!/bin/sh
# The README's first command: installs what is missing, builds, starts
# kilnd on its embedded defaults (127.0.0.1:7878, a state directory in
# ./.kiln-demo), registers the sample module, runs a job, prints its
# output, and stops kilnd.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh >/dev/null

state="$PWD/.kiln-demo"
./build/src/kilnd/kilnd --state-dir "$state" 2>"$state.log" &
kilnd=$!
trap 'kill -TERM $kilnd 2>/dev/null; wait $kilnd 2>/dev/null || true' EXIT

# kilnd writes its address once listening; /readyz answers once recovered
tries=0
until curl -fsS "http://127.0.0.1:7878/readyz" >/dev/null 2>&1; do
	tries=$((tries + 1))
	if [ $tries -gt 100 ] || ! kill -0 $kilnd 2>/dev/null; then
		echo "kilnd did not start; its log:" >&2
		cat "$state.log" >&2
		exit 1
	fi
	sleep 0.1
done

export KILN_URL=http://127.0.0.1:7878
export KILN_TOKEN="$(cat "$state/tokens/demo")"
echo "== kilnd is up; running sdk/examples/hello.c as a WebAssembly job"
./build/tools/kiln/kiln submit build/sdk/hello.wasm --arg world --wait
echo "== sha256 of 'abc' computed inside the sandbox:"
printf abc | ./build/tools/kiln/kiln submit build/sdk/sha256.wasm \
    --input - --wait
echo "== recent jobs"
./build/tools/kiln/kiln list --limit 5
