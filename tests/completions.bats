#!/usr/bin/env bats
# Completions and manual pages cannot drift from the usage that the tools print.
load helpers

BASH_COMP=$TOP/completions/hive.bash
ZSH_COMP=$TOP/completions/_hive
TOOLS='hive-sign hive-read hive-beekeeper hive-clear hive-settle hive-forecast hive-bid'

setup() {
	setup_scratch
	# Every test but the last reads the usage of the built tools.
	if [[ $BATS_TEST_DESCRIPTION != *mandoc* ]]; then
		for tool in $TOOLS; do
			[ -x "$TOP/bin/$tool" ] || skip "bin/$tool is not built: run make"
		done
	fi
}

# One line per usage form of "$1 --help", continuation lines joined:
# "hive-sign sign (--key FILE | --keystore FILE) [--password-file FILE] ... [FILE...]".
# A default subcommand, written in brackets ("hive-read [read] ..."), is given
# by name, and a block that the forms name ("COMMON: [--meter ADDRESS] ...") is
# a line of its own.
usage_forms() {
	local tool=$1 line form=
	"$tool" --help > "$T/usage"
	if head -n 1 "$T/usage" | grep -q "^usage: $tool .*COMMAND"; then
		command_forms "$tool"
		return
	fi
	while IFS= read -r line; do
		line=${line#usage: }
		line=${line#"${line%%[! ]*}"}
		if [[ $line == "$tool "* || $line =~ ^[A-Z][A-Z_]*: ]]; then
			[ -n "$form" ] && printf '%s\n' "$form"
			form=$line
		else
			form+=" $line"
		fi
	done < "$T/usage"
	[ -n "$form" ] && printf '%s\n' "$form"
}

# usage_forms of a usage written as "usage: TOOL [GLOBAL] COMMAND ...", then
# headings ending in ':', each followed by forms without the tool's name,
# indented by seven spaces, and their continuation lines, indented further
# (hive-beekeeper). Each form gets the tool's name in front and the options
# before COMMAND (GLOBAL) at its end; a block that a heading defines,
# "(KEY is --key FILE | ...)", is a line "KEY: --key FILE | ..." of its own.
command_forms() {
	local tool=$1 line global form=
	global=$(head -n 1 "$T/usage" | sed "s/^usage: $tool \(.*\)COMMAND.*/\1/; s/ *\$//")
	while IFS= read -r line; do
		if [[ $line == "       $tool "* || $line =~ ^\ {7}[a-z] ]]; then
			[ -n "$form" ] && printf '%s\n' "$form"
			line=${line#       }
			form="$tool ${line#"$tool "}"
			[[ $line == "$tool "* ]] || form+=" $global"
		elif [[ $line =~ ^\ {8} ]]; then
			form="${form% "$global"} ${line#"${line%%[! ]*}"} $global"
		else
			[ -n "$form" ] && printf '%s\n' "$form"
			form=
			if [[ $line =~ \(([A-Z][A-Z_]*)\ is\ (.*)\): ]]; then
				printf '%s: %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
			fi
		fi
	done < <(tail -n +2 "$T/usage")
	[ -n "$form" ] && printf '%s\n' "$form"
	return 0
}

# The usage forms of tool $1, default subcommands named.
forms() {
	usage_forms "$1" | sed "s/^$1 \[\([a-z][a-z0-9-]*\)\] /$1 \1 /"
}

# The subcommands of tool $1's usage, once each, in order; a subcommand of two
# words ("meter add") is given with both.
usage_commands() {
	forms "$1" | sed -n "s/^$1 \([a-z][a-z0-9-]*\( [a-z][a-z0-9-]*\)\{0,1\}\)\( .*\)\{0,1\}\$/\1/p" |
		awk '!seen[$0]++'
}

# The first words of the subcommands of tool $1, once each.
first_words() {
	usage_commands "$1" | cut -d' ' -f1 | awk '!seen[$0]++'
}

# The second words of the subcommands of tool $1 whose first word is $2.
second_words() {
	usage_commands "$1" | sed -n "s/^$2 //p"
}

# The --options that the usage gives subcommand $2 of tool $1, once each, without
# --help and --version; a block name in its form (COMMON) stands for the block's options.
usage_options() {
	local tool=$1 cmd=$2 block
	forms "$tool" > "$T/forms"
	grep "^$tool $cmd " "$T/forms" > "$T/form" || true
	sed -n 's/^\([A-Z][A-Z_]*\):.*/\1/p' "$T/forms" | while read -r block; do
		if grep -qw -- "$block" "$T/form"; then grep "^$block:" "$T/forms" >> "$T/form"; fi
	done
	grep -o -- '--[a-z][a-z0-9-]*' "$T/form" | grep -v -x -e --help -e --version | sort -u
}

# The options that the bash completion table lists for subcommand $2 of tool $1.
bash_options() {
	sed -n "s/^[[:space:]]*\[$1 $2\]='\(.*\)'\$/\1/p" "$BASH_COMP" | tr ' ' '\n' |
		grep -- '^--' | sort -u
}

# What bash offers when completing "$1 WORDS...", the last word being completed.
complete_words() {
	local tool=$1
	shift
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); "_${1//-/_}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$BASH_COMP" "$tool" "$@"
}
bash_complete() { complete_words hive-sign "$@"; }
bash_complete_read() { complete_words hive-read "$@"; }
bash_complete_bk() { complete_words hive-beekeeper "$@"; }

# The case branch of _hive-TOOL ($1) in the zsh file for subcommand $2, whose
# pattern is quoted when the subcommand has two words: ('meter add').
zsh_branch() {
	local pattern=$2
	[[ $pattern == *" "* ]] && pattern="'$pattern'"
	sed -n "/^_$1()/,/^}/p" "$ZSH_COMP" | sed -n "/^[[:space:]]*($pattern)\$/,/;;/p"
}

# The options that the zsh branch of tool $1 for subcommand $2 specifies,
# with those of a shared array it names ($_hive_read_common).
zsh_options() {
	local array
	{
		zsh_branch "$1" "$2"
		# shellcheck disable=SC2016 # a literal $ in the pattern
		for array in $(zsh_branch "$1" "$2" | grep -o '\$_hive_[a-z_]*' | sed 's/^\$//' | grep -v -x _hive_common); do
			sed -n "/^_$1()/,/^}/p" "$ZSH_COMP" | sed -n "/local -a $array=(/,/^[[:space:]]*)\$/p"
		done
	} | grep -o -- "['*)]--[a-z][a-z0-9-]*[=[]" | sed 's/^.//; s/.$//' |
		grep -v -x -e --help -e --version | sort -u
}

@test "the usage names subcommands and options to check" {
	usage_commands hive-sign > "$T/commands"
	[ "$(count_lines "$T/commands")" -ge 8 ]
	usage_options hive-sign verify > "$T/verify"
	grep -qx -- --signer-field "$T/verify"
	# hive-read: the default subcommand and the COMMON block are understood.
	run -0 usage_commands hive-read
	assert_output $'read\nsim\nd0\ncsv\nmodbus\nreplay'
	run -0 usage_options hive-read read
	assert_line --protocol
	assert_line --meter
	assert_line --count
	run -0 usage_options hive-read modbus
	assert_line --unit-id
	assert_line --no-readings
	run -0 usage_options hive-read replay
	assert_line --speed
	refute_line --meter
	# hive-beekeeper: subcommands of two words, KEY, and --ledger before the subcommand.
	run -0 usage_commands hive-beekeeper
	assert_line init
	assert_line 'meter add'
	assert_line 'hive add-meter'
	assert_line verify
	refute_line meter
	run -0 usage_options hive-beekeeper 'hive create'
	assert_line --ledger
	assert_line --password-file
	assert_line --end
	assert_line --time
	run -0 usage_options hive-beekeeper 'hive list'
	assert_output $'--at\n--ledger\n--owner\n--status'
	run -0 second_words hive-beekeeper hvt
	assert_output $'transfer\nbalance\nsupply'
}

@test "bash: every subcommand of the usage is completed, and no other" {
	for tool in $TOOLS; do
		first_words "$tool" | sort > "$T/want"
		(cd "$T" && complete_words "$tool" "") | grep -v '^-' | sort > "$T/got"
		diff -u --label "usage of $tool" --label "hive.bash for $tool" "$T/want" "$T/got"
		# The second word of a subcommand of two words.
		for word in $(first_words "$tool"); do
			second_words "$tool" "$word" | sort > "$T/want"
			[ -s "$T/want" ] || continue
			(cd "$T" && complete_words "$tool" "$word" "") | sort > "$T/got"
			diff -u --label "usage of $tool $word" --label "hive.bash for $tool $word" "$T/want" "$T/got"
		done
	done
}

@test "bash: the option table of every subcommand matches its usage lines" {
	for tool in $TOOLS; do
		mapfile -t cmds < <(usage_commands "$tool")
		for cmd in "${cmds[@]}"; do
			usage_options "$tool" "$cmd" > "$T/want"
			bash_options "$tool" "$cmd" > "$T/got"
			diff -u --label "usage of $tool $cmd" --label "hive.bash for $tool $cmd" "$T/want" "$T/got"
		done
	done
}

@test "bash: completing '--' after each subcommand offers all its options" {
	for tool in $TOOLS; do
		mapfile -t cmds < <(usage_commands "$tool")
		for cmd in "${cmds[@]}"; do
			# shellcheck disable=SC2086 # a subcommand of two words is two words
			complete_words "$tool" $cmd -- > "$T/got"
			usage_options "$tool" "$cmd" | while read -r opt; do
				grep -qx -- "$opt" "$T/got" || { echo "$tool $cmd: $opt not offered"; return 1; }
			done
			grep -qx -- --help "$T/got"
		done
	done
}

@test "bash: every option that takes a value is known to take one" {
	# An option missing from both tables would have its value completed as an option.
	for tool in $TOOLS; do
		forms "$tool" | grep -o -- "--[a-z][a-z0-9-]* [^-[|(]" | cut -d' ' -f1 | sort -u |
			while read -r opt; do
				grep -q -- "^_hive_file_options=.* $opt " "$BASH_COMP" ||
					grep -q -- "^[[:space:]]*\[$opt\]=" "$BASH_COMP" ||
					[ "$opt" = --map ] ||
					{ echo "hive.bash: $opt takes a value but is in no table"; return 1; }
			done
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
	# hive-read: --once or --count; modbus over --tcp or a serial --line.
	run -0 bash_complete_read sim --once --
	refute_line --count
	run -0 bash_complete_read --count 3 --
	refute_line --once
	run -0 bash_complete_read modbus --tcp meter.local --
	refute_line --line
	run -0 bash_complete_read modbus --line 9600 --
	refute_line --tcp
	# csv --kind energy or power gives intervals: no --once, --count or interval options.
	for kind in 'energy' 'power'; do
		for words in "--kind $kind" "--kind=$kind" "--kind = $kind"; do
			# shellcheck disable=SC2086 # the words are meant to be split
			run -0 bash_complete_read csv $words --
			refute_line --once
			refute_line --count
			refute_line --interval
			refute_line --no-readings
			refute_line --clock
			assert_line --step
			assert_line --meter
		done
	done
	run -0 bash_complete_read csv --kind register --
	assert_line --once
	assert_line --interval
	run -0 bash_complete_read csv --kind ""
	assert_output $'register\nenergy\npower'
}

@test "bash: hive-read without a subcommand completes read's options and operand" {
	cd "$T"
	touch capture.p1
	run -0 bash_complete_read --pro
	assert_output --protocol
	run -0 bash_complete_read --
	assert_line --stall
	assert_line --interval
	refute_line --seed
	run -0 bash_complete_read cap
	assert_output capture.p1
	run -0 bash_complete_read capture.p1 --no
	assert_line --no-crc
	assert_line --no-readings
	run -0 bash_complete_read --raw cap
	assert_output capture.p1
	run -0 bash_complete_read read --key-file cap
	assert_output capture.p1
}

@test "bash: hive-read's fixed choices and register maps are offered" {
	cd "$T"
	unset HIVE_SHARE
	run -0 bash_complete_read --protocol ""
	assert_output $'auto\ndsmr\np1crypt\nsml'
	run -0 bash_complete_read --protocol=p1
	assert_output p1crypt
	run -0 bash_complete_read sim --interval 15m --clock ""
	assert_output $'meter\nhost'
	run -0 bash_complete_read csv --kind e
	assert_output energy
	run -0 bash_complete_read csv --unit k
	assert_output $'kWh\nkW'
	run -0 bash_complete_read csv --time-format unix
	assert_output $'unix\nunix-ms'
	run -0 bash_complete_read sim --count ""
	assert_output ""
	run -0 bash_complete_read modbus --map eastron-sdm6
	assert_output eastron-sdm630
	run -0 bash_complete_read sim ""
	assert_line --seed
}

@test "bash: hive-beekeeper's subcommands of two words, and --ledger before them" {
	run -0 bash_complete_bk met
	assert_output meter
	run -0 bash_complete_bk meter s
	assert_output status
	run -0 bash_complete_bk hive ""
	assert_output $'create\nfreeze\nadd-meter\ndrop-meter\nsplit\nmerge\ninfo\nlist'
	run -0 bash_complete_bk hive add
	assert_output add-meter
	run -0 bash_complete_bk --le
	assert_output --ledger
	run -0 bash_complete_bk --ledger l.ndjson met
	assert_output meter
	run -0 bash_complete_bk --ledger=l.ndjson hvt tr
	assert_output transfer
	run -0 bash_complete_bk --ledger = l.ndjson coin add --
	assert_line --coin
	refute_line --ledger
	run -0 bash_complete_bk --ledger l.ndjson ""
	refute_line --ledger
	assert_line init
	run -0 bash_complete_bk hive list --
	assert_line --ledger
	assert_line --status
	refute_line --key
	# Options that repeat: --meter of hive create, --part of hive split; not --meter elsewhere.
	run -0 bash_complete_bk hive create --meter 0x01 --
	assert_line --meter
	run -0 bash_complete_bk hive split --part 0x01 --
	assert_line --part
	run -0 bash_complete_bk hive add-meter --meter 0x01 --
	refute_line --meter
}

@test "bash: hive-beekeeper's files, statuses and other values" {
	cd "$T"
	touch ledger.ndjson ops.ndjson admin.key ks.json
	run -0 bash_complete_bk --ledger led
	assert_output ledger.ndjson
	run -0 bash_complete_bk --ledger = led
	assert_output ledger.ndjson
	run -0 bash_complete_bk export --ledger led
	assert_output ledger.ndjson
	run -0 bash_complete_bk meter add --key adm
	assert_output admin.key
	run -0 bash_complete_bk hive create --keystore k
	assert_output ks.json
	run -0 bash_complete_bk apply --keystore ks.json --password-file ad
	assert_output admin.key
	run -0 bash_complete_bk apply --key admin.key op
	assert_output ops.ndjson
	run -0 bash_complete_bk meter status --status ""
	assert_output $'registered\ncertified\nonline\noffline\nrevoked'
	run -0 bash_complete_bk meter list --status o
	assert_output $'online\noffline'
	run -0 bash_complete_bk hive list --status ""
	assert_output $'active\nfrozen\nsplit\nmerged'
	run -0 bash_complete_bk hive list --status=m
	assert_output merged
	run -0 bash_complete_bk hvt transfer --to 0x
	assert_output ""
	run -0 bash_complete_bk meter list --hive ""
	assert_output ""
	run -0 bash_complete_bk hive freeze --key admin.key --time 2026-11-24T10:00:00Z ""
	refute_line ledger.ndjson
}

@test "bash: hive-beekeeper does not offer options it refuses together" {
	run -0 bash_complete_bk meter add --key k.key --
	refute_line --keystore
	refute_line --password-file
	run -0 bash_complete_bk coin add --password-file pw --
	refute_line --key
	assert_line --keystore
	# params shows the costs as of --at, or changes them with a key.
	run -0 bash_complete_bk params --at 2026-11-24T10:00:00Z --
	refute_line --key
	refute_line --time
	refute_line --hive-cost
	assert_line --ledger
	run -0 bash_complete_bk params --meter-cost 5HVT --
	refute_line --at
	assert_line --key
	assert_line --hive-cost
}

@test "zsh: --key and --password-file exclude each other wherever both are taken" {
	for cmd in $(usage_commands hive-sign); do
		usage_options hive-sign "$cmd" | grep -qx -- --password-file || continue
		zsh_branch hive-sign "$cmd" | grep -q -- "([^)]*--password-file[^)]*)--key=" ||
			{ echo "_hive for $cmd: --key does not exclude --password-file"; return 1; }
		zsh_branch hive-sign "$cmd" | grep -q -- "([^)]*--key[ )][^']*--password-file=" ||
			{ echo "_hive for $cmd: --password-file does not exclude --key"; return 1; }
	done
}

@test "zsh: every subcommand of the usage is described" {
	for tool in $TOOLS; do
		grep -q "^#compdef.* $tool\( \|\$\)" "$ZSH_COMP" || { echo "zsh: $tool is not in #compdef"; return 1; }
		for cmd in $(first_words "$tool"); do
			sed -n "/^_$tool()/,/^}/p" "$ZSH_COMP" | grep -q "^[[:space:]]*'$cmd:" ||
				{ echo "zsh: no description of $tool $cmd"; return 1; }
		done
		# The second word of "meter add" is described in the array meter_commands.
		mapfile -t cmds < <(usage_commands "$tool" | grep ' ')
		for cmd in "${cmds[@]}"; do
			sed -n "/^_$tool()/,/^}/p" "$ZSH_COMP" | sed -n "/local -a ${cmd% *}_commands=(/,/^[[:space:]]*)\$/p" |
				grep -q "^[[:space:]]*'${cmd#* }:" || { echo "zsh: no description of $tool $cmd"; return 1; }
		done
	done
}

@test "zsh: the options of every subcommand match its usage lines" {
	for tool in $TOOLS; do
		mapfile -t cmds < <(usage_commands "$tool")
		for cmd in "${cmds[@]}"; do
			usage_options "$tool" "$cmd" > "$T/want"
			zsh_options "$tool" "$cmd" > "$T/got"
			diff -u --label "usage of $tool $cmd" --label "_hive for $tool $cmd" "$T/want" "$T/got"
		done
	done
}

# The option specs that _hive-TOOL ($1) hands to _arguments when completing the
# words after it, the last being completed; _arguments and the other helpers
# are stubs, so no terminal is needed.
zsh_specs() {
	local tool=$1
	shift
	zsh -f -c '
		_arguments() { print -rl -- "$@"; return 1; }
		_describe() { :; }; _files() { :; }; _message() { :; }
		service=none
		source "$1"
		words=("${@:2}"); CURRENT=$#words
		"_$2" || :' _ "$ZSH_COMP" "$tool" "$@"
}

@test "zsh: csv --kind energy or power drops the options hive-read refuses with it" {
	command -v zsh > /dev/null || skip "zsh is not installed: run scripts/deps check"
	for words in "--kind energy" "--kind=power"; do
		# shellcheck disable=SC2086 # the words are meant to be split
		run -0 zsh_specs hive-read csv $words --
		refute_output --partial "--once["
		refute_output --partial "--count="
		refute_output --partial "--interval="
		refute_output --partial "--no-readings["
		assert_output --partial "--step="
		assert_output --partial "--meter="
	done
	run -0 zsh_specs hive-read csv --kind register --
	assert_output --partial "--once["
	assert_output --partial "--interval="
	# The value being completed does not count yet.
	run -0 zsh_specs hive-read csv --kind energy
	assert_output --partial "--count="
}

# What _hive-beekeeper hands to _arguments and _describe when completing the
# words after it. The stub of _arguments stands in for its -C call, the first,
# as if the first word were a subcommand: it drops the tool's name from words.
zsh_specs_bk() {
	zsh -f -c '
		_arguments() {
			if [[ $1 == -C ]]; then state=argument; shift words; (( CURRENT-- )); return 1; fi
			print -rl -- "$@"; return 1
		}
		_describe() { print -rl -- "${(@P)4}"; }; _files() { :; }; _message() { :; }
		service=none
		source "$1"
		words=(hive-beekeeper "${@:2}"); CURRENT=$#words
		_hive-beekeeper || :' _ "$ZSH_COMP" "$@"
}

@test "zsh: hive-beekeeper's second words, statuses and files" {
	command -v zsh > /dev/null || skip "zsh is not installed: run scripts/deps check"
	run -0 zsh_specs_bk meter ""
	assert_line --partial "add:"
	assert_line --partial "status:"
	refute_line --partial "create:"
	run -0 zsh_specs_bk meter status --
	assert_output --partial "--status=["
	assert_output --partial ":(registered certified online offline revoked)"
	assert_output --partial "--ledger=["
	assert_output --partial "--key=["
	run -0 zsh_specs_bk hive list --
	assert_output --partial ":(active frozen split merged)"
	refute_output --partial "--key="
	run -0 zsh_specs_bk hive create --
	assert_output --partial "*--meter=["
	run -0 zsh_specs_bk apply --
	assert_output --partial "*:operation file:_files"
	run -0 zsh_specs_bk params --
	assert_output --partial ")--at=["
}

@test "zsh: the completion file parses" {
	command -v zsh > /dev/null || skip "zsh is not installed: run scripts/deps check"
	run -0 zsh -n "$ZSH_COMP"
	assert_output ""
}

@test "each tool's manual page shows every subcommand and option of its usage" {
	for tool in $TOOLS; do
		page=$TOP/man/$tool.1
		mapfile -t cmds < <(usage_commands "$tool")
		for cmd in "${cmds[@]}"; do
			grep -q "^\.\(Cm\|Op Cm\) $cmd\$" "$page" || { echo "$tool.1: no $cmd"; return 1; }
			for opt in $(usage_options "$tool" "$cmd"); do
				grep -q "^\.It Fl -${opt#--}\( \|\$\)" "$page" ||
					{ echo "$tool.1: $opt is not described"; return 1; }
			done
		done
	done
}

@test "every manual page passes mandoc -Tlint" {
	command -v mandoc > /dev/null || skip "mandoc is not installed"
	pages=("$TOP"/man/*.[157])
	[ "${#pages[@]}" -ge 4 ]
	run -0 mandoc -Tlint -Wwarning "${pages[@]}"
	assert_output ""
}
