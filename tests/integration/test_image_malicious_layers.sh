#!/usr/bin/env bash
# Security test: layer tars made with python3's tarfile that try to write outside
# the layer (.., absolute paths, symlink and hardlink escapes) are refused or
# confined by `hako image import`, and nothing outside the root changes.
set -euo pipefail
HAKO=${HAKO:?set HAKO to the hako binary}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
victim=$work/victim
mkdir -p "$victim"
echo original > "$victim/secret"
h() { "$HAKO" --root "$root" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

python3 - "$work" "$victim" <<'PY'
import io, sys, tarfile
work, victim = sys.argv[1], sys.argv[2]
def make(name, entries):
    with tarfile.open(f"{work}/{name}.tar", "w") as t:
        for kind, path, arg in entries:
            info = tarfile.TarInfo(path)
            if kind == "file":
                data = arg.encode()
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE; info.linkname = arg; t.addfile(info)
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE; info.linkname = arg; t.addfile(info)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE; info.mode = 0o755; t.addfile(info)
make("dotdot", [("file", "../../../../" + victim.lstrip("/") + "/dotdot", "x")])
make("symlink", [("symlink", "evil", victim), ("file", "evil/pwned", "x")])
make("symlink_rel", [("dir", "a", None), ("symlink", "a/up", "../../../../../../../" + victim.lstrip("/")), ("file", "a/up/pwned", "x")])
make("hardlink", [("hardlink", "stolen", victim + "/secret")])
make("hardlink_dotdot", [("hardlink", "stolen", "../../../../../../" + victim.lstrip("/") + "/secret")])
make("symlink_overwrite", [("symlink", "s", victim + "/secret"), ("file", "s", "overwritten")])
make("absolute", [("file", victim + "/absolute", "x")])
PY

refused() {
  set +e
  out=$(h image import "$work/$1.tar" "bad:$1" 2>&1); rc=$?
  set -e
  [[ $rc == 1 ]] || fail "$1: expected exit 1, got $rc ($out)"
  [[ $out == *"layer entry"* ]] || fail "$1: error should name the entry: $out"
}
refused dotdot
refused symlink
refused symlink_rel
refused hardlink_dotdot

# confined: an absolute name lands inside the layer; an absolute hardlink target
# names a file inside the layer (absent here, so the import fails); a file entry
# replaces a symlink rather than writing through it.
h image import "$work/absolute.tar" ok:absolute >/dev/null
set +e; h image import "$work/hardlink.tar" bad:hardlink >/dev/null 2>&1; rc=$?; set -e
[[ $rc == 1 ]] || fail "hardlink to a host path must not import"
h image import "$work/symlink_overwrite.tar" ok:overwrite >/dev/null

[[ $(cat "$victim/secret") == original ]] || fail "victim file changed"
[[ $(stat -c %h "$victim/secret") == 1 ]] || fail "victim file got a hardlink"
[[ $(ls "$victim") == secret ]] || fail "files appeared outside the root: $(ls "$victim")"
h image ls | grep -q '^bad' && fail "a refused layer left an image"
layer=$(h image inspect ok:absolute | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["GraphDriver"]["Data"]["UpperDir"])')
[[ -f $layer/${victim#/}/absolute ]] || fail "absolute entry not confined into the layer"
echo "ok"
