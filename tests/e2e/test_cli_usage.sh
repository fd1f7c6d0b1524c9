#!/usr/bin/env bash
# End-to-end: hako's command line — help on every verb and noun, version,
# one-line usage errors with exit status 2, global flags after the verb.
source "$(dirname "$0")/lib.sh"

# help on the app and every verb and noun, on stdout, status 0
expect_status 0 --help
expect_contains "$OUT" "config"
expect_contains "$OUT" "graph"
expect_contains "$OUT" "--project-name"
expect_equal "$ERR" ""
for verb in config graph version image container; do
  expect_status 0 "$verb" --help
  expect_contains "$OUT" "$verb"
  expect_status 0 "$verb" -h
done
expect_status 0 config --help
expect_contains "$OUT" "--services"
expect_contains "$OUT" "--no-interpolate"

# bare hako shows the help
expect_status 0
expect_contains "$OUT" "config"

# version
expect_status 0 version
expect_contains "$OUT" "hako version "
expect_status 0 --version
expect_contains "$OUT" "hako version "
expect_status 0 version --format json
expect_equal "$(json_get "$OUT" 'd["version"] != ""')" "True"

# unknown verb: one line, status 2
expect_status 2 frobnicate
expect_lines "$ERR" 1
expect_equal "$ERR" "hako: unknown command frobnicate (see hako --help)"
expect_equal "$OUT" ""

# unknown flag, before or after the verb: one line, status 2
expect_status 2 --fo
expect_equal "$ERR" "hako: unknown flag --fo (see hako --help)"
expect_status 2 config --no-such-flag
expect_lines "$ERR" 1
expect_contains "$ERR" "unknown flag --no-such-flag"

# bad flag values and missing values
expect_status 2 --log-level shout version
expect_lines "$ERR" 1
expect_status 2 config --format xml
expect_lines "$ERR" 1
expect_status 2 config -f
expect_lines "$ERR" 1

# a bad HAKO_LOG is a usage error too
HAKO_LOG=shout expect_status 2 version
expect_contains "$ERR" "HAKO_LOG"

echo "ok"
