#!/usr/bin/env bash
# hako build [SERVICE…]: compose `build:` sections (context, dockerfile_inline,
# args, labels, tags, target) built into images named as docker compose names them.
set -uo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the build tests need root" >&2
  exit 0
fi
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
R=$(mktemp -d /tmp/hako-build-compose-test.XXXXXX)
failures=0

cleanup() {
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
h() { "$HAKO" --root "$R/root" "$@"; }
label() { h image inspect "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['Config']['Labels'].get(sys.argv[1]))" "$2"; }

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
h image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

mkdir -p "$R/proj/web"
cd "$R/proj"
cat >compose.yaml <<'EOF'
name: bp
services:
  web:
    build:
      context: ./web
      args: {MSG: from-compose}
      labels: {com.example.built: "yes"}
      tags: [web-extra:2]
      target: final
  pre:
    image: busybox
  inline:
    image: inline-img:1
    build:
      dockerfile_inline: |
        FROM busybox
        RUN echo inline > /inline
        CMD ["cat", "/inline"]
EOF
cat >web/Dockerfile <<'EOF'
FROM busybox AS final
ARG MSG
RUN echo $MSG > /msg
CMD ["cat", "/msg"]
FROM busybox AS later
RUN exit 1
EOF
h build 2>"$R/build.log"
check "hako build builds every service with a build section" "$?" "0"
check "the image is named PROJECT-SERVICE, args reach RUN, target is honoured" "$(h container run --rm bp-web)" "from-compose"
check "extra tags" "$(h container run --rm web-extra:2)" "from-compose"
check "labels" "$(label bp-web com.example.built)" "yes"
check "dockerfile_inline, named by image:" "$(h container run --rm inline-img:1)" "inline"
id1=$(h build -q web)
check "-q prints the id" "${id1:0:7}" "sha256:"
h build --build-arg MSG=override web 2>/dev/null
check "--build-arg overrides the file's args" "$(h container run --rm bp-web)" "override"
h build nosuch 2>"$R/err.log"
check "an unknown service fails" "$?" "1"
check "... naming it" "$(grep -c nosuch "$R/err.log")" "1"

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all compose build checks passed"
