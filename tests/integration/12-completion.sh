#!/usr/bin/env bash
# The bash and zsh completions, driven for real in the sandbox's server
# namespace: rule verbs, redirect:IFACE, option values, and interfaces:
# every one for attach, only those tidegate is attached to for stats,
# detach, rule... (before the attach none, after it the sandbox's; every
# one to a user who cannot read the pins).
# The bash completion passes shellcheck; the zsh one parses (zsh -n).
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_ROOT/tests/lib/complete.sh"

BASH_COMPLETION=$IT_ROOT/packaging/tidegate.bash-completion
ZSH_COMPLETION=$IT_ROOT/packaging/tidegate.zsh-completion

it_setup
if command -v shellcheck >/dev/null; then
	OUT=$(shellcheck -s bash "$BASH_COMPLETION" 2>&1)
	ok $? "the bash completion is shellcheck-clean" || diag "$OUT"
else
	ok 1 "shellcheck is missing: run scripts/install-deps.sh"
fi
HAVE_ZSH=0
if command -v zsh >/dev/null; then
	HAVE_ZSH=1
	OUT=$(zsh -n "$ZSH_COMPLETION" 2>&1)
	ok $? "the zsh completion parses (zsh -n)" || diag "$OUT"
else
	ok 1 "zsh is missing: run scripts/install-deps.sh"
fi

COMPLETE_IN=(sb_srv)
T=$SB_TIDEGATE

# both LINE WANT... : bash and zsh both offer exactly WANT.
both() {
	local line=$1 want
	shift
	want=$(words "$@")
	is "$(complete_bash "$T $line")" "$want" "bash: '$line' completes to: $*"
	((HAVE_ZSH)) || return
	is "$(complete_zsh "$T $line")" "$want" "zsh:  '$line' completes to: $*"
}

test_not_attached() {
	both "stats "
	both "detach "
	both "rule list "
	both "attach " lo "$IF"
}

test_attached() {
	tg_ok "attach $IF" attach "$IF" --json
	both "stats " "$IF"
	both "st" status stats
	both "top " "$IF"
	both "set " "$IF"
	both "rule del " "$IF"
	both "attach " lo "$IF"
	both "run " lo "$IF"
}

# A user who cannot read the pins (bpffs is root's) is offered every
# interface rather than none.
test_unprivileged() {
	if ! command -v setpriv >/dev/null; then
		ok 0 "# SKIP no setpriv to complete as an unprivileged user"
		return
	fi
	COMPLETE_IN=(sb_srv setpriv --reuid=65534 --regid=65534 --clear-groups)
	both "stats " lo "$IF"
	COMPLETE_IN=(sb_srv)
}

test_words() {
	both "rule " add del import list
	both "rule add $IF 198.18.0.0/24 " allow deny limit
	both "attach $IF --mode " native skb
	both "set $IF --syn-cookies " off on auto
	both "stats $IF --w" --watch
	both "help chec" check-config
	# bash offers "redirect:" and then, after the colon, the interfaces
	# (it replaces only what follows the colon: COMP_WORDBREAKS); zsh
	# offers every redirect:IFACE at once.
	is "$(complete_bash "$T set $IF --action ")" "$(words drop rst redirect:)" \
		"bash: '--action ' completes to drop rst redirect:"
	is "$(complete_bash "$T set $IF --action redirect:")" "$(words lo "$IF")" \
		"bash: '--action redirect:' completes the interfaces after the colon"
	is "$(complete_bash "$T rule add $IF 198.18.0.0/24 deny -a redirect:l")" lo \
		"bash: after -a too"
	if ((HAVE_ZSH)); then
		is "$(complete_zsh "$T set $IF --action ")" \
			"$(words drop rst redirect:lo "redirect:$IF")" \
			"zsh:  '--action ' completes to drop rst redirect:IFACE"
		is "$(complete_zsh "$T set $IF --action redirect:")" "$(words redirect:lo "redirect:$IF")" \
			"zsh:  '--action redirect:' completes to redirect:IFACE"
	fi
	echo "198.18.7.0/24 deny" >"$IT_TMP/bans.rules"
	is "$(complete_bash "$T rule import $IF $IT_TMP/bans.r")" "$IT_TMP/bans.rules" \
		"bash: rule import completes a file"
}

test_not_attached
test_attached
test_unprivileged
test_words
done_testing
