#!/usr/bin/env bash
# hako container diff (A/C/D against the image) and container commit (the
# container's layer as a new image, with --change, -m and -a), with their own --root.
test_kind=commit source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
h() { "$HAKO" --root "$R" "$@"; }
field() { h image inspect "$1" | python3 -c "import json,sys; c=json.load(sys.stdin)[0]; print(json.dumps(eval(sys.argv[1])))" "$2"; }

bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
h image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

h container run --name commit-src -e FROM_RUN=yes -w /tmp busybox \
  sh -c 'echo new > /newfile; rm /bin/vi; mkdir /tmp/d; echo x >> /etc/passwd' >/dev/null
# /etc/hostname, hosts and resolv.conf are mount points in the shared init layer
# (engine/container/init_layer.h), not in the container's layer: never listed.
check "diff lists added, changed and deleted paths" \
  "$(h container diff commit-src)" \
"C /bin
D /bin/vi
C /etc
C /etc/passwd
A /newfile
C /tmp
A /tmp/d"
h container diff no-such-container 2>/dev/null
check "diff of an unknown container fails" "$?" "1"

id=$(h container commit -m "my message" -a "Jane <jane@example.com>" -c 'CMD ["cat", "/newfile"]' -c 'ENV X=1' \
  commit-src committed:1)
check "commit prints the new image id" "${id:0:7}" "sha256:"
check "the committed image runs the --change CMD" "$(h container run --rm committed:1)" "new"
check "the container's changes are in the image" \
  "$(h container run --rm committed:1 sh -c 'ls /bin/vi 2>&1; tail -1 /etc/passwd; test -d /tmp/d && echo dir')" \
"ls: /bin/vi: No such file or directory
x
dir"
check "the container's env and the --change ENV are kept" "$(field committed:1 "sorted(c['Config']['Env'])[:2]")" '["FROM_RUN=yes", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]'
check "--change ENV" "$(h container run --rm committed:1 sh -c 'echo $X')" "1"
check "the container's working dir is kept" "$(field committed:1 "c['Config']['WorkingDir']")" '"/tmp"'
check "author" "$(field committed:1 "c['Author']")" '"Jane <jane@example.com>"'
check "message in the history" "$(h image history committed:1 | sed -n 2p | grep -c 'my message')" "1"
check "one more layer than the base" "$(field committed:1 "len(c['RootFS']['Layers'])")" "2"

h container create --name untouched busybox true >/dev/null
check "a container that changed nothing diffs empty" "$(h container diff untouched)" ""
h container run --name ran-clean busybox cat /etc/hostname /etc/hosts /etc/resolv.conf >/dev/null
check "one that ran and changed nothing too (its /etc/hosts… are mount points of the init layer)" \
  "$(h container diff ran-clean)" ""
check "the init layer's files are empty and never written through" \
  "$(stat -c '%s %a %n' "$R"/init-layer/etc/* | sed "s|$R/||")" \
"0 644 init-layer/etc/hostname
0 644 init-layer/etc/hosts
0 644 init-layer/etc/resolv.conf"
id2=$(h container commit untouched)
check "committing it adds no layer" "$(field "$id2" "len(c['RootFS']['Layers'])")" "1"
h container commit -c 'BOGUS x' commit-src 2>/dev/null
check "a bad --change fails" "$?" "1"

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all commit checks passed"
