# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# complete.sh - drive the shipped completions for real, sorted, one
# word a line: LINE is a command line whose first word is the binary,
# completed at its end. COMPLETE_IN, an array, runs them somewhere else
# (sb_srv: in the sandbox's server namespace).
#
#   complete_bash LINE   packaging/tidegate.bash-completion's _tidegate,
#                        given what bash gives it (COMP_LINE, COMP_POINT,
#                        COMP_WORDS, COMP_CWORD); COMPREPLY
#   complete_zsh LINE    zsh's completion system with the zsh completion
#                        as _tidegate, on a Tab (tests/lib/zsh_complete.zsh)

COMPLETE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
COMPLETE_IN=()

# The script is single-quoted: the inner bash expands it.
# shellcheck disable=SC2016
complete_bash() {
	"${COMPLETE_IN[@]}" bash -c '
		. "$1"
		COMP_LINE=$2
		COMP_POINT=${#2}
		read -ra COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_tidegate
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$COMPLETE_ROOT/packaging/tidegate.bash-completion" "$1" | sort
}

# zsh finds completion functions by file name: _tidegate, in a directory
# of its own.
complete_zsh() {
	local dir
	dir=$(mktemp -d /tmp/tidegate-zsh.XXXXXX) || return 1
	cp "$COMPLETE_ROOT/packaging/tidegate.zsh-completion" "$dir/_tidegate"
	chmod 0755 "$dir" # COMPLETE_IN may be another user
	"${COMPLETE_IN[@]}" timeout 30 zsh -f "$COMPLETE_ROOT/tests/lib/zsh_complete.zsh" "$dir" "$1" |
		grep -v '^$' | sort
	rm -rf "$dir"
}

# The words of $1 one a line, sorted: what complete_* print.
words() { printf '%s\n' "$@" | grep -v '^$' | sort; }
