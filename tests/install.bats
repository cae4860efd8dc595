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
	[ -f "$r/share/hive/demo/household_load_2024-10-01.csv" ]
	run -0 "$r/bin/hive-sign" --version
	run -0 make -C "$TOP" --no-print-directory uninstall PREFIX=/opt/hive DESTDIR="$T/root"
	run -0 find "$r" -type f
	assert_output ""
}
