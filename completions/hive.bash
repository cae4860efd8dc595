# bash completion for the hive tools                       -*- shell-script -*-
#
# One file for every tool. It is installed as .../bash-completion/completions/hive
# with a symbolic link per tool name, so whichever tool is completed first loads
# it and registers all of them. It needs nothing from the bash-completion
# package, and uses its _filedir for file names when that is loaded.
#
# To add a tool: list its subcommands in _hive_commands (and the one it runs
# when the first argument names none in _hive_default_command; for a
# subcommand of two words, "meter add", list the first word and then, under
# "tool word", the second words), the options it takes before its subcommand
# in _hive_global_options, each subcommand's options in _hive_options (one
# line each, options shared by several subcommands spelt out on every line:
# tests/completions.bats checks them against the tool's --help) and its
# operands in _hive_operands, name any new option that takes a file or another
# value below (values that depend on the subcommand in _hive_command_values),
# any option a subcommand takes more than once in _hive_repeatable, and any
# option that rules others out in _hive_excludes (or, by one of its values, in
# _hive_value_excludes), then add a two-line function and a `complete -F`
# line at the end. A tool without subcommands (hive-bid) has an empty list
# of subcommands and a default command named after its job, under which its
# options are listed; so has the command a tool runs without a subcommand
# name (hive-clear's "clear", beside "simulate" and "coordinate";
# hive-settle's "settle", beside "audit"; hive-forecast's "forecast", beside
# "backtest"). An option whose argument is a file in one tool and another
# value in others (--export) is named in _hive_tool_file_options.

