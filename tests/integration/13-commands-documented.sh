#!/usr/bin/env bash
# Nothing in the CLI's tables goes undocumented: every command `tidegate
# help` lists (the command table), every verb of `rule` and every option
# each command takes is in the man page, and the bash and zsh
# completions offer exactly those commands and options.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/complete.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TIDEGATE=${TIDEGATE:-$ROOT/build/san/tidegate}
MAN=$ROOT/packaging/tidegate.8
[ -x "$TIDEGATE" ] || { echo "Bail out! no tidegate binary at $TIDEGATE"; exit 1; }

# The commands, from the table as help prints it.
mapfile -t COMMANDS < <("$TIDEGATE" help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
[ ${#COMMANDS[@]} -ge 10 ]
ok $? "tidegate help lists the commands (${#COMMANDS[*]})" || diag "$("$TIDEGATE" help)"
mapfile -t VERBS < <("$TIDEGATE" help rule | sed -n 's/^  rule \([a-z]*\) .*/\1/p' | sort -u)
[ ${#VERBS[@]} -ge 4 ]
ok $? "tidegate help rule lists the verbs (${VERBS[*]})"

# A command's long options, from the left column of its help.
long_opts() {
	"$TIDEGATE" help "$1" | sed -n '/^Options:/,$p' | grep -o -- '^ *\(-., \)\?--[a-z0-9-]*' |
		grep -o -- '--.*' | sort
}

# The man page as words: \- is -, font changes go.
TEXT=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$MAN")
section() { awk -v s=".SH $1" '$0 == s { on = 1; next } /^\.SH / { on = 0 } on' <<<"$TEXT"; }
SYNOPSIS=$(section SYNOPSIS)
# The tags of the COMMANDS section's paragraphs (the line after .TP).
TAGS=$(section COMMANDS | awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }')

for c in "${COMMANDS[@]}"; do
	grep -Eq "^\.B tidegate $c( |\$)" <<<"$SYNOPSIS"
	ok $? "man page: $c in the SYNOPSIS"
	grep -Eq "^\.[BRI]+ (.*, )?$c(,| |\$)" <<<"$TAGS"
	ok $? "man page: $c in COMMANDS"
	missing=
	for o in $(long_opts "$c"); do
		grep -Eq -- "$o([^a-z0-9-]|\$)" <<<"$TEXT" || missing+=" $o"
	done
	is "$missing" "" "man page: every option of $c"
done
for v in "${VERBS[@]}"; do
	grep -Eq "^\.B tidegate rule $v( |\$)" <<<"$SYNOPSIS"
	ok $? "man page: rule $v in the SYNOPSIS"
done
grep -q "^\.B tidegate --version" <<<"$SYNOPSIS"
ok $? "man page: --version in the SYNOPSIS"

HAVE_ZSH=0
command -v zsh >/dev/null && HAVE_ZSH=1
((HAVE_ZSH)) || ok 1 "zsh is missing: run scripts/install-deps.sh"
want=$(words "${COMMANDS[@]}" --help --version)
is "$(complete_bash "$TIDEGATE ")" "$want" "bash completion: every command"
((HAVE_ZSH)) && is "$(complete_zsh "$TIDEGATE ")" "$want" "zsh completion: every command"
want=$(words "${VERBS[@]}")
is "$(complete_bash "$TIDEGATE rule ")" "$want" "bash completion: every rule verb"
((HAVE_ZSH)) && is "$(complete_zsh "$TIDEGATE rule ")" "$want" "zsh completion: every rule verb"
for c in "${COMMANDS[@]}"; do
	want=$(long_opts "$c")
	is "$(complete_bash "$TIDEGATE $c --")" "$want" "bash completion: every option of $c"
	((HAVE_ZSH)) && is "$(complete_zsh "$TIDEGATE $c --")" "$want" "zsh completion: every option of $c"
done
done_testing
