#!/usr/bin/env bash
# End-to-end: what every hako process pays at start. The binary is static, or needs
# only libc and libm from the dynamic linker (a build with HAKO_STATIC_BINARY off);
# libcurl is in hako-fetch, the HTTP helper beside it. And what it writes just
# before main's _exit arrives.
source "$(dirname "$0")/lib.sh"

needed=$(readelf -dW "$HAKO" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
if [[ "$needed" != *libasan* ]]; then  # a sanitizer build brings its runtimes
  for lib in $needed; do
    case "$lib" in
      libc.so.6 | libm.so.6 | ld-linux-x86-64.so.2) ;;
      *) fail "hako links $lib at start (needed: $needed); load it with dlopen or link it statically" ;;
    esac
  done
fi

helper="$(dirname "$HAKO")/hako-fetch"
[[ -x "$helper" ]] || fail "no hako-fetch beside $HAKO (registry pulls and ADD <url> need it)"
readelf -dW "$helper" | grep -q 'NEEDED.*libcurl' || fail "hako-fetch is not linked to libcurl"

# Linked with lld (HAKO_LINK_ORDER), hako lays out the functions of
# scripts/hako-link-order.txt first: most of the 300 hottest lie within one MiB of
# its 9 MB of text (the default order spreads them over ~7.5 MB).
if readelf -p .comment "$HAKO" 2>/dev/null | grep -q 'LLD'; then
  order="$HAKO_SOURCE_DIR/scripts/hako-link-order.txt"
  [[ -r "$order" ]] || fail "no $order"
  together=$(nm "$HAKO" | python3 -c '
import sys
want = [l.strip() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")][:300]
wanted = set(want)
addresses = {}
for line in sys.stdin:
    f = line.split()
    if len(f) == 3 and f[1] in "tTwW" and f[2] in wanted:
        addresses.setdefault(f[2], int(f[0], 16))
a = sorted(addresses.values())
best, j = 0, 0
for i in range(len(a)):
    while a[i] - a[j] > 1 << 20:
        j += 1
    best = max(best, i - j + 1)
print(best, len(a))' "$order")
  read -r inside found <<<"$together"
  (( found >= 200 )) || fail "only ${found:-0} of the first 300 names of the link order are functions of hako"
  (( inside * 10 >= found * 8 )) || fail "the hottest functions are not together: $inside of $found within one MiB"
  echo "ok: $inside of the $found hottest functions within one MiB of hako's text"

  # The list ends with hako_hot_text_end, which lld lays out after the listed
  # functions: hako's entry (hako_entry, engine/sys/prefault.cpp) maps the text up
  # to it, and the data, before the C library starts, instead of taking ~70 page
  # faults in its start-up.
  [[ "$(grep -v '^#' "$order" | tail -1)" == hako_hot_text_end ]] || fail "the link order does not end with hako_hot_text_end"
  if [[ "$(uname -m)" == x86_64 ]]; then
    for binary in "$HAKO" "$(dirname "$HAKO")/hako-exit"; do
      entry=$(readelf -hW "$binary" | awk '/Entry point/ { print $4 }')
      symbols=$(nm "$binary")
      [[ "$(awk '$3 == "hako_entry" { print "0x" $1 }' <<<"$symbols" | sed 's/0x0*/0x/')" == "$entry" ]] ||
        fail "$binary does not start at hako_entry (entry $entry)"
      hot_end=$((16#$(awk '$3 == "hako_hot_text_end" { print $1 }' <<<"$symbols")))
      text_start=$(readelf -lW "$binary" | awk '$1 == "LOAD" && / R E / { print $3; exit }')
      (( hot_end > text_start && hot_end - text_start <= 6 << 20 )) ||
        fail "$binary: the hot text's end lies $(( (hot_end - text_start) >> 10 )) KiB into its text (0-6144 KiB expected)"
      # The text starts at a 2 MiB boundary of the file and of the memory, so that
      # its 2 MiB blocks can be mapped in huge pages; hako_entry (a section of its
      # own, after .text) lies beyond the hot text's blocks: the first fault of a
      # process, before the entry asks for huge pages, reads none of them in small ones.
      text_offset=$(readelf -lW "$binary" | awk '$1 == "LOAD" && / R E / { print $2; exit }')
      (( text_start % (2 << 20) == 0 && text_offset % (2 << 20) == 0 )) ||
        fail "$binary: its text ($text_start, file offset $text_offset) is not at a 2 MiB boundary"
      (( entry >= text_start && entry >> 21 > hot_end >> 21 )) ||
        fail "$binary: hako_entry ($entry) lies in the 2 MiB blocks of the hot text (up to $hot_end)"
      echo "ok: $(basename "$binary") starts at hako_entry and maps its first $(( (hot_end - text_start) >> 10 )) KiB of text at start"
    done
    if command -v strace >/dev/null; then
      strace -f -e trace=madvise -o "$WORK/madvise.txt" "$HAKO" version >/dev/null || fail "hako version under strace"
      grep -q 'MADV_POPULATE_READ) = 0' "$WORK/madvise.txt" || fail "hako mapped no text at start: $(cat "$WORK/madvise.txt")"
      grep -q 'MADV_POPULATE_WRITE) = 0' "$WORK/madvise.txt" || fail "hako mapped no data or heap at start: $(cat "$WORK/madvise.txt")"
      rodata=$(readelf -lW "$HAKO" | awk '$1 == "LOAD" && $7 == "R" { print $3; exit }' | sed 's/0x0*/0x/')
      grep -q "madvise($rodata, [0-9]*, MADV_POPULATE_READ) = 0" "$WORK/madvise.txt" ||
        fail "hako did not map its read-only data ($rodata) at start: $(cat "$WORK/madvise.txt")"
      grep -q "madvise($(printf '%#x' "$text_start"), [0-9]*, MADV_HUGEPAGE) = 0" "$WORK/madvise.txt" ||
        fail "hako did not ask for huge pages for its text: $(cat "$WORK/madvise.txt")"
      echo "ok: hako maps its hot text, read-only data, data and heap at start"
    fi
    # Read in from a cold page cache, the hot text's first 2 MiB block is mapped by
    # one page-table entry (FilePmdMapped), where the kernel reads file data into
    # 2 MiB folios: transparent huge pages on (always or madvise), Linux 6.16 or
    # later for ext4. And malloc's arena lies in 2 MiB pages (AnonHugePages,
    # engine/sys/huge_heap.c). A copy of hako, its cache dropped, runs a command
    # that waits on its input while its smaps is read.
    thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo "[never]")
    fs=$(stat -f -c %T "$WORK")
    kernel=$(uname -r | awk -F. '{ print $1 * 100 + $2 }')
    if [[ "$thp" == *"[never]"* ]]; then
      echo "skip: huge pages (transparent huge pages: $thp)"
    else
      copy=$WORK/hako-copy  # without the debug sections: the same segments, ~13 MB
      objcopy --strip-debug "$HAKO" "$copy" || fail "copying hako"
      sync -d "$copy" && dd if="$copy" iflag=nocache count=0 status=none || fail "dropping the copy's page cache"
      mkfifo "$WORK/input"
      "$copy" -f "$WORK/input" config -q >/dev/null 2>"$WORK/config.err" &
      waiter=$!
      exec 7<>"$WORK/input"  # read-write: never blocks, even if the loader never opened it
      pmd=0 anon=0
      for _ in $(seq 100); do
        read -r pmd anon < <(awk '/^FilePmdMapped:/ { pmd += $2 } /^AnonHugePages:/ { anon += $2 }
                                  END { print pmd + 0, anon + 0 }' "/proc/$waiter/smaps" 2>/dev/null || echo 0 0)
        (( pmd > 0 && anon > 0 )) && break
        sleep 0.02
      done
      echo "services: {a: {image: x}}" >&7
      exec 7>&-
      wait "$waiter" || fail "hako config on a pipe: $(cat "$WORK/config.err")"
      (( anon >= 2048 )) || fail "hako's heap is not in 2 MiB pages (AnonHugePages: ${anon} kB)"
      echo "ok: hako's heap is in 2 MiB pages (${anon} kB)"
      if [[ "$fs" != ext2/ext3 || $kernel -lt 616 ]]; then
        echo "skip: huge text pages (file system $fs, kernel $(uname -r))"
      else
        (( pmd >= 2048 )) || fail "hako's hot text is not mapped in 2 MiB pages (FilePmdMapped: ${pmd} kB)"
        echo "ok: hako's hot text is mapped in 2 MiB pages (${pmd} kB)"
      fi
    fi
  fi
else
  echo "skip: hako not linked with lld (no link order)"
fi

# Output written just before main's _exit: stdout and stderr complete, status kept
# (test_cli_docs.sh compares whole generated documents written the same way).
expect_status 0 version
expect_contains "$OUT" "hako version"
expect_status 2 --no-such-flag
expect_contains "$ERR" "unknown flag --no-such-flag"
echo "ok: start-up libraries and output flushing"
