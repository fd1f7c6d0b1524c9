#!/usr/bin/env bash
# End-to-end: `hako config --hash` prints "SERVICE HASH" lines, and a hash
# does not change when nothing meaningful did (key order, short vs long
# syntax) but does when the service's config changes.
source "$(dirname "$0")/lib.sh"

mkdir one two three
cat >one/compose.yaml <<'YAML'
services:
  web:
    image: nginx:1.25
    ports: ["8080:80"]
    environment:
      A: "1"
      B: "2"
    command: ["nginx", "-g", "daemon off;"]
  db:
    image: postgres:15
YAML
# the same services, keys in another order, long port syntax, list environment
cat >two/compose.yaml <<'YAML'
services:
  db:
    image: postgres:15
  web:
    command: ["nginx", "-g", "daemon off;"]
    environment:
      - B=2
      - A=1
    ports:
      - target: 80
        published: "8080"
        protocol: tcp
    image: nginx:1.25
YAML
# a meaningful change: another image
sed 's/nginx:1.25/nginx:1.26/' one/compose.yaml >three/compose.yaml

hash_of() {  # hash_of FOLDER SERVICE
  (cd "$1" && "$HAKO" -p same config --hash "$2") | awk '{print $2}'
}

cd one
expect_status 0 -p same config --hash '*'
expect_lines "$OUT" 2
expect_equal "$(printf '%s\n' "$OUT" | awk '{print $1}' | tr '\n' ' ')" "db web "
[[ "$(printf '%s\n' "$OUT" | grep -cE '^[a-z]+ [0-9a-f]{64}$')" == 2 ]] || fail "not sha256 lines: $OUT"

expect_status 0 -p same config --hash web,db
cd "$WORK"
expect_lines "$OUT" 2

web1="$(hash_of one web)"
web2="$(hash_of two web)"
web3="$(hash_of three web)"
[[ -n "$web1" ]] || fail "no hash printed"
expect_equal "$web2" "$web1"
[[ "$web3" != "$web1" ]] || fail "changing the image did not change the hash"
expect_equal "$(hash_of one db)" "$(hash_of three db)"

cd one
expect_status 1 config --hash nosuch
expect_contains "$ERR" "nosuch"

echo "ok"
