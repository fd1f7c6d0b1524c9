#!/usr/bin/env bash
# End-to-end: the CLI reference, man page and completions generated from hako's
# own flag definitions (hako __docs) are the committed ones, the man page renders
# without warnings, the scripts parse, and bash completion really completes.
source "$(dirname "$0")/lib.sh"

# the hidden verb stays hidden and checks its argument
expect_status 0 --help
expect_not_contains "$OUT" "__docs"
expect_status 2 __docs bogus
expect_lines "$ERR" 1

# the committed files are what the binary generates
"$HAKO_SOURCE_DIR/scripts/gen-docs.sh" "$HAKO" "$WORK/gen"
for file in docs/cli-reference.md docs/hako.1 completions/hako.bash completions/_hako; do
  if ! diff -u "$HAKO_SOURCE_DIR/$file" "$WORK/gen/$file" >"$WORK/diff"; then
    head -40 "$WORK/diff" >&2
    fail "$file differs from what this hako generates: run scripts/gen-docs.sh and commit the result"
  fi
done
reference="$(cat "$WORK/gen/docs/cli-reference.md")"
expect_contains "$reference" "### hako container run"
expect_contains "$reference" '| `-d, --detach` |'
expect_contains "$reference" "## Global flags"

# the man page renders without a warning, with every section
if command -v groff >/dev/null; then
  warnings="$(LC_ALL=C groff -man -Tascii -ww -z "$HAKO_SOURCE_DIR/docs/hako.1" 2>&1)"
  expect_equal "$warnings" ""
fi
if command -v man >/dev/null; then
  page="$(MANWIDTH=100 LC_ALL=C.UTF-8 man -l "$HAKO_SOURCE_DIR/docs/hako.1" 2>"$WORK/man.err")"
  expect_equal "$(cat "$WORK/man.err")" ""
  for section in NAME SYNOPSIS DESCRIPTION "GLOBAL OPTIONS" COMMANDS ENVIRONMENT FILES "EXIT STATUS" "SEE ALSO"; do
    expect_contains "$page" "$section"
  done
  expect_contains "$page" "hako container run"
fi

# the completion scripts parse
bash -n "$HAKO_SOURCE_DIR/completions/hako.bash"
if command -v zsh >/dev/null; then
  zsh -n "$HAKO_SOURCE_DIR/completions/_hako"
  # loaded the way compinit loads it, it defines a function per command
  functions="$(cd "$WORK" && HOME="$WORK" zsh -f -c "autoload -Uz compinit && compinit -u -d $WORK/.zcompdump \
    && source $HAKO_SOURCE_DIR/completions/_hako && whence -w _hako _hako_cmd__up _hako_cmd__container__run")"
  expect_contains "$functions" "_hako_cmd__container__run: function"
fi

# bash completion completes: COMP_WORDS as bash would set them, COMPREPLY read back
cat >compose.yaml <<'EOF'
services:
  web:
    image: busybox
  db:
    image: busybox
EOF
complete_words() {  # complete_words WORD…: prints COMPREPLY for the last word, one per line
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _hako; printf "%s\n" "${COMPREPLY[@]}"' \
    complete "$HAKO_SOURCE_DIR/completions/hako.bash" "$HAKO" "$@"
}
words="$(complete_words up --)"
expect_contains "$words" "--detach"
expect_contains "$words" "--remove-orphans"
expect_contains "$words" "--project-name"  # global flags work after the verb
expect_equal "$(complete_words container r | sort | tr '\n' ' ')" "rename restart rm run "
expect_equal "$(complete_words ima | tr '\n' ' ')" "image images "
expect_equal "$(complete_words --ansi "" | tr '\n' ' ')" "never always auto "
expect_equal "$(complete_words config --format "" | tr '\n' ' ')" "yaml json "
expect_equal "$(complete_words up "" | sort | tr '\n' ' ')" "db web "
expect_equal "$(complete_words -f compose.yaml logs -f w | tr '\n' ' ')" "web "
mkdir sub
printf 'services:\n  api:\n    image: busybox\n' >sub/other.yaml
expect_equal "$(complete_words -f sub/other.yaml up "" | tr '\n' ' ')" "api "  # the project that -f names
expect_equal "$(complete_words exec "" | sort | tr '\n' ' ')" "db web "
expect_equal "$(complete_words volume ls --q | tr '\n' ' ')" "--quiet "
expect_equal "$(complete_words container ps --a | tr '\n' ' ')" "--all --ansi "  # an alias leads to its verb

echo "cli docs: ok"
