#!/usr/bin/env bash
# hako image pull's parallel, resumable layer downloads against Debian's docker-registry
# on loopback (127.0.0.1:5721) behind a small python3 proxy (127.0.0.1:5722) that logs
# every blob request with its Range header, counts concurrent blob downloads, and on
# demand cuts one layer's connection after 1 MiB (or stalls there while hako is killed)
# or ignores Range (answers 200): the image lands with every digest checked, a cut or
# killed pull leaves a partial file that the next pull continues (Range, 206), a
# corrupted partial file is caught by the digest check and downloaded again, image
# prune removes stale partial files, and --progress plain prints a few lines per layer.
# shellcheck source=tests/integration/check_lib.sh
test_kind=registry-resume source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
for tool in docker-registry skopeo curl python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (scripts/install-deps.sh)" >&2
    exit 0
  fi
done
W=$R
REG=127.0.0.1:5721
PROXY=127.0.0.1:5722
pids=()
stop_servers() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  cleanup
}
trap stop_servers EXIT
wait_port() { for _ in $(seq 100); do curl -s "http://$1/v2/" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

source "$(dirname "${BASH_SOURCE[0]}")/registry_lib.sh"
start_registry "$W" "$REG" || exit 1

# An OCI layout with four uncompressed layers of random data (3 MiB, then 1 MiB each).
python3 - "$W/oci" <<'PY'
import hashlib, io, json, os, platform, sys, tarfile
out = sys.argv[1]
os.makedirs(out + "/blobs/sha256")
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open(out + "/blobs/sha256/" + d, "wb").write(data)
    return "sha256:" + d
layers = []
for i, size in enumerate([3 << 20, 1 << 20, 1 << 20, 1 << 20]):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        info = tarfile.TarInfo("data-%d" % i); info.size = size; info.mode = 0o644
        t.addfile(info, io.BytesIO(os.urandom(size)))
    data = buf.getvalue()
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": blob(data), "size": len(data)})
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
config = json.dumps({"architecture": arch, "os": "linux", "config": {},
                     "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(config), "size": len(config)},
                       "layers": layers}).encode()
index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(manifest),
         "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "1"}}]}
json.dump(index, open(out + "/index.json", "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(out + "/oci-layout", "w"))
print(hashlib.sha256(config).hexdigest(), file=open(out + "/../config.id", "w"))
PY

# The proxy: blobs are fetched whole from the registry and served (with Range as
# asked, unless $W/norange exists); while $W/cut exists the big layer is cut after 1 MiB
# (once: the file is removed). Each blob request is logged as "DIGEST RANGE STATUS".
cat >"$W/proxy.py" <<'PY'
import http.server, os, socketserver, sys, threading, time, urllib.request, urllib.error
port, upstream, w = int(sys.argv[1]), sys.argv[2], sys.argv[3]
big = open(w + "/big.hex").read().strip()
lock = threading.RLock(); active = [0]
def log(line):
    with lock, open(w + "/proxy.log", "a") as f: f.write(line + "\n")
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def relay(self, head):
        req = urllib.request.Request(upstream + self.path, method="HEAD" if head else "GET")
        for k in ("Accept", "Authorization"):
            if self.headers.get(k): req.add_header(k, self.headers[k])
        try:
            r = urllib.request.urlopen(req); status, headers, body = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, headers, body = e.code, e.headers, e.read()
        return status, headers, body
    def do_HEAD(self): self.do_GET(head=True)
    def do_GET(self, head=False):
        status, headers, body = self.relay(head)
        if "/blobs/sha256:" not in self.path or head or status != 200:
            self.send_response(status)
            for k in ("Content-Type", "Docker-Content-Digest"):
                if headers.get(k): self.send_header(k, headers[k])
            self.send_header("Content-Length", str(len(body) if not head else headers.get("Content-Length", 0)))
            self.end_headers()
            if not head: self.wfile.write(body)
            return
        digest = self.path.rsplit("sha256:", 1)[1]
        with lock: active[0] += 1; log("ACTIVE %d" % active[0])
        try:
            time.sleep(0.3)  # long enough for the other downloads to start
            rng = self.headers.get("Range", "-")
            start = 0
            if rng.startswith("bytes=") and not os.path.exists(w + "/norange"):
                start = int(rng[6:].split("-")[0])
            code = 206 if start else 200
            log("%s %s %d" % (digest, rng, code))
            self.send_response(code)
            self.send_header("Content-Length", str(len(body) - start))
            if code == 206: self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(body) - 1, len(body)))
            self.end_headers()
            if digest == big and os.path.exists(w + "/cut"):
                os.unlink(w + "/cut")
                self.wfile.write(body[start:start + (1 << 20)]); self.wfile.flush()
                if os.path.exists(w + "/stall"): time.sleep(30)  # hako is killed meanwhile
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(body[start:])
        finally:
            with lock: active[0] -= 1
class S(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
S(("127.0.0.1", port), H).serve_forever()
PY
skopeo copy -q --dest-tls-verify=false "oci:$W/oci:1" "docker://$REG/test/multi:1"
check "skopeo pushes a four-layer image" "$?" "0"
# skopeo compressed the layers on the way: the big one's digest is the registry's.
curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/test/multi/manifests/1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"][7:])' >"$W/big.hex"
python3 "$W/proxy.py" 5722 "http://$REG" "$W" 2>"$W/proxy.err" &
pids+=($!)
wait_port "$PROXY" || { echo "FAIL: the proxy did not start"; exit 1; }
id=$(cat "$W/config.id")
big=$(cat "$W/big.hex")
partial() { echo "$1/tmp/pull-$big.partial"; }
pull() { local root=$1; shift; "$HAKO" --root "$root" --progress plain image pull "$@" "$PROXY/test/multi:1"; }

# 1. A parallel pull with plain progress lines; the store has the image with every layer.
out=$(pull "$W/r1" 2>&1); check "parallel pull" "$?" "0"
check "…the image id is the config's digest" "$("$HAKO" --root "$W/r1" image ls -q --no-trunc)" "sha256:$id"
check "…its four layers are the pushed ones" \
  "$("$HAKO" --root "$W/r1" image inspect "$PROXY/test/multi:1" | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)[0]["RootFS"]["Layers"])))')" \
  "$(python3 -c "import json; print(' '.join(sorted(l['digest'] for l in json.load(open('$W/oci/blobs/sha256/'+json.load(open('$W/oci/index.json'))['manifests'][0]['digest'][7:]))['layers'])))")"
check "…downloads ran side by side" "$(grep '^ACTIVE' "$W/proxy.log" | sort -k2 -n | tail -1 | awk '{print ($2 >= 2)}')" "1"
check "…plain progress: a start line per layer" "$(grep -c ': Downloading [0-9.]*[kM]B$' <<<"$out")" "4"
check "…a done line with size and time" "$(grep -c ': Download complete [0-9.]*[kM]B in [0-9.]*s$' <<<"$out")" "4"
check "…and Pull complete" "$(grep -c ': Pull complete$' <<<"$out")" "4"
check "…no partial file is left" "$(find "$W/r1/tmp" -name 'pull-*' | wc -l)" "0"
check "-q prints only the reference" "$("$HAKO" --root "$W/r1b" image pull -q "$PROXY/test/multi:1")" "$PROXY/test/multi:1"

# 2. The big layer's connection is cut after 1 MiB: the pull fails, the partial file stays;
# the next pull asks for the rest with Range and succeeds.
: >"$W/proxy.log"; touch "$W/cut"
pull "$W/r2" >/dev/null 2>"$W/err"; check "a cut download fails the pull" "$?" "1"
check "…and leaves the partial file (1 MiB)" "$(stat -c %s "$(partial "$W/r2")" 2>&1)" "1048576"
check "…and no image" "$("$HAKO" --root "$W/r2" image ls -q | wc -l)" "0"
out=$(pull "$W/r2" 2>&1); check "the next pull succeeds" "$?" "0"
check "…asking for the rest with Range" "$(grep -c "^$big bytes=1048576- 206$" "$W/proxy.log")" "1"
check "…saying it resumes" "$(grep -c "^${big:0:12}: Resuming at 1.05MB of " <<<"$out")" "1"
check "…with the right image" "$("$HAKO" --root "$W/r2" image ls -q --no-trunc)" "sha256:$id"
check "…and removes the partial file" "$(find "$W/r2/tmp" -name 'pull-*' | wc -l)" "0"

# 2b. hako killed in the middle of a download: the partial file stays and is continued.
: >"$W/proxy.log"; touch "$W/cut" "$W/stall"
"$HAKO" --root "$W/r2b" image pull -q "$PROXY/test/multi:1" >/dev/null 2>&1 &
puller=$!
for _ in $(seq 100); do [[ $(stat -c %s "$(partial "$W/r2b")" 2>/dev/null) == 1048576 ]] && break; sleep 0.1; done
kill -9 "$puller"; wait "$puller" 2>/dev/null
rm -f "$W/stall"
check "a killed pull leaves its partial file" "$(stat -c %s "$(partial "$W/r2b")" 2>&1)" "1048576"
pull "$W/r2b" >/dev/null 2>&1; check "the next pull succeeds" "$?" "0"
check "…continuing it with Range" "$(grep -c "^$big bytes=1048576- 206$" "$W/proxy.log")" "1"
check "…with the right image" "$("$HAKO" --root "$W/r2b" image ls -q --no-trunc)" "sha256:$id"

# 3. A corrupted partial file: the digest check over the whole file catches it and the
# layer is downloaded again from zero.
: >"$W/proxy.log"; touch "$W/cut"
pull "$W/r3" >/dev/null 2>&1
printf 'XXXX' | dd of="$(partial "$W/r3")" bs=1 seek=1000 conv=notrunc 2>/dev/null
out=$(pull "$W/r3" 2>&1); check "a pull over a corrupted partial file succeeds" "$?" "0"
check "…after the digest check caught it" "$(grep -c "^${big:0:12}: Partial download failed its digest check" <<<"$out")" "1"
check "…resuming first, then from zero" "$(grep "^$big " "$W/proxy.log" | awk '{print $2, $3}' | tr '\n' ' ')" "- 200 bytes=1048576- 206 - 200 "
check "…with the right image" "$("$HAKO" --root "$W/r3" image ls -q --no-trunc)" "sha256:$id"

# 4. A server that ignores Range (200): the download starts over and succeeds.
: >"$W/proxy.log"; touch "$W/cut"
pull "$W/r4" >/dev/null 2>&1
touch "$W/norange"
pull "$W/r4" >/dev/null 2>&1; check "a server ignoring Range: the pull succeeds" "$?" "0"
check "…its 200 answer is taken whole" "$(grep -c "^$big bytes=1048576- 200$" "$W/proxy.log")" "1"
check "…with the right image" "$("$HAKO" --root "$W/r4" image ls -q --no-trunc)" "sha256:$id"
rm -f "$W/norange"

# 5. image prune removes a stale partial file.
touch "$W/cut"
pull "$W/r5" >/dev/null 2>&1
[[ -f $(partial "$W/r5") ]]; check "a cut pull left its partial file" "$?" "0"
"$HAKO" --root "$W/r5" image prune -f >/dev/null; check "image prune" "$?" "0"
check "…removes it" "$(find "$W/r5/tmp" -name 'pull-*' | wc -l)" "0"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
