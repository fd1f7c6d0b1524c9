#!/usr/bin/env bash
# End-to-end: `hako graph` prints the project as Graphviz DOT, --levels the
# services that start together, and a dependency cycle is an error naming it.
source "$(dirname "$0")/lib.sh"

mkdir app && cd app
cat >compose.yaml <<'YAML'
services:
  web:
    image: nginx
    depends_on:
      api:
        condition: service_healthy
    networks: [front]
  api:
    image: api
    depends_on: [db, cache]
    networks: [front, back]
  db:
    image: postgres
    volumes: ["pgdata:/var/lib/postgresql/data"]
    networks: [back]
  cache:
    image: redis
    networks: [back]
networks:
  front: {}
  back: {}
volumes:
  pgdata: {}
YAML

expect_status 0 graph
dot="$OUT"
expect_contains "$dot" "digraph G {"
expect_contains "$dot" '"service:web"[label="web", shape=box];'
expect_contains "$dot" '"network:back"[label="back", shape=ellipse];'
expect_contains "$dot" '"volume:pgdata"[label="pgdata", shape=cylinder];'
expect_contains "$dot" '"service:web"->"service:api" [label="service_healthy"];'
expect_contains "$dot" '"service:api"->"service:db" [label="service_started"];'
expect_contains "$dot" '"service:db"->"volume:pgdata" [style=dashed];'
if command -v dot >/dev/null; then
  printf '%s\n' "$dot" | dot -Tsvg >/dev/null || fail "graphviz rejected the DOT output"
fi

expect_status 0 graph --levels
expect_equal "$OUT" $'cache db\napi\nweb'

expect_status 0 graph -o "$WORK/graph.dot"
expect_equal "$(cat "$WORK/graph.dot")" "$dot"

# a cycle is an error that names it
cd "$WORK" && mkdir cycle && cd cycle
cat >compose.yaml <<'YAML'
services:
  a:
    image: busybox
    depends_on: [b]
  b:
    image: busybox
    depends_on: [c]
  c:
    image: busybox
    depends_on: [a]
YAML
expect_status 1 graph
expect_contains "$ERR" "a -> b -> c -> a"
expect_contains "$ERR" "compose.yaml:"
expect_status 1 config -q

echo "ok"
