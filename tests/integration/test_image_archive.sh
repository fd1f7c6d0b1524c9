#!/usr/bin/env bash
# hako image save / load: round trips of the docker-archive (OCI layout + manifest.json)
# that save writes, the legacy docker save layout, a plain OCI archive with a gzip
# layer; and corrupt, truncated and hostile archives, which must fail with a clear
# error and leave the store as it was. Each store is its own --root.
set -uo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the image archive tests need root (layers keep owners and device nodes)" >&2
  exit 0
fi
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
W=$(mktemp -d /tmp/hako-archive-test.XXXXXX)
A=$W/a B=$W/b
failures=0

cleanup() {
  for r in "$A" "$B"; do
    for id in $("$HAKO" --root "$r" container ls -a -q 2>/dev/null); do
      "$HAKO" --root "$r" container rm -f "$id" >/dev/null 2>&1
    done
  done
  awk -v r="$W" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r umount -l
  rm -rf "$W"
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
a() { "$HAKO" --root "$A" image "$@"; }
b() { "$HAKO" --root "$B" image "$@"; }
store_state() { (cd "$B" && find images blobs layers l -mindepth 1 2>/dev/null | sort | md5sum); }

bash "$SRC/scripts/make-test-image.sh" "$W/image.tar" >/dev/null
gzip -k "$W/image.tar"
a import "$W/image.tar.gz" busybox:1 >/dev/null || { echo "FAIL: image import"; exit 1; }
a tag busybox:1 other/name:2
id=$(a inspect busybox:1 | sed -n 's/.*"Id": "\(sha256:[0-9a-f]*\)".*/\1/p' | head -1)

# Save → load round trip (a gzip layer is written uncompressed, as docker save does).
a save -o "$W/save.tar" busybox:1 other/name:2
check "save writes the OCI layout and manifest.json" "$(tar -tf "$W/save.tar" | grep -E '^(index.json|manifest.json|oci-layout)$' | sort | tr '\n' ' ')" "index.json manifest.json oci-layout "
check "one manifest.json entry with both tags" "$(tar -xOf "$W/save.tar" manifest.json | python3 -c 'import json,sys; m=json.load(sys.stdin); print(len(m), sorted(m[0]["RepoTags"]))')" "1 ['busybox:1', 'other/name:2']"
out=$(b load -i "$W/save.tar")
check "load names what it loaded" "$(echo "$out" | sort | tr '\n' ' ')" "Loaded image: busybox:1 Loaded image: other/name:2 "
check "the image keeps its id" "$(b inspect busybox:1 | grep -c "\"Id\": \"$id\"")" "1"
check "a container runs from the loaded image" "$("$HAKO" --root "$B" container run --rm busybox:1 echo loaded)" "loaded"
check "save to stdout, load from stdin" "$(a save busybox:1 | b load)" "Loaded image: busybox:1"
a save "${id#sha256:}" >"$W/byid.tar"
check "saved by id: untagged" "$(tar -xOf "$W/byid.tar" manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RepoTags"])')" "None"
b rm -f busybox:1 other/name:2 >/dev/null
check "an untagged load prints the id" "$(b load -i "$W/byid.tar")" "Loaded image ID: $id"

