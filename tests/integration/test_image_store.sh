#!/usr/bin/env bash
# Integration test of `hako image …` on the busybox test image: import (file and
# stdin, --change), ls (table, -q, json), tag, inspect JSON fields, history, rm
# (untag, delete, unknown image), prune; each run has its own --root.
set -euo pipefail
HAKO=${HAKO:?set HAKO to the hako binary}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
h() { "$HAKO" --root "$root" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

"$SRC/scripts/make-test-image.sh" "$work/busybox.tar"

# import with changes
id=$(h image import --change 'CMD ["sh"]' --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
       --change 'EXPOSE 80' --change 'LABEL org.example=yes' --change 'WORKDIR /root' \
       "$work/busybox.tar" busybox)
[[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "import printed '$id'"

# ls: table, quiet, json
h image ls | grep -E '^busybox +latest +[0-9a-f]{12} ' >/dev/null || fail "ls table: $(h image ls)"
[[ $(h image ls -q) == "${id:7:12}" ]] || fail "ls -q: $(h image ls -q)"
h image ls --format json | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert len(rows) == 1, rows
assert rows[0]["Repository"] == "busybox" and rows[0]["Tag"] == "latest", rows
assert rows[0]["Size"].endswith("MB"), rows
'

# inspect: docker-shaped JSON
h image inspect busybox > "$work/inspect.json"
python3 - "$work/inspect.json" "$id" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
assert isinstance(data, list) and len(data) == 1
img = data[0]
assert img["Id"] == sys.argv[2], img["Id"]
assert img["RepoTags"] == ["busybox:latest"], img["RepoTags"]
assert img["Os"] == "linux" and img["Architecture"], img
assert img["Config"]["Cmd"] == ["sh"], img["Config"]
assert "PATH=/usr/sbin:/usr/bin:/sbin:/bin" in img["Config"]["Env"]
assert img["Config"]["ExposedPorts"] == {"80/tcp": {}}
assert img["Config"]["Labels"] == {"org.example": "yes"}
assert img["Config"]["WorkingDir"] == "/root"
assert img["RootFS"]["Type"] == "layers" and len(img["RootFS"]["Layers"]) == 1
assert img["Size"] > 1000000, img["Size"]
assert img["Created"].endswith("Z")
PY

# the unpacked layer is a usable rootfs
layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["GraphDriver"]["Data"]["UpperDir"])' "$work/inspect.json")
[[ -x $layer/bin/busybox && -L $layer/bin/sh ]] || fail "layer dir $layer lacks busybox"
[[ $(stat -c %a "$layer/tmp") == 1777 ]] || fail "tmp mode"
link=$(ls "$root/l")
[[ $(readlink -f "$root/l/$link") == "$(readlink -f "$layer")" ]] || fail "short link"

# stdin import, gzip, tag, history
gzip -c "$work/busybox.tar" | h image import -m "from stdin" - localhost:5000/bb:gz >/dev/null
h image tag busybox mine/box:1
h image ls | grep -E '^mine/box +1 ' >/dev/null || fail "tag not listed"
h image ls | grep -E '^localhost:5000/bb +gz ' >/dev/null || fail "stdin import not listed"
[[ $(ls "$root/layers" | wc -l) == 1 ]] || fail "identical layers must be stored once"
h image history localhost:5000/bb:gz | grep -q "from stdin" || fail "history comment"
h image history --format json busybox | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert len(rows) == 1 and rows[0]["Comment"].startswith("Imported from"), rows
'

# unknown image: clear error, exit 1
set +e
out=$(h image inspect nothere 2>&1); rc=$?
set -e
[[ $rc == 1 && $out == *"no such image: nothere"* ]] || fail "unknown image: rc=$rc out=$out"
set +e; h image rm nothere 2>/dev/null; rc=$?; set -e
[[ $rc == 1 ]] || fail "rm unknown: rc=$rc"

# rm: by id with several tags refused; untag; delete
set +e; h image rm "${id:7:12}" 2>/dev/null; rc=$?; set -e
[[ $rc == 1 ]] || fail "rm of a multiply tagged id must be refused"
[[ $(h image rm mine/box:1) == "Untagged: mine/box:1" ]] || fail "rm untag"
h image rm busybox | grep -q "^Deleted: $id" || fail "rm delete"
h image ls -q | grep -q . || fail "the gz image must remain"

# prune: a dangling image goes, then --all takes the rest; nothing is left behind
h image import "$work/busybox.tar" >/dev/null
[[ $(h image ls | grep -c '<none>') == 1 ]] || fail "dangling image not listed"
h image prune -f | grep -q "Total reclaimed space" || fail "prune output"
[[ $(h image ls | grep -c '<none>' || true) == 0 ]] || fail "prune left the dangling image"
h image prune -a -f >/dev/null
[[ -z $(h image ls -q) ]] || fail "prune --all left images"
[[ -z $(ls "$root/blobs/sha256") && -z $(ls "$root/layers") && -z $(ls "$root/l") ]] || fail "garbage left behind"
echo "ok"
