#!/usr/bin/env bash
# Devices and GPUs in containers: fake CDI specs (JSON and YAML) pointing at nodes
# made here with mknod, a fake NVIDIA tree (HAKO_NVIDIA_ROOT), --device with
# permissions, cgroup rules; the device cgroup lets exactly the requested nodes through.
test_kind=device source "$(dirname "${BASH_SOURCE[0]}")/check_lib.sh"
STATE=$R/root
h() { env -u HAKO_CDI_SPEC_DIRS -u HAKO_NVIDIA_ROOT "$HAKO" --root "$R/root" container "$@"; }

mkdir -p "$R/root" "$R/dev" "$R/cdi1" "$R/cdi2" "$R/cdi-conflict" "$R/share"
bash "$SRC/scripts/make-test-image.sh" "$R/image.tar" >/dev/null
"$HAKO" --root "$R/root" image import "$R/image.tar" busybox >/dev/null || { echo "FAIL: image import"; exit 1; }

# Nodes: 10:237 (loop-control) opens without side effects and is not in the default
# device cgroup, so "open works" means "the cgroup let it through".
mknod "$R/dev/ctl" c 10 237
mknod "$R/dev/zero" c 1 5
echo "shared-data" >"$R/share/data.txt"

cat >"$R/cdi1/vendor.json" <<JSON
{"cdiVersion": "0.6.0", "kind": "example.com/dev",
 "containerEdits": {"env": ["SPEC_WIDE=yes"], "additionalGids": [4242]},
 "devices": [
  {"name": "ctl", "containerEdits": {"deviceNodes": [{"path": "/dev/example-ctl", "hostPath": "$R/dev/ctl"}],
                                     "env": ["EXAMPLE_DEV=ctl"],
                                     "mounts": [{"hostPath": "$R/share", "containerPath": "/opt/example", "options": ["ro", "bind"]}]}},
  {"name": "zero", "containerEdits": {"deviceNodes": [{"path": "/dev/example-zero", "hostPath": "$R/dev/zero", "type": "c", "major": 1, "minor": 5}],
                                      "env": ["EXAMPLE_DEV=zero"]}}
 ]}
JSON
cat >"$R/cdi1/other.yaml" <<YAML
cdiVersion: "0.6.0"
kind: other.org/thing
devices:
  - name: one
    containerEdits:
      env: ["OTHER=one"]
      deviceNodes:
        - path: /dev/other-one
          hostPath: $R/dev/ctl
          permissions: r
YAML
# A later folder overrides example.com/dev=zero.
cat >"$R/cdi2/override.yaml" <<YAML
cdiVersion: "0.6.0"
kind: example.com/dev
devices:
  - name: zero
    containerEdits:
      env: ["EXAMPLE_DEV=zero-from-cdi2"]
      deviceNodes: [{path: /dev/example-zero, hostPath: $R/dev/zero}]
YAML

probe='for d in /dev/example-ctl /dev/example-zero /dev/other-one; do [ -e $d ] && echo -n "$d "; done; echo'