# The legacy docker save layout: <id>/layer.tar (here reached through a symlink, as
# docker save dedupes layers), <config hex>.json, manifest.json.
mkdir -p "$W/legacy/base" "$W/legacy/top" "$W/unpacked"
tar -C "$W/unpacked" -xf "$W/save.tar"
config=$(tar -xOf "$W/save.tar" manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Config"])')
layer=$(tar -xOf "$W/save.tar" manifest.json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Layers"][0])')
cp "$W/unpacked/$config" "$W/legacy/${config##*/}.json"
cp "$W/unpacked/$layer" "$W/legacy/base/layer.tar"
ln -s ../base/layer.tar "$W/legacy/top/layer.tar"
echo "[{\"Config\":\"${config##*/}.json\",\"RepoTags\":[\"legacy:1\"],\"Layers\":[\"top/layer.tar\"]}]" >"$W/legacy/manifest.json"
tar -C "$W/legacy" -cf "$W/legacy.tar" .
check "legacy layout loads" "$(b load -i "$W/legacy.tar")" "Loaded image: legacy:1"
check "…with the same id" "$(b inspect legacy:1 | grep -c "\"Id\": \"$id\"")" "1"

# A plain OCI archive (no manifest.json) with a gzip layer.
python3 - "$W/unpacked" "$W/oci" "${layer##*/}" <<'PY'
import gzip, hashlib, json, os, shutil, sys
src, dst, layer_hex = sys.argv[1:4]
shutil.copytree(src, dst)
os.remove(os.path.join(dst, "manifest.json"))
blobs = os.path.join(dst, "blobs", "sha256")
index = json.load(open(os.path.join(dst, "index.json")))
manifest_hex = index["manifests"][0]["digest"][7:]
manifest = json.load(open(os.path.join(blobs, manifest_hex)))
data = gzip.compress(open(os.path.join(blobs, layer_hex), "rb").read())
gz_hex = hashlib.sha256(data).hexdigest()
open(os.path.join(blobs, gz_hex), "wb").write(data)
os.remove(os.path.join(blobs, layer_hex))
manifest["layers"][0] = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + gz_hex, "size": len(data)}
text = json.dumps(manifest).encode()
new_hex = hashlib.sha256(text).hexdigest()
open(os.path.join(blobs, new_hex), "wb").write(text)
index["manifests"] = [{"mediaType": manifest["mediaType"], "digest": "sha256:" + new_hex, "size": len(text),
                       "annotations": {"org.opencontainers.image.ref.name": "oci/app:3"}}]
json.dump(index, open(os.path.join(dst, "index.json"), "w"))
PY
tar -C "$W/oci" -cf "$W/oci.tar" .
check "OCI archive with a gzip layer loads" "$(b load -i "$W/oci.tar")" "Loaded image: oci/app:3"

# Bad archives: each fails with status 1 and a message, and the store stays as it was.
before=$(store_state)
bad() {  # bad DESCRIPTION FILE EXPECTED-MESSAGE-PART
  b load -i "$2" >/dev/null 2>"$W/err"
  local rc=$?
  check "$1: status 1" "$rc" "1"
  check "$1: message" "$(grep -c -- "$3" "$W/err")" "1"
}
head -c 1500000 "$W/save.tar" >"$W/truncated.tar"
bad "truncated archive" "$W/truncated.tar" "read image archive"
head -c 4096 /dev/urandom >"$W/random.bin"
bad "not an archive" "$W/random.bin" "image archive"
tar -C "$W/unpacked" -cf "$W/nomanifest.tar" blobs
bad "no manifest.json nor index.json" "$W/nomanifest.tar" "neither manifest.json"
cp -r "$W/legacy" "$W/wrong" && rm "$W/wrong/top/layer.tar" && cp "$W/image.tar" "$W/wrong/top/layer.tar"
printf 'x' | dd of="$W/wrong/top/layer.tar" bs=1 seek=600 conv=notrunc 2>/dev/null
tar -C "$W/wrong" -cf "$W/wrong.tar" .
bad "a layer that does not match the config's diff id" "$W/wrong.tar" "the config says"
cp -r "$W/unpacked" "$W/tampered"
printf 'x' | dd of="$W/tampered/$layer" bs=1 seek=600 conv=notrunc 2>/dev/null
tar -C "$W/tampered" -cf "$W/tampered.tar" .
bad "a blob that does not match its name" "$W/tampered.tar" "has digest"
cp -r "$W/legacy" "$W/hostpath"
echo '[{"Config":"/etc/passwd","RepoTags":["evil:1"],"Layers":["../../etc/shadow"]}]' >"$W/hostpath/manifest.json"
tar -C "$W/hostpath" -cf "$W/hostpath.tar" .
bad "a manifest naming a host file" "$W/hostpath.tar" "no member \"/etc/passwd\""
cp -r "$W/legacy" "$W/link"
ln -s /etc/passwd "$W/link/cfg.json"
echo '[{"Config":"cfg.json","RepoTags":["evil:1"],"Layers":["top/layer.tar"]}]' >"$W/link/manifest.json"
tar -C "$W/link" -cf "$W/link.tar" .
bad "a member symlinked to a host file" "$W/link.tar" "no member \"cfg.json\""
python3 - "$W/dotdot.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    info = tarfile.TarInfo("../../escape.json"); data = b"{}"; info.size = len(data)
    t.addfile(info, io.BytesIO(data))
PY
bad "a member that climbs out" "$W/dotdot.tar" "climbs out"
check "the store is unchanged by the bad archives" "$(store_state)" "$before"
check "no image named evil" "$(b ls --format json | grep -c evil)" "0"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