# Where this file is, to find the data installed beside it (share/hive/meters
# next to share/bash-completion/completions, or share/meters in a source tree).
_hive_completion_dir=.
[[ ${BASH_SOURCE[0]} == */* ]] && _hive_completion_dir=${BASH_SOURCE[0]%/*}

# Subcommands of each tool.
declare -gA _hive_commands=(
	[hive-sign]='keygen address sign verify recover hash message typed'
	[hive-read]='read sim d0 csv modbus replay'
	[hive-beekeeper]='init params hvt meter coin hive export apply verify repair'
	[hive-beekeeper hvt]='transfer balance supply'
	[hive-beekeeper meter]='add status info list'
	[hive-beekeeper coin]='add freeze info list'
	[hive-beekeeper hive]='create freeze add-meter drop-meter split merge info list'
	[hive-clear]='simulate coordinate'
	[hive-settle]='audit'
	[hive-forecast]='forecast backtest'
	[hive-bid]=''
)

# The subcommand a tool runs when its first argument is none of them: then the
# words after the tool name are that subcommand's ("hive-read /dev/ttyUSB0").
declare -gA _hive_default_command=(
	[hive-read]=read
	[hive-clear]=clear
	[hive-settle]=settle
	[hive-forecast]=forecast
	[hive-bid]=bid
)

# Options a tool takes before its subcommand as well as after it.
declare -gA _hive_global_options=(
	[hive-beekeeper]='--ledger'
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
	[hive-read read]='--protocol --line --key-file --no-crc --raw --stall --meter --interval --max-power --max-gap --clock --no-readings --once --count'
	[hive-read sim]='--seed --start --step --duration --annual-kwh --pv --battery --battery-kw --lat --lon --tz-offset --cloudiness --realtime --meter --interval --max-power --max-gap --clock --no-readings --once --count'
	[hive-read d0]='--address --every --max-baud --no-bcc --raw --meter --interval --max-power --max-gap --clock --no-readings --once --count'
	[hive-read csv]='--kind --unit --step --time --import --export --net --delimiter --no-header --skip-rows --decimal-comma --time-format --tz-offset --meter --interval --max-power --max-gap --clock --no-readings --once --count'
	[hive-read modbus]='--map --tcp --line --unit-id --every --timeout --retries --meter --interval --max-power --max-gap --clock --no-readings --once --count'
	[hive-read replay]='--speed --time-field --strict'
	[hive-beekeeper init]='--ledger --key --keystore --password-file --hive-cost --meter-cost --time'
	[hive-beekeeper params]='--ledger --key --keystore --password-file --hive-cost --meter-cost --time --at'
	[hive-beekeeper hvt transfer]='--ledger --key --keystore --password-file --to --amount --time'
	[hive-beekeeper hvt balance]='--ledger --at'
	[hive-beekeeper hvt supply]='--ledger --at'
	[hive-beekeeper meter add]='--ledger --key --keystore --password-file --meter --owner --serial --manufacturer --time'
	[hive-beekeeper meter status]='--ledger --key --keystore --password-file --meter --status --time'
	[hive-beekeeper meter info]='--ledger --at'
	[hive-beekeeper meter list]='--ledger --at --owner --status --hive'
	[hive-beekeeper coin add]='--ledger --key --keystore --password-file --coin --code --decimals --time'
	[hive-beekeeper coin freeze]='--ledger --key --keystore --password-file --coin --time'
	[hive-beekeeper coin info]='--ledger --at'
	[hive-beekeeper coin list]='--ledger --at'
	[hive-beekeeper hive create]='--ledger --key --keystore --password-file --coin --meter --hvt --start --end --time'
	[hive-beekeeper hive freeze]='--ledger --key --keystore --password-file --time'
	[hive-beekeeper hive add-meter]='--ledger --key --keystore --password-file --meter --hvt --time'
	[hive-beekeeper hive drop-meter]='--ledger --key --keystore --password-file --meter --time'
	[hive-beekeeper hive split]='--ledger --key --keystore --password-file --part --time'
	[hive-beekeeper hive merge]='--ledger --key --keystore --password-file --time'
	[hive-beekeeper hive info]='--ledger --at'
	[hive-beekeeper hive list]='--ledger --at --owner --status'
	[hive-beekeeper export]='--ledger --at'
	[hive-beekeeper apply]='--ledger --key --keystore --password-file --batch --strict --time'
	[hive-beekeeper verify]='--ledger'
	[hive-beekeeper repair]='--ledger'
	[hive-clear clear]='--export --tariff --rule --platform-fee --owner-fee --missing --from --to --day --tz --step --rejects --strict'
	[hive-clear simulate]='--tariff --import-max-w --export-max-w --peak-price --rho --max-iter --eps-abs --eps-rel --gap --relax --days --horizon --strict --rejects'
	[hive-clear coordinate]='--tariff --export --workers --signed --key --keystore --password-file --timeout --rounds --bids --import-max-w --export-max-w --peak-price --rho --max-iter --eps-abs --eps-rel --gap --strict --rejects'
	[hive-settle settle]='--export --day --tz --from --to --archive --key --keystore --password-file --bids --reputation-weight --deviation-price --csv --strict'
	[hive-settle audit]='--export --tariff --archive --queen --bids'
	[hive-forecast forecast]='--model --start --step --horizon --quantiles --tz --holidays --exog --lat --lon --tilt --azimuth --window --origins --max-gap --strict'
	[hive-forecast backtest]='--model --days --table --step --horizon --quantiles --tz --holidays --exog --lat --lon --tilt --azimuth --window --origins --max-gap --strict'
	[hive-bid bid]='--assets --tariff --key --keystore --password-file --queen --hive --worker --import-max-w --export-max-w --rho --max-iter --eps-abs --eps-rel --strict'
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
	[hive-read read]=file
	[hive-read sim]=none
	[hive-read d0]=file
	[hive-read csv]=file
	[hive-read modbus]=file
	[hive-read replay]=files
	[hive-beekeeper hvt balance]=text
	[hive-beekeeper meter info]=text
	[hive-beekeeper coin info]=text
	[hive-beekeeper hive freeze]=text
	[hive-beekeeper hive add-meter]=text
	[hive-beekeeper hive drop-meter]=text
	[hive-beekeeper hive split]=text
	[hive-beekeeper hive merge]=text
	[hive-beekeeper hive info]=text
	[hive-beekeeper export]=text
	[hive-beekeeper apply]=files
	[hive-clear clear]=files
	[hive-clear simulate]=files
	[hive-clear coordinate]=none
	[hive-settle settle]=files
	[hive-settle audit]=files
	[hive-forecast forecast]=files
	[hive-forecast backtest]=files
	[hive-bid bid]=files
)

# Options whose argument is a file name.
_hive_file_options=' --key --keystore --password-file --key-file --ledger --tariff --rejects --archive --bids --csv --holidays --exog --assets '
# Options whose argument is a file in one tool only ("--export" is a column
# of hive-read csv, and the hive's export of hive-clear and hive-settle).
declare -gA _hive_tool_file_options=(
	[hive-clear]=' --export '
	[hive-settle]=' --export '
)
# Options whose argument is some other value; the values offered, if any.
# Every option that takes a value is listed here or above, so that its value
# is never completed as an option.
declare -gA _hive_value_options=(
	[--scrypt-n]='1024 4096 16384 65536 262144 1048576'
	[--type]=''
	[--signer]=''
	[--signer-field]=''
	[--field]=''
	[--verify]=''
	[--protocol]='auto dsmr p1crypt sml'
	[--line]=''
	[--stall]=''
	[--meter]=''
	[--interval]='5m 15m 30m 1h'
	[--max-power]=''
	[--max-gap]=''
	[--clock]='meter host'
	[--count]=''
	[--seed]=''
	[--start]=''
	[--step]=''
	[--duration]=''
	[--annual-kwh]=''
	[--pv]=''
	[--battery]=''
	[--battery-kw]=''
	[--lat]=''
	[--lon]=''
	[--tz-offset]=''
	[--cloudiness]=''
	[--address]=''
	[--every]=''
	[--max-baud]='300 600 1200 2400 4800 9600 19200'
	[--kind]='register energy power'
	[--unit]='Wh kWh W kW'
	[--time]=''
	[--import]=''
	[--export]=''
	[--net]=''
	[--delimiter]=''
	[--skip-rows]=''
	[--time-format]='rfc3339 local unix unix-ms'
	[--tcp]=''
	[--unit-id]=''
	[--timeout]=''
	[--retries]=''
	[--speed]=''
	[--time-field]='time host_time start'
	[--at]=''
	[--hive-cost]=''
	[--meter-cost]=''
	[--to]=''
	[--amount]=''
	[--owner]=''
	[--serial]=''
	[--manufacturer]=''
	[--status]=''
	[--coin]=''
	[--code]=''
	[--decimals]='6 18'
	[--hvt]=''
	[--end]=''
	[--part]=''
	[--hive]=''
	[--batch]=''
	[--rule]='discount mid-market sdr bill-sharing'
	[--platform-fee]=''
	[--owner-fee]=''
	[--missing]='zero skip'
	[--from]=''
	[--day]=''
	[--tz]=''
	[--reputation-weight]=''
	[--deviation-price]=''
	[--queen]=''
	[--model]='auto snaive-day snaive-week dshw dshw-log linear combo clearsky'
	[--horizon]='6h 12h 1d 2d 7d'
	[--quantiles]='10,50,90 5,50,95 10,25,50,75,90'
	[--tilt]=''
	[--azimuth]='0 90 180 270'
	[--window]=''
	[--origins]=''
	[--days]=''
	[--import-max-w]=''
	[--export-max-w]=''
	[--peak-price]=''
	[--rho]=''
	[--max-iter]=''
	[--eps-abs]=''
	[--eps-rel]=''
	[--gap]=''
	[--relax]=''
	[--horizon]=''
	[--workers]=''
	[--worker]=''
	[--rounds]=''
)
# Values of an option that depend on the subcommand, as "tool subcommand option".
declare -gA _hive_command_values=(
	[hive-beekeeper meter status --status]='registered certified online offline revoked'
	[hive-beekeeper meter list --status]='registered certified online offline revoked'
	[hive-beekeeper hive list --status]='active frozen split merged'
	[hive-clear clear --step]='5m 15m 30m 1h'
	[hive-clear coordinate --timeout]='5s 10s 30s 1m'
	[hive-forecast forecast --step]='5m 15m 30m 1h'
	[hive-forecast backtest --step]='5m 15m 30m 1h'
)
# Options that may be given more than once: in every subcommand that takes
# them, or in one subcommand only ("tool subcommand").
_hive_repeatable_options=' --type --signer '
declare -gA _hive_repeatable=(
	[hive-beekeeper hive create]='--meter'
	[hive-beekeeper hive split]='--part'
	[hive-settle settle]='--bids'
	[hive-settle audit]='--bids'
)
# Options that rule others out, as "tool option": once it is given, the
# options listed are no longer offered, since the tool refuses them together.
declare -gA _hive_excludes=(
	[hive-sign --key]='--keystore --password-file --scrypt-n --verify --signer'
	[hive-sign --keystore]='--key --verify --signer'
	[hive-sign --password-file]='--key --verify --signer'
	[hive-sign --scrypt-n]='--key'
	[hive-sign --verify]='--key --keystore --password-file'
	[hive-sign --signer]='--key --keystore --password-file'
	[hive-read --once]='--count'
	[hive-read --count]='--once'
	[hive-read --tcp]='--line'
	[hive-read --line]='--tcp'
	[hive-beekeeper --key]='--keystore --password-file --at'
	[hive-beekeeper --keystore]='--key --at'
	[hive-beekeeper --password-file]='--key --at'
	[hive-beekeeper --time]='--at'
	[hive-beekeeper --hive-cost]='--at'
	[hive-beekeeper --meter-cost]='--at'
	[hive-beekeeper --at]='--key --keystore --password-file --time --hive-cost --meter-cost'
	[hive-settle --key]='--keystore --password-file'
	[hive-settle --keystore]='--key'
	[hive-settle --password-file]='--key'
	[hive-settle --day]='--from --to'
	[hive-settle --from]='--day --tz'
	[hive-settle --to]='--day --tz'
	# --tz goes with --day only: the tools refuse it with --from and --to.
	[hive-settle --tz]='--from --to'
	[hive-clear --day]='--from --to'
	[hive-clear --from]='--day --tz'
	[hive-clear --to]='--day --tz'
	[hive-clear --tz]='--from --to'
	# coordinate waits for the hive's members or for any N Workers, not both.
	[hive-clear --export]='--workers'
	[hive-clear --workers]='--export'
	[hive-bid --key]='--keystore --password-file'
	[hive-bid --keystore]='--key'
	[hive-bid --password-file]='--key'
)
# Options that one value of an option rules out, as "tool option value".
# csv --kind energy or power gives intervals already: hive-read refuses with
# it the options that count readings (--once, --count) or make intervals.
declare -gA _hive_value_excludes=(
	[hive-read --kind energy]='--once --count --interval --max-power --max-gap --clock --no-readings'
	[hive-read --kind power]='--once --count --interval --max-power --max-gap --clock --no-readings'
)

# Adds the names of the Modbus register maps that start with $1 to COMPREPLY:
# those in $HIVE_SHARE/meters when it is set, as hive-read looks there only,
# else those installed beside this file or in its source tree.
_hive_maps()
{
	local dir file
	local -a dirs
	if [[ -n ${HIVE_SHARE-} ]]; then
		dirs=("$HIVE_SHARE/meters")
	else
		dirs=("$_hive_completion_dir/../../hive/meters" "$_hive_completion_dir/../share/meters")
	fi
	for dir in "${dirs[@]}"; do
		for file in "$dir"/*.csv; do
			[[ -f $file ]] || continue
			file=${file##*/}
			file=${file%.csv}
			[[ $file == "$1"* ]] && COMPREPLY+=("$file")
		done
	done
}

