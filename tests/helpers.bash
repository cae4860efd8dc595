# Shared set-up for the bats tests: fresh binaries first on PATH, a scratch
# directory per test, bats-support and bats-assert from Debian.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
FIX=$TOP/tests/fixtures
PATH=$TOP/bin:$PATH
export PATH

# EIP-155's example key and its address.
EIP155_ADDR=0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F

setup_scratch() {
	T=$BATS_TEST_TMPDIR
	unset HIVE_PASSWORD
}

# Lines of a file, for exact comparisons.
count_lines() { wc -l < "$1" | tr -d ' '; }

# The independent references the cross-check tests run (tests/node, installed
# by scripts/deps check): need_reference PACKAGE... skips when one is missing,
# except under CI, where that is a failure. Sets NODE_DIR and CAST (Foundry's
# cast, when asked for as "cast"); xcheck runs tests/node/xcheck.js.
NODE_DIR=$TOP/tests/node
need_reference() {
	local missing=
	for p in "$@"; do
		if [ "$p" = cast ]; then
			CAST=$(ls "$NODE_DIR"/node_modules/@foundry-rs/cast-linux-*/bin/cast 2>/dev/null | head -n 1)
			[ -x "$CAST" ] || missing="$missing cast"
		elif [ ! -d "$NODE_DIR/node_modules/$p" ]; then
			missing="$missing $p"
		fi
	done
	[ -z "$missing" ] && return 0
	# Only a machine that cannot reach the npm registry gets here; CI must not skip.
	[ -z "${CI:-}" ] || fail "not installed:$missing (scripts/deps check)"
	skip "not installed:$missing (scripts/deps check could not reach the npm registry)"
}
xcheck() { node "$NODE_DIR/xcheck.js" "$@"; }
