#!/usr/bin/env bash
# Build the userspace (libraries, demo, tests, IGT tests) with meson into $UBUILD.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

step "building userspace (meson, $UBUILD)"
# the test run needs every optional part: IGT, the Mesa client, the sanitizer builds
opts=(-Digt=enabled -Dmesa=enabled -Dsanitizers=enabled)
if [ ! -f "$UBUILD/build.ninja" ]; then
	meson setup "$UBUILD" "$TOP" "${opts[@]}" >"$LOGDIR/meson-setup.log" 2>&1 ||
		{ tail -n 30 "$LOGDIR/meson-setup.log"; die "meson setup failed"; }
else
	meson configure "$UBUILD" "${opts[@]}" >"$LOGDIR/meson-configure.log" 2>&1 ||
		{ tail -n 30 "$LOGDIR/meson-configure.log"; die "meson configure failed"; }
fi
ninja -C "$UBUILD" >"$LOGDIR/ninja.log" 2>&1 ||
	{ grep -E "error|warning" "$LOGDIR/ninja.log" | head -30; die "userspace build failed (log: $LOGDIR/ninja.log)"; }
