#!/usr/bin/env bash
# hako image build on the busybox test image, each build with its own --root:
# the effect of every instruction on the image config and filesystem, multi-stage
# builds, cache hits and misses, .dockerignore, heredocs, ADD of a tar, cache
# mounts, and errors that name the Dockerfile line.
set -uo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the build tests need root" >&2
  exit 0
fi
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
R=$(mktemp -d /tmp/hako-build-test.XXXXXX)
C=$R/ctx
failures=0
server=

cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null
  for id in $("$HAKO" --root "$R/root" container ls -a -q 2>/dev/null); do
    "$HAKO" --root "$R/root" container rm -f "$id" >/dev/null 2>&1
  done
  awk -v r="$R" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
  rm -rf "$R"
}
trap cleanup EXIT

check() {  # check DESCRIPTION ACTUAL EXPECTED
  if [[ "$2" == "$3" ]]; then
    echo "ok: $1"
  else
    echo "FAIL: $1: got [$2], want [$3]"
    failures=$((failures + 1))
  fi
}
contains() {  # contains DESCRIPTION TEXT NEEDLE
  if [[ "$2" == *"$3"* ]]; then
    echo "ok: $1"
  else
    echo "FAIL: $1: [$2] does not contain [$3]"
    failures=$((failures + 1))
  fi
}
h() { "$HAKO" --root "$R/root" "$@"; }
build() { h image build "$@" 2>"$R/build.log"; }
# Runs as root: whether a non-root user can enter / is the container engine's
# business, not the builder's.
run() { h container run --rm -u 0 "$@"; }
inspect() { h image inspect "$1" | python3 -c "import json,sys; c=json.load(sys.stdin)[0]; print(json.dumps(eval(sys.argv[1]), sort_keys=True))" "$2"; }

mkdir -p "$C"
bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
h image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

# --- every instruction's effect on the config and the filesystem ---
cd "$C"
echo hello >a.txt
mkdir -p dir/sub && echo x >dir/sub/x && echo y >dir/y
echo secret >ignored.txt
printf 'ignored.txt\n*.tmp\n' >.dockerignore
echo tmp >junk.tmp
mkdir -p tarsrc/t && echo intar >tarsrc/t/file && tar -czf files.tar.gz -C tarsrc t
cat >Dockerfile <<'EOF'
# syntax=docker/dockerfile:1
ARG TAG=ignored
FROM busybox AS base
ARG GREETING=hi
ENV APP=/app PATH=/usr/bin:/bin:/sbin \
    # a comment inside a continuation
    OTHER="two words"
WORKDIR $APP
WORKDIR sub/..
RUN echo "$GREETING from run" > /greeting
COPY a.txt ./
COPY dir /data/
COPY --chown=nobody --chmod=0640 a.txt /owned.txt
ADD files.tar.gz /extracted/
RUN rm /bin/vi && mkdir -p /opq && echo 1 > /opq/f
RUN <<SCRIPT
echo line1 > /heredoc
echo "$APP" >> /heredoc
SCRIPT
COPY <<-"END" /literal.txt
	keep $APP literal
	END
LABEL version="1.0" name=test
EXPOSE 80 53/udp
VOLUME ["/data"]
USER nobody
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --timeout=2s --retries=4 CMD ["true"]
ONBUILD RUN echo triggered > /tmp/onbuild
SHELL ["/bin/sh", "-ec"]
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /greeting"]
EOF
build -t test:1 .
check "build exits 0" "$?" "0"
contains "progress shows each step" "$(cat "$R/build.log")" "[base 8/"
check "CMD and ENTRYPOINT run" "$(run test:1)" "hi from run"
check "ENV" "$(inspect test:1 "c['Config']['Env']")" '["APP=/app", "PATH=/usr/bin:/bin:/sbin", "OTHER=two words"]'
check "WORKDIR from ENV" "$(inspect test:1 "c['Config']['WorkingDir']")" '"/app"'
check "LABEL" "$(inspect test:1 "c['Config']['Labels']")" '{"name": "test", "version": "1.0"}'
check "EXPOSE" "$(inspect test:1 "sorted(c['Config']['ExposedPorts'])")" '["53/udp", "80/tcp"]'
check "VOLUME" "$(inspect test:1 "sorted(c['Config']['Volumes'])")" '["/data"]'
check "USER" "$(inspect test:1 "c['Config']['User']")" '"nobody"'
check "STOPSIGNAL" "$(inspect test:1 "c['Config']['StopSignal']")" '"SIGINT"'
check "HEALTHCHECK" "$(inspect test:1 "c['Config']['Healthcheck']")" \
  '{"Interval": 5000000000, "Retries": 4, "Test": ["CMD", "true"], "Timeout": 2000000000}'