# CDI by --device NAME and --cdi-spec-dir.
out=$(h run --rm --cdi-spec-dir "$R/cdi1" --device example.com/dev=ctl busybox sh -c "$probe; echo \$SPEC_WIDE \$EXAMPLE_DEV; cat /opt/example/data.txt; : < /dev/example-ctl && echo open-ok; echo groups: \$(id -G)" 2>&1)
contains "CDI device: exactly its node, spec and device env, mount, open allowed" "$out" "/dev/example-ctl 
yes ctl
shared-data
open-ok"
contains "CDI additionalGids are the container's groups" "$out" " 4242"
out=$(h run --rm --cdi-spec-dir "$R/cdi1" --device example.com/dev=ctl busybox sh -c 'echo x > /opt/example/new' 2>&1)
contains "CDI mount is read-only" "$out" "Read-only file system"
out=$(h run --rm --cdi-spec-dir "$R/cdi1" --device example.com/dev=all busybox sh -c "$probe" 2>&1)
check "CDI =all takes every device of the kind" "$out" "/dev/example-ctl /dev/example-zero "
out=$(HAKO_CDI_SPEC_DIRS="$R/cdi1" "$HAKO" --root "$R/root" container run --rm --device other.org/thing=one busybox sh -c "$probe; echo \$OTHER; (: < /dev/other-one) && echo read-ok; (: > /dev/other-one) 2>/dev/null || echo write-denied" 2>&1)
contains "YAML spec through HAKO_CDI_SPEC_DIRS: node and env" "$out" "/dev/other-one 
one
read-ok"
contains "CDI permissions r: writing is denied by the device cgroup" "$out" "write-denied"
out=$(h run --rm --cdi-spec-dir "$R/cdi1" --cdi-spec-dir "$R/cdi2" --device example.com/dev=zero busybox sh -c 'echo $EXAMPLE_DEV' 2>&1)
check "the later spec folder wins" "$out" "zero-from-cdi2"

# Not requested: a node made inside the container is refused by the device cgroup.
out=$(h run --rm busybox sh -c 'mknod /x c 10 237 && : < /x && echo open-ok' 2>&1)
contains "a node that was not requested cannot be opened" "$out" "Operation not permitted"
out=$(h run --rm --device-cgroup-rule 'c 10:237 r' busybox sh -c 'mknod /x c 10 237 && : < /x && echo open-ok' 2>&1)
check "--device-cgroup-rule lets it through" "$out" "open-ok"

# --device HOST:CTR:PERMS.
out=$(h run --rm --device "$R/dev/ctl:/dev/mine:r" busybox sh -c '[ -c /dev/mine ] && echo char; (: < /dev/mine) && echo read-ok; (: > /dev/mine) 2>/dev/null || echo write-denied' 2>&1)
contains "--device with r: node present and readable" "$out" "char
read-ok"
contains "--device with r: write refused" "$out" "write-denied"

# Errors: before anything starts, naming what is missing.
out=$(h run --rm --cdi-spec-dir "$R/cdi1" --device example.com/dev=nope busybox true 2>&1); rc=$?
check "unknown CDI device: status 125" "$rc" "125"
contains "unknown CDI device: names the device" "$out" "example.com/dev=nope"
contains "unknown CDI device: names the spec file" "$out" "$R/cdi1/vendor.json"
out=$(h run --rm --cdi-spec-dir "$R/cdi1" --device nothere.com/x=1 busybox true 2>&1)
contains "unknown CDI kind" "$out" "no CDI spec for kind nothere.com/x"
cp "$R/cdi1/vendor.json" "$R/cdi-conflict/a.json"; cp "$R/cdi1/vendor.json" "$R/cdi-conflict/b.json"
out=$(h run --rm --cdi-spec-dir "$R/cdi-conflict" --device example.com/dev=ctl busybox true 2>&1)
contains "same device twice in one folder is a conflict naming both files" "$out" "$R/cdi-conflict/a.json and $R/cdi-conflict/b.json"
echo '{"cdiVersion": "0.6.0", "kind": "bad.com/x", "devices": [{"name": "a", "containerEdits": {"deviceNodes": [{"path": "dev/rel"}]}}]}' >"$R/cdi-bad.json"
mkdir "$R/cdi-bad"; mv "$R/cdi-bad.json" "$R/cdi-bad/"
out=$(h run --rm --cdi-spec-dir "$R/cdi-bad" --device bad.com/x=a busybox true 2>&1)
contains "a bad spec names its file and device" "$out" "$R/cdi-bad/cdi-bad.json: device bad.com/x=a"
out=$(h run --rm --device /nonexistent/dev busybox true 2>&1); rc=$?
check "missing host device: 125" "$rc" "125"
contains "missing host device: named" "$out" "/nonexistent/dev"
out=$(h run --rm --device "$R/dev/ctl:/dev/x:rwz" busybox true 2>&1)
contains "bad permissions named" "$out" "rwz"
check "nothing was created by the failures" "$(h ls -a -q | wc -l)" "0"

