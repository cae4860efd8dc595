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
