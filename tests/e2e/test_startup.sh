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

# Output written just before main's _exit: stdout and stderr complete, status kept
# (test_cli_docs.sh compares whole generated documents written the same way).
expect_status 0 version
expect_contains "$OUT" "hako version"
expect_status 2 --no-such-flag
expect_contains "$ERR" "unknown flag --no-such-flag"
echo "ok: start-up libraries and output flushing"