# Adds the time zones whose names start with $1 to COMPREPLY, from $TZDIR or
# /usr/share/zoneinfo, as the --tz of hive-settle, hive-clear and hive-forecast
# read them: a directory as "Europe/" to go on from; POSIX TZ rules are typed
# by hand.
_hive_zones()
{
	local dir=${TZDIR:-/usr/share/zoneinfo} path name has_dir=
	[[ -d $dir ]] || return
	while IFS= read -r path; do
		name=${path#"$dir"/}
		case $name in
		posix/* | right/* | posix | right | *.tab | *.zi | *.list | leapseconds | SECURITY | +VERSION | localtime | posixrules | Factory) continue ;;
		esac
		if [[ -d $path ]]; then
			COMPREPLY+=("$name/")
			has_dir=1
		else
			COMPREPLY+=("$name")
		fi
	done < <(compgen -f -- "$dir/$1")
	[[ -n $has_dir ]] && compopt -o nospace 2> /dev/null
	return 0
}

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

# Completes the value of option $prev for subcommand $2 of tool $1 (from the
# caller's cur and prev); returns 1 when $prev is no option that takes a value.
_hive_option_value()
{
	local key="$1 $2 $prev"
	[[ $prev == --* ]] || return 1
	if [[ $_hive_file_options == *" $prev "* || ${_hive_tool_file_options[$1]-} == *" $prev "* ]]; then
		_hive_files "$cur"
	elif [[ $prev == --tz ]]; then
		_hive_zones "$cur"
	elif [[ $prev == --map ]]; then
		_hive_maps "$cur"
		_hive_files "$cur"
	elif [[ -n ${_hive_command_values[$key]+set} ]]; then
		mapfile -t COMPREPLY < <(compgen -W "${_hive_command_values[$key]}" -- "$cur")
	elif [[ -n ${_hive_value_options[$prev]+set} ]]; then
		mapfile -t COMPREPLY < <(compgen -W "${_hive_value_options[$prev]}" -- "$cur")
	else
		return 1
	fi
}

# Completes the words of tool $1 (COMP_WORDS and COMP_CWORD, as bash sets them).
_hive_complete()
{
	local tool=$1
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	local cmd opts operands word i only_operands=
	local default=${_hive_default_command[$tool]-} globals=" ${_hive_global_options[$tool]-} "
	local at=1 first

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

	# Options before the subcommand ("--ledger FILE"), with their values, are
	# skipped: the subcommand starts at word $at.
	while ((at < COMP_CWORD)); do
		word=${COMP_WORDS[at]}
		[[ $word == --* && $globals == *" ${word%%=*} "* ]] || break
		if [[ $word == *=* ]]; then
			((at += 1))
		elif [[ ${COMP_WORDS[at + 1]-} == = ]]; then
			((at += 3))
		else
			((at += 2))
		fi
	done
	if ((at > COMP_CWORD)) || [[ $cur != "${COMP_WORDS[COMP_CWORD]}" && $globals == *" $prev "* ]]; then
		_hive_option_value "$tool" ""
		return
	fi

	# The first word: a subcommand, or an option the tool takes before it; with
	# a default subcommand also one of its options, or its operand when no
	# subcommand starts with the word.
	if ((COMP_CWORD <= at)) && [[ -z $default || ($cur != -* && $prev != --*) ]]; then
		local offer="${_hive_commands[$tool]-} -h --help --version"
		# A tool without subcommands offers its options here.
		[[ -z ${_hive_commands[$tool]-} && -n $default ]] && offer+=" ${_hive_options["$tool $default"]-}"
		for word in $globals; do
			for ((i = 1; i < at; i++)); do
				[[ ${COMP_WORDS[i]%%=*} == "$word" ]] && continue 2
			done
			offer+=" $word"
		done
		mapfile -t COMPREPLY < <(compgen -W "$offer" -- "$cur")
		if [[ -n $default ]] && ((${#COMPREPLY[@]} == 0)); then
			_hive_files "$cur"
		fi
		return
	fi
	cmd=${COMP_WORDS[at]}
	first=$((at + 1))
	if [[ -n $default && " ${_hive_commands[$tool]} " != *" $cmd "* ]]; then
		cmd=$default
		first=$at
	elif [[ -n ${_hive_commands["$tool $cmd"]+set} ]]; then
		# A subcommand of two words ("meter add"): its second word.
		if ((COMP_CWORD == at + 1)); then
			mapfile -t COMPREPLY < <(compgen -W "${_hive_commands["$tool $cmd"]}" -- "$cur")
			return
		fi
		cmd+=" ${COMP_WORDS[at + 1]}"
		first=$((at + 2))
	fi
	opts=${_hive_options["$tool $cmd"]-}
	[[ -n $opts ]] || return
	operands=${_hive_operands["$tool $cmd"]-none}

	# The argument of an option.
	_hive_option_value "$tool" "$cmd" && return

	# After "--" only operands follow.
	for ((i = first; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -- ]] && only_operands=1
	done

	if [[ -z $only_operands && ( $cur == -* || $operands == none || $operands == text ) ]]; then
		local offer='' excluded=' ' value
		local repeatable=" $_hive_repeatable_options ${_hive_repeatable["$tool $cmd"]-} "
		# Options before the subcommand count as well as those after it.
		for ((i = 1; i < COMP_CWORD; i++)); do
			word=${COMP_WORDS[i]}
			excluded+="${_hive_excludes["$tool ${word%%=*}"]-} "
			[[ $word == --* ]] || continue
			# Its value: "--opt=value", "--opt value", or "--opt = value" as bash splits the first.
			value=
			if [[ $word == *=* ]]; then
				value=${word#*=}
			elif [[ ${COMP_WORDS[i + 1]-} == = ]]; then
				((i + 2 < COMP_CWORD)) && value=${COMP_WORDS[i + 2]}
			elif ((i + 1 < COMP_CWORD)); then
				value=${COMP_WORDS[i + 1]}
			fi
			[[ -n $value ]] && excluded+="${_hive_value_excludes["$tool ${word%%=*} $value"]-} "
		done
		for word in $opts; do
			[[ $excluded == *" $word "* ]] && continue
			# An option already given is offered again only if it may repeat.
			if [[ $repeatable != *" $word "* ]]; then
				for ((i = 1; i < COMP_CWORD; i++)); do
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
_hive_read() { _hive_complete hive-read; }
complete -F _hive_read hive-read
_hive_beekeeper() { _hive_complete hive-beekeeper; }
complete -F _hive_beekeeper hive-beekeeper
_hive_clear() { _hive_complete hive-clear; }
complete -F _hive_clear hive-clear
_hive_settle() { _hive_complete hive-settle; }
complete -F _hive_settle hive-settle
_hive_forecast() { _hive_complete hive-forecast; }
complete -F _hive_forecast hive-forecast
_hive_bid() { _hive_complete hive-bid; }
complete -F _hive_bid hive-bid
