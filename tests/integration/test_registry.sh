#!/usr/bin/env bash
# hako image pull and push against Debian's docker-registry on loopback, with images
# pushed by skopeo (from an archive hako saved) in docker and OCI formats and an image
# index; chunked uploads and cross-repository mounts; login/logout against a Bearer
# token service; a tampered blob (rejected, nothing stored) and failing registries
# (401, 500, nothing listening).
set -uo pipefail
if [[ $EUID -ne 0 ]]; then
  echo "SKIP: the registry tests need root (layers keep owners and device nodes)" >&2
  exit 0
fi
for tool in docker-registry skopeo curl python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (scripts/install-deps.sh)" >&2
    exit 0
  fi
done
HAKO=${HAKO:-${HAKO_BUILD_DIR:-/work/main/build}/hako}
SRC=${HAKO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
W=$(mktemp -d /tmp/hako-registry-test.XXXXXX)
A=$W/a B=$W/b
PORT=$((20000 + $$ % 5000))
FAKE_PORT=$((PORT + 5000))
REG=127.0.0.1:$PORT
pids=()
failures=0

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  for id in $("$HAKO" --root "$B" container ls -a -q 2>/dev/null); do
    "$HAKO" --root "$B" container rm -f "$id" >/dev/null 2>&1
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
b() { "$HAKO" --root "$B" image "$@"; }
wait_port() { for _ in $(seq 100); do curl -s "http://127.0.0.1:$1/" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

source "$(dirname "${BASH_SOURCE[0]}")/registry_lib.sh"
start_registry "$W" "$REG" || exit 1

bash "$SRC/scripts/make-test-image.sh" "$W/image.tar" >/dev/null
gzip -k "$W/image.tar"
"$HAKO" --root "$A" image import "$W/image.tar.gz" busybox:1 >/dev/null || { echo "FAIL: import"; exit 1; }
id=$("$HAKO" --root "$A" image ls -q)
"$HAKO" --root "$A" image save -o "$W/save.tar" busybox:1
skopeo copy -q --dest-tls-verify=false "docker-archive:$W/save.tar" "docker://$REG/test/busybox:docker"
check "skopeo pushes hako's archive (docker format)" "$?" "0"
skopeo copy -q --format oci --dest-tls-verify=false "docker-archive:$W/save.tar" "docker://$REG/test/busybox:oci"
check "skopeo pushes hako's archive (OCI format)" "$?" "0"

# Pulls.
out=$(b pull "$REG/test/busybox:docker")
check "pull (docker media types)" "$?" "0"
check "pull prints docker's status" "$(echo "$out" | grep -c "^Status: Downloaded newer image for $REG/test/busybox:docker")" "1"
check "the pulled image keeps its id" "$(b inspect "$REG/test/busybox:docker" | grep -c "\"Id\": \"sha256:${id}")" "1"
b pull -q "$REG/test/busybox:oci" >/dev/null; check "pull (OCI media types)" "$?" "0"
check "a container runs from a pulled image" "$("$HAKO" --root "$B" container run --rm "$REG/test/busybox:oci" echo pulled)" "pulled"
check "a second pull is up to date" "$(b pull "$REG/test/busybox:docker" | grep -c 'Image is up to date')" "1"

# zstd layers (OCI media type …tar+zstd): the image's layer compressed with zstd and its
# config uploaded through the registry API by hand (skopeo would reuse the gzip blob).
zstd -q -c "$W/image.tar" >"$W/layer.zst"
mkdir -p "$W/saved" && tar -xf "$W/save.tar" -C "$W/saved"
python3 - "$REG" "$W/layer.zst" "$W/saved" <<'PY' && check "a zstd image is uploaded" "ok" "ok" || check "a zstd image is uploaded" "failed" "ok"
import hashlib, json, sys, urllib.request
reg, layer_path, saved = sys.argv[1:4]
config_path = saved + "/" + json.load(open(saved + "/manifest.json"))[0]["Config"]
def upload(data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    start = urllib.request.urlopen(urllib.request.Request(f"http://{reg}/v2/test/zstd/blobs/uploads/", method="POST"))
    location = start.headers["Location"]
    location = (location if location.startswith("http") else f"http://{reg}{location}")
    sep = "&" if "?" in location else "?"
    urllib.request.urlopen(urllib.request.Request(f"{location}{sep}digest={digest}", data=data, method="PUT",
                                                  headers={"Content-Type": "application/octet-stream"}))
    return digest, len(data)
layer = open(layer_path, "rb").read(); config = open(config_path, "rb").read()
ld, ls = upload(layer); cd, cs = upload(config)
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": ld, "size": ls}]}).encode()
urllib.request.urlopen(urllib.request.Request(f"http://{reg}/v2/test/zstd/manifests/1", data=manifest, method="PUT",
                                              headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"}))
PY
"$HAKO" --root "$W/z" image pull -q "$REG/test/zstd:1" >/dev/null; check "pull of zstd layers" "$?" "0"
check "…keeps the image id" "$("$HAKO" --root "$W/z" image ls -q)" "$id"
check "…and runs" "$("$HAKO" --root "$W/z" container run --rm --network none "$REG/test/zstd:1" echo zstd)" "zstd"

# An image index: the manifest for this machine's architecture is chosen.
arch=$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
other=$([[ $arch == amd64 ]] && echo arm64 || echo amd64)
docker_manifest=$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/test/busybox/manifests/docker")
oci_manifest=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/test/busybox/manifests/oci")
digest_of() { printf '%s' "$1" | sha256sum | sed 's/ .*//; s/^/sha256:/'; }
size_of() { printf '%s' "$1" | wc -c; }
index="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[
 {\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$(digest_of "$oci_manifest")\",\"size\":$(size_of "$oci_manifest"),\"platform\":{\"os\":\"linux\",\"architecture\":\"$other\"}},
 {\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"digest\":\"$(digest_of "$docker_manifest")\",\"size\":$(size_of "$docker_manifest"),\"platform\":{\"os\":\"linux\",\"architecture\":\"$arch\"}}]}"
curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' \
  --data-binary "$index" "http://$REG/v2/test/busybox/manifests/multi" >"$W/put.code"
check "the index is pushed" "$(cat "$W/put.code")" "201"
b pull -q "$REG/test/busybox:multi" >/dev/null; check "pull of an index" "$?" "0"
check "the index gives this architecture's image" "$(b inspect "$REG/test/busybox:multi" | grep -c "\"Id\": \"sha256:${id}")" "1"
b pull -q "$REG/test/busybox@$(digest_of "$oci_manifest")" >/dev/null; check "pull by digest" "$?" "0"

# Push: chunked upload of a fresh image, then "already exists"; a blob the registry
# holds in another repository of the image is mounted, not uploaded.
"$HAKO" --root "$A" image tag busybox:1 "$REG/fresh/app:1"
out=$("$HAKO" --root "$A" image push --chunk-size 65536 "$REG/fresh/app:1")
check "push" "$?" "0"
check "push uploads the layer" "$(echo "$out" | grep -c ': Pushed$')" "1"
check "push prints the digest" "$(echo "$out" | grep -c '^1: digest: sha256:')" "1"
check "a second push finds the layer there" "$("$HAKO" --root "$A" image push "$REG/fresh/app:1" | grep -c 'Layer already exists')" "1"
skopeo inspect --tls-verify=false "docker://$REG/fresh/app:1" >/dev/null; check "skopeo reads what hako pushed" "$?" "0"
check "pulled back, the image keeps its id" "$("$HAKO" --root "$W/d" image pull -q "$REG/fresh/app:1" >/dev/null && "$HAKO" --root "$W/d" image ls -q)" "$id"
# A second image with the same layer and another config: the layer is not downloaded again.
"$HAKO" --root "$A" image import --change 'ENV SHARED=1' "$W/image.tar.gz" "$REG/fresh/shared:1" >/dev/null
"$HAKO" --root "$A" image push -q "$REG/fresh/shared:1" >/dev/null
out=$("$HAKO" --root "$W/d" image pull --progress plain "$REG/fresh/shared:1" 2>&1)
check "a pull of an image whose layer is held says Already exists" "$(echo "$out" | grep -c ': Already exists$')" "1"
check "…and downloads nothing" "$(echo "$out" | grep -c 'Download complete')" "0"
check "…and the image runs" "$("$HAKO" --root "$W/d" container run --rm --network none "$REG/fresh/shared:1" sh -c 'echo $SHARED')" "1"
b tag "$REG/test/busybox:docker" "$REG/test/mounted:1"
check "a blob of another repository is mounted" "$(b push "$REG/test/mounted:1" | grep -c 'Mounted from test/busybox')" "1"

# Compose pull/push: pull every service's image (a buildable one not yet pushed is a
# warning), push the images of services that build.
mkdir -p "$W/proj"
cat >"$W/proj/compose.yaml" <<EOF
services:
  app:
    image: $REG/test/busybox:docker
  built:
    build: .
    image: $REG/compose/built:1
EOF
"$HAKO" --root "$W/e" -f "$W/proj/compose.yaml" pull 2>"$W/err"; check "compose pull" "$?" "0"
check "…pulls the image service" "$("$HAKO" --root "$W/e" image ls --format json | grep -c "\"Repository\":\"$REG/test/busybox\"")" "1"
check "…and warns for the buildable one" "$(grep -c 'built Warning' "$W/err")" "1"
check "…with plain per-layer lines under the service's name" "$(grep -c '^   app [0-9a-f]\{12\}: Download complete .* in [0-9.]*s$' "$W/err")" "1"
"$HAKO" --root "$A" image tag busybox:1 "$REG/compose/built:1"
"$HAKO" --root "$A" -f "$W/proj/compose.yaml" push 2>/dev/null; check "compose push" "$?" "0"
"$HAKO" --root "$W/e" -f "$W/proj/compose.yaml" pull built 2>/dev/null
check "…and the pushed image pulls" "$("$HAKO" --root "$W/e" image ls --format json | grep -c "\"Repository\":\"$REG/compose/built\"")" "1"

# up pulls what a service needs: a missing image (pull_policy missing, the default), and
# `never` refuses with the image named.
mkdir -p "$W/upproj"
cat >"$W/upproj/compose.yaml" <<EOF
name: hkregup
services:
  app:
    image: $REG/test/busybox:oci
    command: ["sleep", "30"]
    network_mode: none
    stop_signal: SIGKILL
  never:
    image: $REG/test/nosuch:1
    pull_policy: never
    network_mode: none
    profiles: [never]
EOF
"$HAKO" --root "$W/u" -f "$W/upproj/compose.yaml" --progress quiet up -d 2>"$W/err"; check "up pulls a missing image" "$?" "0"
check "…and its container runs" "$("$HAKO" --root "$W/u" container inspect -f '{{.State.Status}}' hkregup-app-1)" "running"
"$HAKO" --root "$W/u" -f "$W/upproj/compose.yaml" --profile never --progress quiet up -d never 2>"$W/err"
check "pull_policy never with a missing image fails" "$?" "1"
check "…naming the image once" "$(grep -c "image $REG/test/nosuch:1 is not present and pull_policy is never" "$W/err")" "1"
"$HAKO" --root "$W/u" -f "$W/upproj/compose.yaml" --profile never --progress quiet down -t 0 >/dev/null 2>&1

# A blob whose content does not match its digest: rejected, nothing stored.
layer=$(echo "$docker_manifest" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"][7:])')
blob=$W/data/docker/registry/v2/blobs/sha256/${layer:0:2}/$layer/data
printf 'X' | dd of="$blob" bs=1 seek=100 conv=notrunc 2>/dev/null
C=$W/c
"$HAKO" --root "$C" image pull "$REG/test/busybox:docker" >/dev/null 2>"$W/err"
check "a tampered layer fails the pull" "$?" "1"
check "…saying so" "$(grep -c 'downloaded content has digest' "$W/err")" "1"
check "…and stores no image" "$("$HAKO" --root "$C" image ls -q | wc -l)" "0"
check "…and no blob" "$(find "$C/blobs" -type f | wc -l)" "0"

# Failing registries: a Bearer token service that refuses, a 500, nothing listening.
cat >"$W/fake.py" <<'PY'
import base64, http.server, sys
port = int(sys.argv[1])
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        if self.path.startswith("/token"):
            if auth == "Basic " + base64.b64encode(b"hako:secret").decode():
                body = b'{"token":"tok"}'
                self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
                self.wfile.write(body); return
            self.send_response(401); self.end_headers(); return
        if auth == "Bearer tok":
            body = b"{}" if self.path == "/v2/" else b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'
            self.send_response(200 if self.path == "/v2/" else 404)
            self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body); return
        if self.path.startswith("/v2/broken/"):
            self.send_response(500); self.send_header("Content-Type", "application/json"); self.end_headers()
            self.wfile.write(b'{"errors":[{"code":"UNKNOWN","message":"boom"}]}'); return
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Bearer realm="http://127.0.0.1:%d/token",service="fake",scope="repository:x:pull"' % port)
        self.end_headers()
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
python3 "$W/fake.py" "$FAKE_PORT" &
pids+=($!)
wait_port "$FAKE_PORT"
b pull "127.0.0.1:$FAKE_PORT/private/app:1" >/dev/null 2>"$W/err"; check "auth failure is status 1" "$?" "1"
check "…naming the token request" "$(grep -c 'token request failed with status 401' "$W/err")" "1"
b pull "127.0.0.1:$FAKE_PORT/broken/app:1" >/dev/null 2>"$W/err"; check "a 500 is status 1" "$?" "1"
check "…with the registry's message" "$(grep -c 'status 500 (boom)' "$W/err")" "1"
b pull "$REG/test/nosuch:1" >/dev/null 2>"$W/err"; check "unknown repository is status 1" "$?" "1"
check "…not found" "$(grep -c 'not found' "$W/err")" "1"
b pull "127.0.0.1:1/x:1" >/dev/null 2>&1; check "nothing listening is status 1" "$?" "1"

# login/logout with the token service: wrong password refused, right one stored in
# $DOCKER_CONFIG/config.json and then used by pull.
export DOCKER_CONFIG=$W/dockercfg
FAKE=127.0.0.1:$FAKE_PORT
echo wrong | "$HAKO" login -u hako --password-stdin "$FAKE" >/dev/null 2>"$W/err"; check "login with a wrong password is status 1" "$?" "1"
[[ ! -e $DOCKER_CONFIG/config.json ]]; check "…and stores nothing" "$?" "0"
check "login" "$(echo secret | "$HAKO" login -u hako --password-stdin "$FAKE")" "Login Succeeded"
check "config.json holds the credentials" "$(python3 -c "import json,sys; print(json.load(open('$DOCKER_CONFIG/config.json'))['auths']['$FAKE']['auth'])")" "$(printf 'hako:secret' | base64)"
b pull "$FAKE/private/app:1" >/dev/null 2>"$W/err"
check "pull uses the stored credentials (gets past auth to a 404)" "$(grep -c 'not found (manifest unknown)' "$W/err")" "1"
check "logout" "$("$HAKO" logout "$FAKE")" "Removing login credentials for $FAKE"
b pull "$FAKE/private/app:1" >/dev/null 2>"$W/err"
check "after logout the token request fails again" "$(grep -c 'token request failed with status 401' "$W/err")" "1"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
