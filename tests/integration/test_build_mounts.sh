#!/usr/bin/env bash
# hako image build's RUN mounts and build-wide options on the busybox test image:
# --secret (file and env; never in a layer; a new value is a cache hit; a missing
# required one names the line and the id), --ssh (an agent socket, keys served by a
# started ssh-agent), --mount=type=bind,from=STAGE|IMAGE, bind from the context
# (its content in the cache key, rw writes dropped), --network NAME (the network's
# DNS from RUN), stages built in parallel (the first failure stops the build),
# --pull and a missing base image pulled from a registry on loopback, and compose
# build.secrets/build.ssh. Subnet 10.221.40.0/24.
test_kind=build source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
STATE=$R/root
NET=hkbm-net-$$
registry=
agent=
finish() {
  [[ -n $registry ]] && kill "$registry" 2>/dev/null && wait "$registry" 2>/dev/null
  [[ -n $agent ]] && kill "$agent" 2>/dev/null
  for id in $("$HAKO" --root "$STATE" container ls -a -q 2>/dev/null); do
    "$HAKO" --root "$STATE" container rm -f "$id" >/dev/null 2>&1
  done
  "$HAKO" --root "$STATE" network rm "$NET" >/dev/null 2>&1
  cleanup
}
trap finish EXIT
h() { "$HAKO" --root "$STATE" "$@"; }
build() { h image build "$@" 2>"$R/build.log"; }
log() { cat "$R/build.log"; }
# Every file of every layer of IMAGE (saved as a docker archive), one per line, and
# whether any layer holds TEXT.
layer_files() { rm -rf "$R/save" && mkdir "$R/save" && h image save "$1" -o "$R/save/i.tar" && tar -xf "$R/save/i.tar" -C "$R/save" &&
  find "$R/save" -type f ! -name i.tar -exec sh -c 'tar -tf "$1" 2>/dev/null' _ {} \; ; }
layers_hold() { find "$R/save" -type f ! -name i.tar -exec sh -c 'tar -xOf "$1" 2>/dev/null' _ {} \; | grep -c "$1"; }

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
h image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }
mkdir -p "$R/ctx" && cd "$R/ctx" || exit 1

# --- secrets ---
echo "s3cr3t-one" >"$R/secret.txt"
cat >Dockerfile <<'EOF'
FROM busybox
RUN --mount=type=secret,id=tok,required wc -c < /run/secrets/tok > /len && stat -c %a /run/secrets/tok > /mode
RUN --mount=type=secret,id=tok,env=TOK,target=/opt/s,uid=1,mode=0440 sh -c 'echo "${#TOK}" > /envlen; stat -c "%u %a" /opt/s > /owner'
RUN --mount=type=secret,id=absent echo optional secret skipped > /skipped
EOF
build -t hkbm-secret --secret id=tok,src="$R/secret.txt" .
check "a secret build succeeds" "$?" "0"
check "the secret file is mounted at /run/secrets/ID, mode 0400" "$(h container run --rm hkbm-secret cat /len /mode | tr '\n' ' ')" "11 400 "
check "env= sets the variable; target, uid and mode apply" "$(h container run --rm hkbm-secret cat /envlen /owner | tr '\n' ' ')" "11 1 440 "
check "a missing optional secret is skipped" "$(h container run --rm hkbm-secret cat /skipped)" "optional secret skipped"
files=$(layer_files hkbm-secret)
check "no layer holds the secret's value" "$(layers_hold s3cr3t-one)" "0"
check "no layer holds the mount points (/run/secrets, /opt/s)" "$(grep -cE '(^|/)(run|opt)(/|$)' <<<"$files")" "0"
echo "s3cr3t-two" >"$R/secret.txt"
build -t hkbm-secret --secret id=tok,src="$R/secret.txt" .
check "a new secret value is a cache hit (not in the key)" "$(grep -c CACHED "$R/build.log")" "3"
TOKVAR=from-env build --no-cache -t hkbm-secret2 --secret id=tok,env=TOKVAR .
check "--secret id=ID,env=VAR reads the variable" "$(h container run --rm hkbm-secret2 cat /len)" "8"
build --no-cache -t hkbm-secret3 .
check "a missing required secret fails" "$?" "1"
contains "... naming the line and the id" "$(log)" 'Dockerfile:2: RUN --mount=type=secret,id=tok: secret "tok" is required but was not given'
build --secret id=tok .
check "--secret without src or env is a usage error" "$?" "2"
build --secret id=tok,src="$R/none" .
contains "... and a missing file names it" "$(log)" "$R/none: not a file"
printf 'FROM busybox\nRUN --mount=type=secret,id=x,bogus=1 true\n' >Dockerfile.bad
build -f Dockerfile.bad .
contains "an unknown mount key names the line" "$(log)" 'Dockerfile.bad:2: RUN --mount=type=secret,id=x,bogus=1: unexpected key "bogus"'