# A fake NVIDIA host: two GPUs (the second has a UUID), control nodes, libraries, nvidia-smi.
nv=$R/nv
mkdir -p "$nv/dev/nvidia-caps" "$nv/usr/lib/x86_64-linux-gnu" "$nv/usr/bin" "$nv/proc/driver/nvidia/gpus/0000:02:00.0"
mknod "$nv/dev/nvidia0" c 10 237; mknod "$nv/dev/nvidia1" c 1 5
mknod "$nv/dev/nvidiactl" c 1 3; mknod "$nv/dev/nvidia-uvm" c 1 7; mknod "$nv/dev/nvidia-caps/nvidia-cap1" c 1 9
echo cuda >"$nv/usr/lib/x86_64-linux-gnu/libcuda.so.1"
echo nvml >"$nv/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1"
echo encode >"$nv/usr/lib/x86_64-linux-gnu/libnvidia-encode.so.1"
printf '#!/bin/sh\necho "GPU list: $NVIDIA_VISIBLE_DEVICES"\n' >"$nv/usr/bin/nvidia-smi"; chmod +x "$nv/usr/bin/nvidia-smi"
printf 'Model: Fake\nGPU UUID: GPU-1111-fake\nDevice Minor: 1\n' >"$nv/proc/driver/nvidia/gpus/0000:02:00.0/information"
g() { HAKO_NVIDIA_ROOT=$nv HAKO_CDI_SPEC_DIRS=$R/empty "$HAKO" --root "$R/root" container "$@"; }
gprobe='ls /dev | grep nvidia | tr "\n" " "; ls /dev/nvidia-caps; echo $NVIDIA_VISIBLE_DEVICES $NVIDIA_DRIVER_CAPABILITIES; ls /usr/lib/x86_64-linux-gnu 2>/dev/null | tr "\n" " "; echo'
out=$(g run --rm --gpus all busybox sh -c "$gprobe; cat /usr/lib/x86_64-linux-gnu/libcuda.so.1; nvidia-smi; : < /dev/nvidia0 && echo open-ok; echo x > /usr/lib/x86_64-linux-gnu/libcuda.so.1 || echo lib-ro" 2>&1)
contains "--gpus all: every GPU and control node" "$out" "nvidia-caps nvidia-uvm nvidia0 nvidia1 nvidiactl nvidia-cap1
all compute,utility
libcuda.so.1 libnvidia-ml.so.1 
cuda
GPU list: all
open-ok"
contains "--gpus all: libraries are read-only" "$out" "lib-ro"
out=$(g run --rm --gpus 1 busybox sh -c "$gprobe" 2>&1)
contains "--gpus 1: the first GPU only" "$out" "nvidia-caps nvidia-uvm nvidia0 nvidiactl nvidia-cap1
0 compute,utility"
out=$(g run --rm --gpus '"device=GPU-1111-fake"' busybox sh -c "$gprobe" 2>&1)
contains "--gpus device=UUID picks that GPU" "$out" "nvidia-caps nvidia-uvm nvidia1 nvidiactl nvidia-cap1
1 compute,utility"
out=$(g run --rm --gpus 'count=1,capabilities=video' busybox sh -c "$gprobe" 2>&1)
contains "capabilities choose the libraries" "$out" "0 video
libnvidia-encode.so.1 "
out=$(g run --rm --gpus 3 busybox true 2>&1); rc=$?
check "unmet GPU request: 125" "$rc" "125"
contains "unmet GPU request says what was asked and what exists" "$out" "3 asked, 2 present (0, 1 GPU-1111-fake)"
out=$(g run --rm --gpus '"device=7"' busybox true 2>&1)
contains "unknown GPU id" "$out" "device_ids 7 asked, 2 present"
g create --name gpu-later --gpus 1 busybox ls /dev/nvidia0 >/dev/null 2>&1
out=$(HAKO_NVIDIA_ROOT=/nonexistent "$HAKO" --root "$R/root" container start -a gpu-later 2>&1)
check "a created GPU container remembers the NVIDIA root at start" "$out" "/dev/nvidia0"
contains "inspect-able record keeps the held devices" "$(cat "$R"/root/containers/*/container.json)" '"held"' 
h rm -f gpu-later >/dev/null 2>&1
out=$(env -u HAKO_CDI_SPEC_DIRS HAKO_NVIDIA_ROOT=$R/empty "$HAKO" --root "$R/root" container run --rm --gpus all busybox true 2>&1)
contains "no GPU at all: unmet" "$out" "all asked, 0 present"

