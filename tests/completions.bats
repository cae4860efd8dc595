#!/usr/bin/env bats
# Completions and manual pages cannot drift from the usage that the tools print.
load helpers

BASH_COMP=$TOP/completions/hive.bash
ZSH_COMP=$TOP/completions/_hive

setup() {
	setup_scratch
	# Every test but the last reads the usage of the built tool.
	if [[ $BATS_TEST_DESCRIPTION != *mandoc* && ! -x $TOP/bin/hive-sign ]]; then
		skip "bin/hive-sign is not built: run make"
	fi
}

# One line per usage form of hive-sign --help, continuation lines joined:
# "hive-sign sign (--key FILE | --keystore FILE) [--password-file FILE] ... [FILE...]".
usage_forms() {
	local line form=
	hive-sign --help > "$T/usage"
	while IFS= read -r line; do
		line=${line#usage: }
		line=${line#"${line%%[! ]*}"}
		if [[ $line == "hive-sign "* ]]; then
			[ -n "$form" ] && printf '%s\n' "$form"
			form=$line
		else
			form+=" $line"
		fi
	done < "$T/usage"
	[ -n "$form" ] && printf '%s\n' "$form"
}

# The subcommands of the usage, once each, in order.
usage_commands() {
	usage_forms | sed -n 's/^hive-sign \([a-z][a-z0-9-]*\).*/\1/p' | awk '!seen[$0]++'
}

# The --options that the usage gives subcommand $1, once each, without --help and --version.
usage_options() {
	usage_forms | grep "^hive-sign $1 " | grep -o -- '--[a-z][a-z0-9-]*' |
		grep -v -x -e --help -e --version | sort -u
}

# The options that the bash completion table lists for subcommand $1.
bash_options() {
	sed -n "s/^[[:space:]]*\[hive-sign $1\]='\(.*\)'\$/\1/p" "$BASH_COMP" | tr ' ' '\n' |
		grep -- '^--' | sort -u
}

# What bash offers when completing "hive-sign WORDS...", the last word being completed.
bash_complete() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _hive_sign
		printf "%s\n" "${COMPREPLY[@]}"' _ "$BASH_COMP" hive-sign "$@"
}

# The case branch of _hive-sign in the zsh file for subcommand $1.
zsh_branch() {
	sed -n '/^_hive-sign()/,/^}/p' "$ZSH_COMP" | sed -n "/^[[:space:]]*($1)\$/,/;;/p"
}

# The options that the zsh branch for subcommand $1 specifies.
zsh_options() {
	zsh_branch "$1" | grep -o -- "['*)]--[a-z][a-z0-9-]*[=[]" | sed 's/^.//; s/.$//' |
		grep -v -x -e --help -e --version | sort -u
}

@test "the usage names subcommands and options to check" {
	usage_commands > "$T/commands"
	[ "$(count_lines "$T/commands")" -ge 8 ]
	usage_options verify > "$T/verify"
	grep -qx -- --signer-field "$T/verify"
}

@test "bash: every subcommand of the usage is completed, and no other" {
	usage_commands | sort > "$T/want"
	bash_complete "" | grep -v '^-' | sort > "$T/got"
	diff -u "$T/want" "$T/got"
}

@test "bash: the option table of every subcommand matches its usage lines" {
	for cmd in $(usage_commands); do
		usage_options "$cmd" > "$T/want"
		bash_options "$cmd" > "$T/got"
		diff -u --label "usage of $cmd" --label "hive.bash for $cmd" "$T/want" "$T/got"
	done
}

@test "bash: completing '--' after each subcommand offers all its options" {
	for cmd in $(usage_commands); do
		bash_complete "$cmd" -- > "$T/got"
		usage_options "$cmd" | while read -r opt; do
			grep -qx -- "$opt" "$T/got" || { echo "$cmd: $opt not offered"; return 1; }
		done
		grep -qx -- --help "$T/got"
	done
}

@test "bash: 'hive-sign ver' completes to verify" {
	cd "$TOP"
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -0 bash -c 'source completions/hive.bash; COMP_WORDS=(hive-sign ver); COMP_CWORD=1; _hive_sign; echo ${COMPREPLY[@]}'
	assert_output verify
}

@test "bash: 'hive-sign sign --t' completes to --type" {
	run -0 bash_complete sign --t
	assert_output --type
}

@test "bash: FILE arguments complete file names, other values do not" {
	cd "$T"
	touch meter.json records.ndjson
	run -0 bash_complete sign --keystore me
	assert_output meter.json
	run -0 bash_complete verify --signer-field meter rec
	assert_output records.ndjson
	run -0 bash_complete verify --signer 0x
	assert_output ""
	run -0 bash_complete keygen --scrypt-n 655
	assert_output 65536
}

@test "bash: options the tool refuses together are not offered together" {
	# --password-file goes with --keystore only: a raw --key file has no password.
	run -0 bash_complete address --key k.key --
	refute_line --password-file
	refute_line --keystore
	run -0 bash_complete sign --password-file pw --
	refute_line --key
	assert_line --keystore
	run -0 bash_complete sign --keystore ks.json --
	assert_line --password-file
	run -0 bash_complete keygen --key k.key --
	refute_line --scrypt-n
	run -0 bash_complete message --verify 0x --
	refute_line --key
	assert_line --signer
}

@test "zsh: --key and --password-file exclude each other wherever both are taken" {
	for cmd in $(usage_commands); do
		usage_options "$cmd" | grep -qx -- --password-file || continue
		zsh_branch "$cmd" | grep -q -- "([^)]*--password-file[^)]*)--key=" ||
			{ echo "_hive for $cmd: --key does not exclude --password-file"; return 1; }
		zsh_branch "$cmd" | grep -q -- "([^)]*--key[ )][^']*--password-file=" ||
			{ echo "_hive for $cmd: --password-file does not exclude --key"; return 1; }
	done
}

@test "zsh: every subcommand of the usage is described" {
	for cmd in $(usage_commands); do
		grep -q "^[[:space:]]*'$cmd:" "$ZSH_COMP" || { echo "zsh: no description of $cmd"; return 1; }
	done
}

@test "zsh: the options of every subcommand match its usage lines" {
	for cmd in $(usage_commands); do
		usage_options "$cmd" > "$T/want"
		zsh_options "$cmd" > "$T/got"
		diff -u --label "usage of $cmd" --label "_hive for $cmd" "$T/want" "$T/got"
	done
}

@test "zsh: the completion file parses" {
	command -v zsh > /dev/null || skip "zsh is not installed: run scripts/deps check"
	run -0 zsh -n "$ZSH_COMP"
	assert_output ""
}

@test "hive-sign(1) shows every subcommand and option of the usage" {
	for cmd in $(usage_commands); do
		grep -q "^\.Cm $cmd\$" "$TOP/man/hive-sign.1" || { echo "hive-sign.1: no $cmd"; return 1; }
		for opt in $(usage_options "$cmd"); do
			grep -q "^\.It Fl -${opt#--}\( \|\$\)" "$TOP/man/hive-sign.1" ||
				{ echo "hive-sign.1: $opt is not described"; return 1; }
		done
	done
}

@test "every manual page passes mandoc -Tlint" {
	command -v mandoc > /dev/null || skip "mandoc is not installed"
	pages=("$TOP"/man/*.[157])
	[ "${#pages[@]}" -ge 3 ]
	run -0 mandoc -Tlint -Wwarning "${pages[@]}"
	assert_output ""
}