# --- ssh ---
printf 'FROM busybox\nRUN --mount=type=ssh,required test -S "$SSH_AUTH_SOCK" && echo "$SSH_AUTH_SOCK" > /sock\n' >Dockerfile.ssh
eval "$(ssh-agent -s -a "$R/agent.sock")" >/dev/null && agent=$SSH_AGENT_PID
SSH_AUTH_SOCK=$R/agent.sock build --no-cache -f Dockerfile.ssh -t hkbm-ssh --ssh default .
check "--ssh default binds \$SSH_AUTH_SOCK at /run/buildkit/ssh_agent.0" "$(h container run --rm hkbm-ssh cat /sock)" "/run/buildkit/ssh_agent.0"
check "... and leaves no mount point in the layer" "$(layer_files hkbm-ssh | grep -c '^run')" "0"
ssh-keygen -q -t ed25519 -N '' -f "$R/key"
build --no-cache -f Dockerfile.ssh -t hkbm-ssh2 --ssh default="$R/key" .
check "--ssh default=KEYFILE serves the key from an ssh-agent" "$?" "0"
check "... which is gone after the build" "$(pgrep -fc "ssh-agent -D -a $R/")" "0"
build --no-cache -f Dockerfile.ssh .
contains "a required ssh mount without --ssh names the line" "$(log)" 'Dockerfile.ssh:2: RUN --mount=type=ssh,id=default: no ssh agent or key "default" was given'

# --- bind from a stage or an image ---
cat >Dockerfile.from <<'EOF'
FROM busybox AS tools
RUN mkdir /out && echo built-in-stage > /out/f
FROM busybox
RUN --mount=type=bind,from=tools,source=/out,target=/mnt cat /mnt/f > /copied
RUN --mount=type=bind,from=busybox,target=/img,rw touch /img/scratch && ls /img/bin/sh > /listed
EOF
build -f Dockerfile.from -t hkbm-from .
check "from=STAGE mounts that stage's files" "$(h container run --rm hkbm-from cat /copied)" "built-in-stage"
check "from=IMAGE mounts an image (rw: writes are dropped)" "$(h container run --rm hkbm-from cat /listed)" "/img/bin/sh"
check "... and the mount points are not in the layers" "$(layer_files hkbm-from | grep -cE '^(mnt|img)')" "0"
printf 'FROM busybox\nRUN --mount=type=bind,from=nosuchstage,target=/x true\n' >Dockerfile.nofrom
build -f Dockerfile.nofrom .
contains "an unknown stage or image in from= names the line" "$(log)" "Dockerfile.nofrom:2: RUN --mount from=nosuchstage"

# --- bind from the context: its content is in the key; rw writes are dropped ---
echo v1 >bound.txt && mkdir -p bound && echo inner >bound/f
printf 'FROM busybox\nRUN --mount=type=bind,source=bound.txt,target=/a cat /a > /out\nRUN --mount=type=bind,source=bound,target=/d,rw echo w > /d/new && echo w >> /d/f\n' >Dockerfile.ctx
build -f Dockerfile.ctx -t hkbm-ctx .
check "a rw bind of the context leaves the context as it was" "$(ls bound | tr '\n' ' ')$(cat bound/f)" "f inner"
touch bound.txt
build -f Dockerfile.ctx -t hkbm-ctx .
check "an mtime-only change of a bound file is a cache hit" "$(grep -c CACHED "$R/build.log")" "2"
echo v2 >bound.txt
build -f Dockerfile.ctx -t hkbm-ctx .
check "a content change of a bound file runs the step again" "$(h container run --rm hkbm-ctx cat /out)" "v2"

# --- --network NAME ---
h network create --subnet 10.221.40.0/24 "$NET" >/dev/null
h container run -d --name hkbm-web --network "$NET" busybox sleep 120 >/dev/null
printf 'FROM busybox\nRUN nslookup hkbm-web | grep -A1 Name: | grep -c 10.221.40. > /found\n' >Dockerfile.net
build --no-cache --network "$NET" -f Dockerfile.net -t hkbm-net .
check "RUN on --network NAME resolves the network's containers" "$(h container run --rm hkbm-net cat /found)" "1"
check "... and leaves no endpoint on the network" \
  "$(h network inspect "$NET" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]["Containers"]))')" "1"
build --network hkbm-nosuchnet -f Dockerfile.net .
contains "an unknown network is an error naming it" "$(log)" "--network hkbm-nosuchnet: network hkbm-nosuchnet not found"

