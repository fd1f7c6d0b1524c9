#!/usr/bin/env bash
# End-to-end: docs/compatibility.md tells the truth. Every verb or flag marked
# "supported" or "different" is in hako's own definitions (hako __docs json),
# every one marked "not yet" is not, every test file named exists; and the help
# of a sample of rows agrees with the definitions.
source "$(dirname "$0")/lib.sh"

expect_status 0 __docs json
printf '%s\n' "$OUT" >"$WORK/tree.json"

python3 - "$HAKO_SOURCE_DIR/docs/compatibility.md" "$WORK/tree.json" "$HAKO_SOURCE_DIR" <<'EOF'
import json, os, re, sys

table_path, tree_path, source_dir = sys.argv[1:4]
tree = json.load(open(tree_path))
STATUSES = ("supported", "different", "not yet")

def find(path):
    command = tree
    for word in path:
        matches = [s for s in command["subcommands"] if s["path"][-1] == word or word in s["aliases"]]
        if not matches:
            return None
        command = matches[0]
    return command

def cells_of(line):
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]

def code(cell):
    return re.findall(r"`([^`]+)`", cell)

problems, rows = [], 0
for number, line in enumerate(open(table_path), 1):
    if not line.startswith("| `"):
        continue
    cells = cells_of(line)
    where = f"docs/compatibility.md:{number}"
    command_words = code(cells[0])[0]
    path = [] if command_words == "(global)" else command_words.split()
    if len(cells) == 5:  # docker compose: command | flag | status | note | test
        flags, status, test = code(cells[1]), cells[2], cells[4]
        flags = [n.strip() for f in flags for n in f.split(",")]
    elif len(cells) == 4:  # docker CLI nouns: command | status | note | test
        flags, status, test = [], cells[1], cells[3]
    else:
        problems.append(f"{where}: a row has {len(cells)} cells")
        continue
    rows += 1
    if status not in STATUSES:
        problems.append(f"{where}: status '{status}' is not one of {', '.join(STATUSES)}")
        continue
    command = find(path)
    accepted = status != "not yet"
    label = "hako " + " ".join(path) + (" " + ", ".join(flags) if flags else "")
    if not flags:
        if accepted and command is None:
            problems.append(f"{where}: {label} is marked {status} but hako has no such command")
        if not accepted and command is not None:
            problems.append(f"{where}: {label} is marked not yet but hako has it now: update the row")
    elif command is None:
        problems.append(f"{where}: {label}: hako has no command '{' '.join(path)}'")
    else:
        names = {n for o in command["options"] for n in o["names"]}
        if path:  # global flags work after every verb
            names |= {n for o in tree["options"] for n in o["names"]}
        for flag in flags:
            if accepted and flag not in names:
                problems.append(f"{where}: {label} is marked {status} but hako does not accept {flag}")
            if not accepted and flag in names:
                problems.append(f"{where}: {label} is marked not yet but hako accepts {flag} now: update the row")
    for test_file in code(test):
        if not os.path.isfile(os.path.join(source_dir, test_file)):
            problems.append(f"{where}: names {test_file}, which does not exist")

if rows < 100:
    problems.append(f"docs/compatibility.md: only {rows} rows found; the table's format changed?")
for problem in problems:
    print(problem, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

# The definitions are what the parser accepts: a sample checked against --help and a real parse.
expect_status 0 up --help
expect_contains "$OUT" "--abort-on-container-failure"
expect_status 0 logs --help
expect_contains "$OUT" "--tail"
expect_status 2 up --watch
expect_equal "$ERR" "hako: unknown flag --watch (see hako up --help)"
expect_status 2 watch
expect_equal "$ERR" "hako: unknown command watch (see hako --help)"

echo "compatibility table: ok"