# With an nvidia.com/gpu CDI spec, GPU requests go through it.
mkdir -p "$R/cdi-nv"
cat >"$R/cdi-nv/nvidia.yaml" <<YAML
cdiVersion: "0.5.0"
kind: nvidia.com/gpu
containerEdits:
  env: ["FROM_NVIDIA_CDI=1"]
  deviceNodes: [{path: /dev/nvidiactl, hostPath: $nv/dev/nvidiactl}]
devices:
  - name: "0"
    containerEdits: {deviceNodes: [{path: /dev/nvidia0, hostPath: $nv/dev/nvidia0}]}
  - name: "1"
    containerEdits: {deviceNodes: [{path: /dev/nvidia1, hostPath: $nv/dev/nvidia1}]}
YAML
out=$(HAKO_CDI_SPEC_DIRS=$R/cdi-nv "$HAKO" --root "$R/root" container run --rm --gpus 1 busybox sh -c 'ls /dev | grep nvidia | tr "\n" " "; echo $FROM_NVIDIA_CDI' 2>&1)
check "--gpus 1 through the nvidia.com/gpu CDI spec" "$out" "nvidia0 nvidiactl 1"
out=$(HAKO_CDI_SPEC_DIRS=$R/cdi-nv "$HAKO" --root "$R/root" container run --rm --gpus 4 busybox true 2>&1)
contains "unmet through CDI" "$out" "4 asked, 2 present in CDI kind nvidia.com/gpu"

# hako system info lists the CDI kinds and discovered GPUs.
out=$(HAKO_NVIDIA_ROOT=$nv "$HAKO" --root "$R/root" system info --cdi-spec-dir "$R/cdi1" 2>&1)
contains "system info: CDI devices" "$out" "example.com/dev: example.com/dev=ctl example.com/dev=zero example.com/dev=all"
contains "system info: NVIDIA GPUs" "$out" "1 $nv/dev/nvidia1 GPU-1111-fake"
out=$(HAKO_NVIDIA_ROOT=$nv "$HAKO" --root "$R/root" system info --format json --cdi-spec-dir "$R/cdi1" 2>&1)
contains "system info json" "$out" '"other.org/thing":["one"]'

# container inspect shows what was asked, in docker's HostConfig fields.
h create --name dev-inspect --cdi-spec-dir "$R/cdi1" --device example.com/dev=ctl --device "$R/dev/ctl:/dev/x:r" \
  --device-cgroup-rule 'c 10:237 r' busybox true >/dev/null
out=$(h inspect dev-inspect 2>&1 | tr -d ' \n')
contains "inspect: Devices" "$out" "\"Devices\":[{\"PathOnHost\":\"$R/dev/ctl\",\"PathInContainer\":\"/dev/x\",\"CgroupPermissions\":\"r\"}]"
contains "inspect: CDI names as a cdi DeviceRequest" "$out" '{"Driver":"cdi","Count":0,"DeviceIDs":["example.com/dev=ctl"]'
contains "inspect: DeviceCgroupRules" "$out" '"DeviceCgroupRules":["c10:237r"]'
h rm -f dev-inspect >/dev/null 2>&1

echo "$failures failure(s)"
[[ $failures -eq 0 ]]