# --- stages in parallel ---
cat >Dockerfile.par <<'EOF'
FROM busybox AS a
RUN cut -d' ' -f1 /proc/uptime > /a.start && sleep 1 && cut -d' ' -f1 /proc/uptime > /a.end
FROM busybox AS b
RUN cut -d' ' -f1 /proc/uptime > /b.start && sleep 1 && cut -d' ' -f1 /proc/uptime > /b.end
FROM busybox
COPY --from=a /a.* /
COPY --from=b /b.* /
EOF
build --no-cache -f Dockerfile.par -t hkbm-par .
# /proc/uptime is the host's clock in every container: the two steps' spans overlap.
spans=$(h container run --rm hkbm-par cat /a.start /a.end /b.start /b.end | tr '\n' ' ')
check "two independent stages build side by side (spans $spans)" \
  "$(awk '{print ($1 < $4 && $3 < $2) ? "overlap" : "one after the other"}' <<<"$spans")" "overlap"
printf 'FROM busybox AS a\nRUN sleep 0.3; exit 7\nFROM busybox AS b\nRUN sleep 20\nRUN echo never-run\nFROM busybox\nCOPY --from=a / /a\nCOPY --from=b / /b\n' >Dockerfile.pfail
start=$(date +%s%N)
build --no-cache -f Dockerfile.pfail .
check "a failing stage fails the build" "$?" "1"
elapsed=$((($(date +%s%N) - start) / 1000000))
check "... at once: the other stage's running step is killed (took ${elapsed} ms)" "$((elapsed < 5000))" "1"
contains "... with that stage's error" "$(log)" 'Dockerfile.pfail:2: RUN: process "/bin/sh -c sleep 0.3; exit 7" did not complete successfully: exit code: 7'
check "... and stops the other stage" "$(grep -c 'RUN echo never-run' "$R/build.log")" "0"

# --- --pull and a missing base pulled from a registry ---
if command -v docker-registry >/dev/null; then
  port=$((20000 + ($$ + 7) % 5000))
  mkdir -p "$R/reg"
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' "$R/reg" "$port" >"$R/reg.yml"
  docker-registry serve "$R/reg.yml" >"$R/reg.log" 2>&1 &
  registry=$!
  for _ in $(seq 100); do curl -s "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
  ref=127.0.0.1:$port/hkbm/base:1
  h image tag busybox "$ref" && h image push -q "$ref" >/dev/null 2>&1
  printf 'FROM %s\nRUN echo pulled > /p\n' "$ref" >Dockerfile.pull
  build -f Dockerfile.pull -t hkbm-pull .
  check "a present base is not pulled without --pull" "$(grep -c "pulling $ref" "$R/build.log")" "0"
  build --pull -f Dockerfile.pull -t hkbm-pull .
  check "--pull pulls the base even when present" "$(grep -c "pulling $ref" "$R/build.log")" "1"
  h image rm "$ref" >/dev/null
  build -f Dockerfile.pull -t hkbm-pull2 .
  check "a missing base image is pulled" "$(h container run --rm hkbm-pull2 cat /p)" "pulled"
  printf 'FROM 127.0.0.1:%s/hkbm/none:1\n' "$port" >Dockerfile.nopull
  build -f Dockerfile.nopull .
  contains "a base no registry has names the line and the pull's failure" "$(log)" "Dockerfile.nopull:1: FROM 127.0.0.1:$port/hkbm/none:1"
  contains "... and says the pull failed" "$(log)" "pulling it failed"
else
  echo "SKIP: docker-registry is not installed: --pull not tested"
fi

# --- compose build.secrets and build.ssh ---
mkdir -p "$R/proj" && cd "$R/proj" || exit 1
echo "file-secret" >s.txt
cat >compose.yaml <<'EOF'
name: hkbm
services:
  app:
    build:
      context: .
      dockerfile_inline: |
        FROM busybox
        RUN --mount=type=secret,id=fs,required --mount=type=secret,id=renamed,required --mount=type=ssh,id=deploy,required cat /run/secrets/fs /run/secrets/renamed > /both && test -S "$$SSH_AUTH_SOCK"
      secrets:
        - fs
        - source: es
          target: renamed
      ssh:
        - deploy=${KEY}
secrets:
  fs:
    file: ./s.txt
  es:
    environment: HKBM_SECRET
EOF
KEY=$R/key HKBM_SECRET=env-secret h build app 2>"$R/build.log"
check "compose build.secrets (file, environment with target) and build.ssh" "$(h container run --rm hkbm-app cat /both | tr '\n' ' ')" "file-secret env-secret"
KEY=$R/key h build app 2>"$R/build.log"
contains "an environment secret whose variable is unset is an error" "$(log)" "build.secrets: es: the environment variable HKBM_SECRET is not set"

exit $((failures > 0))
