#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# version.sh - tidegate's version, in a form people and dpkg both read:
#
#   at tag v1.2 (or 1.2)        1.2
#   3 commits past it           1.2+3.gabc1234
#   no tag yet                  0.0.0+gabc1234
#   uncommitted changes         1.2+dirty, 1.2+3.gabc1234.dirty
#
# From git in a checkout; else from VERSION, which `git archive` fills
# in (export-subst, .gitattributes); else 0.0.0+unknown. The Makefile
# and debian/rules both ask this script, so the two never disagree.
cd "$(dirname "$0")/.." || exit 1

# DESCRIPTION: `git describe` output, or 0.0.0+gHASH[-dirty], to dpkg's grammar.
debianize() {
	v=$(printf '%s\n' "$1" | sed -e 's/^v//' -e 's/-\([0-9]*\)-g\([0-9a-f]*\)/+\1.g\2/')
	case $v in
	*+*-dirty) v=${v%-dirty}.dirty ;;
	*-dirty) v=${v%-dirty}+dirty ;;
	esac
	echo "$v"
}

if [ -e .git ] && command -v git >/dev/null 2>&1 && git rev-parse -q HEAD >/dev/null 2>&1; then
	d=$(git describe --tags --dirty 2>/dev/null) ||
		d=0.0.0+g$(git describe --always --dirty)
	debianize "$d"
	exit 0
fi
if [ -r VERSION ]; then
	IFS='|' read -r d h <VERSION
	case $d$h in
	*'$Format'* | '') ;;   # as committed: not made by git archive
	*) debianize "${d:-0.0.0+g$h}"; exit 0 ;;
	esac
fi
echo 0.0.0+unknown