check "ONBUILD" "$(inspect test:1 "c['Config']['OnBuild']")" '["RUN echo triggered > /tmp/onbuild"]'
check "SHELL" "$(inspect test:1 "c['Config']['Shell']")" '["/bin/sh", "-ec"]'
check "no ARG value leaks into Env" "$(inspect test:1 "[e for e in c['Config']['Env'] if 'GREETING' in e]")" '[]'
files=$(run --entrypoint sh test:1 -c 'cat /app/a.txt /data/sub/x /data/y /extracted/t/file /heredoc /literal.txt; ls /bin/vi /app/ignored.txt /app/junk.tmp 2>&1; stat -c "%U %a" /owned.txt')
check "files from COPY, ADD (tar extracted), RUN and heredocs; whiteouts; .dockerignore" "$files" \
"hello
x
y
intar
line1
/app
keep \$APP literal
ls: /bin/vi: No such file or directory
ls: /app/ignored.txt: No such file or directory
ls: /app/junk.tmp: No such file or directory
nobody 640"
history=$(h image history --no-trunc --format json test:1 2>/dev/null || h image history --no-trunc test:1)
contains "config-only steps are empty layers in the history" "$history" "LABEL version="
layers=$(inspect test:1 "len(c['RootFS']['Layers'])")
check "one layer per filesystem step (import + WORKDIR + 8)" "$layers" "10"

# --- cache ---
id1=$(build -q -t test:1 .)
contains "a rebuild is fully cached" "$(cat "$R/build.log")" ""
id2=$(h image build -t test:1 . 2>&1 | grep -c CACHED)
check "every step after FROM is CACHED" "$id2" "21"
id3=$(build -q .)
check "a cached rebuild gives the same image id" "$id3" "$id1"
touch a.txt dir/sub/x
check "an mtime-only touch still hits" "$(build -q .)" "$id1"
echo changed >ignored.txt
check "a change to an ignored file still hits" "$(build -q .)" "$id1"
echo hello2 >a.txt
h image build -t test:1 . 2>&1 | grep -A1 'COPY a.txt' | grep -q CACHED
check "the step whose source changed is not CACHED" "$?" "1"
id4=$(build -q .)
[[ "$id4" != "$id1" ]]; check "a content change misses" "$?" "0"
check "the changed content is in the image" "$(run --entrypoint cat "$id4" /app/a.txt)" "hello2"
h image build --no-cache -t test:1 . 2>&1 | grep -q CACHED
check "--no-cache runs every step" "$?" "1"
echo hello >a.txt
h image build --build-arg GREETING=bonjour -t test:arg . 2>&1 | grep -A1 'RUN echo "$GREETING' | grep -q CACHED
check "a changed build ARG misses RUN" "$?" "1"
check "the build ARG reached RUN" "$(run test:arg)" "bonjour from run"

# --- ONBUILD triggers run in a child build ---
mkdir -p "$R/child" && printf 'FROM test:1\nUSER root\nENTRYPOINT []\nCMD ["cat", "/tmp/onbuild"]\n' >"$R/child/Dockerfile"
h image build -t child "$R/child" 2>"$R/build.log"
check "ONBUILD trigger ran" "$(run child)" "triggered"
check "ONBUILD triggers are not inherited" "$(inspect child "c['Config']['OnBuild']")" "null"

# --- multi-stage: COPY --from, unneeded stages skipped, --target ---
mkdir -p "$R/ms" && cd "$R/ms"
cat >Dockerfile <<'EOF'
FROM busybox AS builder
RUN echo built > /artifact
FROM busybox AS unused
RUN echo this stage must not run && exit 1
FROM scratch AS final
COPY --from=builder /artifact /artifact
COPY --from=busybox /bin/busybox /bin/busybox
ENTRYPOINT ["/bin/busybox", "cat", "/artifact"]
EOF
build -t ms .
check "multi-stage build succeeds (the failing unused stage is skipped)" "$?" "0"
check "COPY --from a stage and an image" "$(run ms)" "built"
build -t ms-unused --target unused .
check "--target builds the failing stage" "$?" "1"
contains "a failing RUN names the line and exit code" "$(cat "$R/build.log")" "Dockerfile:4: RUN: process"
contains "... with docker's wording" "$(cat "$R/build.log")" "exit code: 1"
build --target nosuch .
contains "an unknown target is an error" "$(cat "$R/build.log")" 'target stage "nosuch" could not be found'

