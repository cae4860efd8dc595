# bash completion for the hive tools                       -*- shell-script -*-
#
# One file for every tool. It is installed as .../bash-completion/completions/hive
# with a symbolic link per tool name, so whichever tool is completed first loads
# it and registers all of them. It needs nothing from the bash-completion
# package, and uses its _filedir for file names when that is loaded.
#
# To add a tool: list its subcommands in _hive_commands, each subcommand's
# options in _hive_options (one line each: tests/completions.bats checks them
# against the tool's --help) and its operands in _hive_operands, name any new
# option that takes a file or another value below, and any option that rules
# others out in _hive_excludes, then add a two-line function and a
# `complete -F` line at the end.

# Subcommands of each tool.
declare -gA _hive_commands=(
	[hive-sign]='keygen address sign verify recover hash message typed'
)

# Options of each subcommand, as "tool subcommand". -h, --help and --version
# are accepted everywhere and are added by _hive_complete.
declare -gA _hive_options=(
	[hive-sign keygen]='--keystore --key --scrypt-n --password-file'
	[hive-sign address]='--key --keystore --password-file'
	[hive-sign sign]='--key --keystore --password-file --type --resign --strict'
	[hive-sign verify]='--signer --signer-field --require-sig --type --strict'
	[hive-sign recover]='--field --type --strict'
	[hive-sign hash]='--field --type --strict'
	[hive-sign message]='--key --keystore --password-file --hex --verify --signer'
	[hive-sign typed]='--key --keystore --password-file --verify --signer'
)

# What the operands of each subcommand are: files, one file, text, or none.
declare -gA _hive_operands=(
	[hive-sign keygen]=none
	[hive-sign address]=none
	[hive-sign sign]=files
	[hive-sign verify]=files
	[hive-sign recover]=files
	[hive-sign hash]=files
	[hive-sign message]=text
	[hive-sign typed]=file
)

# Options whose argument is a file name.
_hive_file_options=' --key --keystore --password-file '
# Options whose argument is some other value; the values offered, if any.
declare -gA _hive_value_options=(
	[--scrypt-n]='1024 4096 16384 65536 262144 1048576'
	[--type]=''
	[--signer]=''
	[--signer-field]=''
	[--field]=''
	[--verify]=''
)
# Options that may be given more than once.
_hive_repeatable_options=' --type --signer '
# Options that rule others out, as "tool option": once it is given, the
# options listed are no longer offered, since the tool refuses them together.
declare -gA _hive_excludes=(
	[hive-sign --key]='--keystore --password-file --scrypt-n --verify --signer'
	[hive-sign --keystore]='--key --verify --signer'
	[hive-sign --password-file]='--key --verify --signer'
	[hive-sign --scrypt-n]='--key'
	[hive-sign --verify]='--key --keystore --password-file'
	[hive-sign --signer]='--key --keystore --password-file'
)

# Adds the file names that start with $1 to COMPREPLY.
_hive_files()
{
	if declare -F _filedir > /dev/null; then
		cur=$1 _filedir
		return
	fi
	compopt -o filenames 2> /dev/null
	mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$1")
}

# Completes the words of tool $1 (COMP_WORDS and COMP_CWORD, as bash sets them).
_hive_complete()
{
	local tool=$1
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	local cmd opts operands word i only_operands=

	COMPREPLY=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

	# bash splits --opt=value at the '=': put the pieces back together.
	if [[ $cur == = ]] && ((COMP_CWORD > 1)); then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	fi

	if ((COMP_CWORD <= 1)); then
		mapfile -t COMPREPLY < <(compgen -W "${_hive_commands[$tool]} -h --help --version" -- "$cur")
		return
	fi
	cmd=${COMP_WORDS[1]}
	opts=${_hive_options["$tool $cmd"]-}
	[[ -n $opts ]] || return
	operands=${_hive_operands["$tool $cmd"]-none}

	# The argument of an option.
	if [[ $prev == --* && $_hive_file_options == *" $prev "* ]]; then
		_hive_files "$cur"
		return
	fi
	if [[ $prev == --* && -n ${_hive_value_options[$prev]+set} ]]; then
		mapfile -t COMPREPLY < <(compgen -W "${_hive_value_options[$prev]}" -- "$cur")
		return
	fi

	# After "--" only operands follow.
	for ((i = 2; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -- ]] && only_operands=1
	done

	if [[ -z $only_operands && ( $cur == -* || $operands == none || $operands == text ) ]]; then
		local offer='' excluded=' '
		for ((i = 2; i < COMP_CWORD; i++)); do
			excluded+="${_hive_excludes["$tool ${COMP_WORDS[i]%%=*}"]-} "
		done
		for word in $opts; do
			[[ $excluded == *" $word "* ]] && continue
			# An option already given is offered again only if it may repeat.
			if [[ $_hive_repeatable_options != *" $word "* ]]; then
				for ((i = 2; i < COMP_CWORD; i++)); do
					[[ ${COMP_WORDS[i]} == "$word" || ${COMP_WORDS[i]} == "$word="* ]] && continue 2
				done
			fi
			offer+=" $word"
		done
		mapfile -t COMPREPLY < <(compgen -W "$offer --help --version" -- "$cur")
		return
	fi
	case $operands in
	files | file) _hive_files "$cur" ;;
	esac
}

_hive_sign() { _hive_complete hive-sign; }
complete -F _hive_sign hive-sign
