#!/usr/bin/env bats
# make install: binaries, man pages, completions and share/ land under PREFIX in DESTDIR.
load helpers

setup() { setup_scratch; }

@test "make install PREFIX DESTDIR installs every part, and uninstall removes it" {
	run -0 make -C "$TOP" --no-print-directory install PREFIX=/opt/hive DESTDIR="$T/root"
	r=$T/root/opt/hive
	[ -x "$r/bin/hive-sign" ]
	[ -f "$r/share/man/man1/hive-sign.1" ]
	[ -f "$r/share/man/man5/hive-records.5" ]
	[ -f "$r/share/man/man7/hive.7" ]
	[ -f "$r/share/bash-completion/completions/hive" ]
	[ -L "$r/share/bash-completion/completions/hive-sign" ]
	[ -f "$r/share/zsh/vendor-completions/_hive" ]
	[ -f "$r/share/hive/meters/eastron-sdm120.csv" ]
	[ -x "$r/bin/hive-read" ]
	# An installed hive-read finds its register maps by name (then waits for a meter that is not there).
	run --separate-stderr timeout 1 "$r/bin/hive-read" modbus --map eastron-sdm630 --tcp 127.0.0.1:1 --once
	[ "$status" -eq 124 ]
	[[ "$stderr" != *"map 'eastron-sdm630'"* ]]
	run -3 --separate-stderr "$r/bin/hive-read" modbus --map no-such-meter --tcp 127.0.0.1:1 --once
	[[ "${stderr_lines[0]}" == "hive-read: map 'no-such-meter': "* ]]
	run -0 "$r/bin/hive-sign" --version
	run -0 make -C "$TOP" --no-print-directory uninstall PREFIX=/opt/hive DESTDIR="$T/root"
	run -0 find "$r" -type f
	assert_output ""
}