# --- RUN --mount=type=cache persists across builds ---
mkdir -p "$R/cm" && cd "$R/cm"
printf 'FROM busybox\nARG N\nRUN --mount=type=cache,target=/cache echo $N >> /cache/log && cat /cache/log | wc -l > /count\nCMD ["cat", "/count"]\n' >Dockerfile
build --build-arg N=1 -t cm .
build --build-arg N=2 -t cm .
check "cache mount keeps files between builds" "$(run cm)" "2"
check "the cache mount is not in the image" "$(run cm ls /cache 2>/dev/null | wc -l)" "0"

# --- ADD from a URL, with --checksum ---
mkdir -p "$R/www" "$R/url" && echo remote >"$R/www/remote.txt"
port=$((20000 + RANDOM % 20000))
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$R/www" >/dev/null 2>&1 &
server=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
cd "$R/url"
sum=$(sha256sum "$R/www/remote.txt" | cut -d' ' -f1)
printf 'FROM busybox\nADD --checksum=sha256:%s http://127.0.0.1:%s/remote.txt /r/\n' "$sum" "$port" >Dockerfile
build -t url .
check "ADD of a URL with the right checksum" "$(run url sh -c 'cat /r/remote.txt; stat -c %a /r/remote.txt')" "remote
600"
printf 'FROM busybox\nADD --checksum=sha256:%064d http://127.0.0.1:%s/remote.txt /r/\n' 0 "$port" >Dockerfile
build .; contains "a checksum mismatch fails" "$(cat "$R/build.log")" "checksum mismatch"
printf 'FROM busybox\nADD http://127.0.0.1:%s/missing.txt /r/\n' "$port" >Dockerfile
build .; contains "an HTTP error fails, naming the status" "$(cat "$R/build.log")" "HTTP 404"
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null
server=

# --- errors name the place and leave no image behind ---
mkdir -p "$R/bad" && cd "$R/bad"
before=$(h image ls -q | sort | tr '\n' ' ')
printf 'FROM busybox\nRUN true\nFOO bar\n' >Dockerfile
build .; check "unknown instruction fails" "$?" "1"
contains "... naming the line" "$(cat "$R/build.log")" "Dockerfile:3: unknown instruction: FOO"
printf 'FROM busybox\nCOPY missing.txt /\n' >Dockerfile
build .; contains "missing COPY source" "$(cat "$R/build.log")" 'Dockerfile:2: COPY failed: "missing.txt": not found in the build context'
printf 'FROM busybox\nCOPY ../../etc/passwd /\n' >Dockerfile
build .; contains "COPY source outside the context" "$(cat "$R/build.log")" "outside the build context"
ln -s /etc/passwd escape
printf 'FROM busybox\nCOPY escape /\n' >Dockerfile
build .; contains "COPY through a symlink out of the context" "$(cat "$R/build.log")" "leads outside the build context"
printf 'FROM nosuchimage\n' >Dockerfile
build .; contains "missing base image" "$(cat "$R/build.log")" "Dockerfile:1: FROM nosuchimage"
printf 'FROM busybox AS first\nCOPY --from=later /x /\nFROM busybox AS later\n' >Dockerfile
build --target first .; contains "COPY --from a later stage" "$(cat "$R/build.log")" "Dockerfile:2: COPY --from=later"
printf 'FROM busybox\nENV A="${B:?B must be set}"\n' >Dockerfile
build .; contains "substitution error" "$(cat "$R/build.log")" "B: B must be set"
check "failed builds add no image" "$(h image ls -q | sort | tr '\n' ' ')" "$before"
check "no build mounts are left" "$(awk -v r="$R" 'index($2, r) == 1' /proc/self/mounts | wc -l)" "0"
check "no scratch folders are left" "$(ls "$R/root/tmp" | wc -l)" "0"

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all build checks passed"
