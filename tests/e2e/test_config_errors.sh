#!/usr/bin/env bash
# End-to-end: mistakes in a project are reported at file:line:col with exit
# status 1, every one of them, never a crash.
source "$(dirname "$0")/lib.sh"

# an unknown key, at its place
mkdir unknown && cd unknown
cat >compose.yaml <<'YAML'
services:
  web:
    image: nginx
    portz: ["80"]
YAML
expect_status 1 config
expect_contains "$ERR" "compose.yaml:4:"
expect_contains "$ERR" "portz"
expect_equal "$OUT" ""
expect_status 1 config -q
cd "$WORK"

# a wrong type
mkdir wrongtype && cd wrongtype
cat >compose.yaml <<'YAML'
services:
  web:
    image: nginx
    ports: 80
YAML
expect_status 1 config
expect_contains "$ERR" "compose.yaml:4:"
cd "$WORK"

# broken YAML: a tab in the indentation
mkdir tab && cd tab
printf 'services:\n\tweb:\n    image: nginx\n' >compose.yaml
expect_status 1 config
expect_contains "$ERR" "compose.yaml:"
cd "$WORK"

# a missing required variable
mkdir required && cd required
cat >compose.yaml <<'YAML'
services:
  web:
    image: "nginx:${TAG:?TAG must be set}"
YAML
expect_status 1 config
expect_contains "$ERR" "compose.yaml:3:"
expect_contains "$ERR" "TAG must be set"
TAG=1.25 expect_status 0 config -q
cd "$WORK"

# a file that does not exist
expect_status 1 -f "$WORK/nope.yaml" config
expect_contains "$ERR" "nope.yaml"

# no compose file anywhere (the search stops at /, so use an empty root-level tree)
mkdir -p empty && cd empty
expect_status 1 --project-directory "$WORK/empty" -f "$WORK/empty/compose.yaml" config
cd "$WORK"

# binary garbage is an error, not a crash
head -c 4096 /dev/urandom >garbage.yaml
run_hako -f garbage.yaml config
[[ "$STATUS" == 1 || "$STATUS" == 2 ]] || fail "garbage: exit status $STATUS"

echo "ok"
