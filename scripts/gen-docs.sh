#!/usr/bin/env bash
# Regenerates the CLI reference, the man page and the shell completions from a
# built hako's own flag definitions (its hidden `hako __docs` verb), so that they
# cannot drift from the code. Run it after changing any command or flag, and
# commit what it changes; tests/e2e/test_cli_docs.sh fails until you do.
#
#   scripts/gen-docs.sh [HAKO_BINARY [OUTPUT_ROOT]]
#
# HAKO_BINARY defaults to $HAKO, else build/hako; OUTPUT_ROOT (default: the
# source tree) receives docs/cli-reference.md, docs/hako.1,
# completions/hako.bash and completions/_hako.
set -euo pipefail

source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
hako="${1:-${HAKO:-$source_dir/build/hako}}"
out="${2:-$source_dir}"

if [[ ! -x "$hako" ]]; then
  echo "gen-docs.sh: no hako binary at $hako (build it, or pass its path)" >&2
  exit 1
fi
mkdir -p "$out/docs" "$out/completions"

# generate FORMAT FILE: writes through a temp file so a failure leaves the old file.
generate() {
  local tmp="$2.tmp.$$"
  if ! "$hako" __docs "$1" >"$tmp"; then
    rm -f "$tmp"
    echo "gen-docs.sh: hako __docs $1 failed" >&2
    exit 1
  fi
  mv "$tmp" "$2"
}

generate markdown "$out/docs/cli-reference.md"
generate man "$out/docs/hako.1"
generate bash "$out/completions/hako.bash"
generate zsh "$out/completions/_hako"
