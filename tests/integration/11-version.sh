#!/usr/bin/env bash
# tidegate --version: the version the Makefile stamped at build time (git
# describe, or VERSION with the commit), also at the top of `help`.
. "$(dirname "$0")/../lib/tap.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TIDEGATE=${TIDEGATE:-$ROOT/build/san/tidegate}

OUT=$("$TIDEGATE" --version)
is "$?" 0 "tidegate --version: exit 0"
[[ $OUT =~ ^tidegate\ [0-9]+\.[0-9]+\.[0-9]+ ]]
ok $? "  prints 'tidegate X.Y.Z...': $OUT"
WANT=$(make -s -C "$ROOT" version 2>/dev/null)
is "$OUT" "tidegate $WANT" "  the version this tree builds (make version)"
is "$("$TIDEGATE" -V)" "$OUT" "-V says the same"
[[ $("$TIDEGATE" help) == *"(tidegate ${OUT#tidegate })"* ]]
ok $? "help names it"
done_testing
