#!/usr/bin/env bash
# End-to-end: `hako config` prints the resolved project (YAML and JSON,
# canonical so that two runs diff cleanly) and its listings, reads -f -,
# COMPOSE_FILE and profiles.
source "$(dirname "$0")/lib.sh"

mkdir demo && cd demo
cat >compose.yaml <<'YAML'
services:
  web:
    image: nginx:1.25
    ports:
      - "8080:80"
    depends_on: [db]
    environment:
      TAG: ${TAG:-latest}
  db:
    image: postgres:15
    volumes:
      - data:/var/lib/postgresql/data
  debug:
    image: busybox
    profiles: [tools]
volumes:
  data: {}
YAML

# YAML by default, the same text on every run
expect_status 0 config
yaml="$OUT"
expect_contains "$yaml" "services:"
expect_contains "$yaml" "nginx:1.25"
expect_not_contains "$yaml" "debug:"
expect_status 0 config
expect_equal "$OUT" "$yaml"

# JSON: the same model
expect_status 0 config --format json
json="$OUT"
expect_equal "$(json_get "$json" 'd["name"]')" "demo"
expect_equal "$(json_get "$json" 'sorted(d["services"])')" "['db', 'web']"
expect_equal "$(json_get "$json" 'd["services"]["web"]["image"]')" "nginx:1.25"
expect_equal "$(json_get "$json" 'd["services"]["web"]["environment"]["TAG"]')" "latest"
expect_equal "$(json_get "$json" 'sorted(d["services"]["web"]["depends_on"])')" "['db']"

# -q validates only
expect_status 0 config -q
expect_equal "$OUT" ""

# listings
expect_status 0 config --services
expect_equal "$OUT" $'db\nweb'
expect_status 0 config --volumes
expect_equal "$OUT" "data"
expect_status 0 config --images
expect_equal "$OUT" $'postgres:15\nnginx:1.25'
expect_status 0 config --profiles
expect_equal "$OUT" "tools"
expect_status 0 config --variables
expect_contains "$OUT" "NAME"
expect_contains "$OUT" "DEFAULT VALUE"
expect_equal "$(printf '%s\n' "$OUT" | awk '$1=="TAG"{print $2, $3}')" "false latest"

# --no-interpolate keeps the variables as written
expect_status 0 config --no-interpolate --format json
expect_equal "$(json_get "$OUT" 'd["services"]["web"]["environment"]["TAG"]')" '${TAG:-latest}'

# a service named on the command line comes with what it depends on
expect_status 0 config --format json web
expect_equal "$(json_get "$OUT" 'sorted(d["services"])')" "['db', 'web']"
expect_status 0 config --format json db
expect_equal "$(json_get "$OUT" 'sorted(d["services"])')" "['db']"
expect_status 1 config nosuch
expect_contains "$ERR" "nosuch"

# -o writes the file instead of stdout
expect_status 0 config -o "$WORK/out.yaml"
expect_equal "$OUT" ""
expect_equal "$(cat "$WORK/out.yaml")" "$yaml"

# profiles: --profile, COMPOSE_PROFILES, global flag after the verb
expect_status 0 --profile tools config --services
expect_equal "$OUT" $'db\ndebug\nweb'
expect_status 0 config --services --profile tools
expect_equal "$OUT" $'db\ndebug\nweb'
COMPOSE_PROFILES=tools expect_status 0 config --services
expect_equal "$OUT" $'db\ndebug\nweb'

# -p names the project
expect_status 0 -p other config --format json
expect_equal "$(json_get "$OUT" 'd["name"]')" "other"

# -f - reads the project from stdin
cd "$WORK"
run_stdin() {
  set +e
  "$HAKO" "$@" <"$WORK/demo/compose.yaml" >"$WORK/.out" 2>"$WORK/.err"
  STATUS=$?
  set -e
  OUT="$(cat "$WORK/.out")"
  ERR="$(cat "$WORK/.err")"
}
run_stdin -f - -p fromstdin config --services
expect_equal "$STATUS" 0
expect_equal "$OUT" $'db\nweb'
run_stdin -f - -p fromstdin config --variables
expect_equal "$STATUS" 0
expect_contains "$OUT" "TAG"

# COMPOSE_FILE names the files, ':'-separated, merged in order
mkdir multi && cd multi
cat >base.yaml <<'YAML'
services:
  app:
    image: alpine:3.19
YAML
cat >extra.yaml <<'YAML'
services:
  app:
    image: alpine:3.20
  side:
    image: busybox
YAML
COMPOSE_FILE=base.yaml expect_status 0 config --images
expect_equal "$OUT" "alpine:3.19"
COMPOSE_FILE=base.yaml:extra.yaml expect_status 0 config --images
expect_equal "$OUT" $'alpine:3.20\nbusybox'
# -f wins over COMPOSE_FILE
COMPOSE_FILE=base.yaml:extra.yaml expect_status 0 -f base.yaml config --services
expect_equal "$OUT" "app"

# an unset variable warns on stderr and becomes empty
cat >compose.yaml <<'YAML'
services:
  app:
    image: "alpine:${NO_SUCH_TAG_VARIABLE}"
YAML
expect_status 0 config -q
expect_contains "$ERR" "NO_SUCH_TAG_VARIABLE"
# said once, as compilers do: "hako: FILE:3:12: warning: …", not "hako: warning: … warning:"
expect_equal "$(grep -o 'warning:' <<<"$ERR" | wc -l)" "1"

# --no-interpolate keeps short syntax that still holds a variable (a port here)
# instead of failing to parse it, and --no-path-resolution keeps paths relative
cd "$WORK" && mkdir vars && cd vars
cat >compose.yaml <<'YAML'
services:
  web:
    image: busybox
    ports: ["${WEB_PORT:-8080}:80"]
    volumes: ["./site:/srv:ro"]
YAML
expect_status 0 config --no-interpolate --format json
expect_equal "$(json_get "$OUT" 'd["services"]["web"]["ports"][0]')" '${WEB_PORT:-8080}:80'
expect_status 0 config --no-path-resolution --format json
expect_equal "$(json_get "$OUT" 'd["services"]["web"]["volumes"][0]["source"]')" './site'
expect_equal "$(json_get "$OUT" 'd["services"]["web"]["ports"][0]["published"]')" '8080'

echo "ok"
