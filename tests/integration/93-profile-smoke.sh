#!/usr/bin/env bash
# The line profiler, briefly: `tg-bench lines` reads the JIT line table
# of the program on an interface (and says so when there is none),
# xdp_profile.py puts samples on the lines that hold them, and
# scripts/profile-xdp.sh profiles a one-second flood to the end, finds
# the program's samples on its lines, and leaves nothing behind. It
# judges no figure.
. "$(dirname "$0")/../lib/bench_smoke.sh"
for t in perf objdump; do
	command -v "$t" >/dev/null || skip_all "$t is missing: run scripts/install-deps.sh"
done

OUTDIR=$(mktemp -d /tmp/tidegate-profile-smoke.XXXXXX)
trap 'rm -rf "$OUTDIR"' EXIT
export SB_ID=pf$$

# Attribution, on a table and samples made up here: a sample goes to the
# line at or below its address, one outside the functions to its kernel
# symbol.
cat >"$OUTDIR/table.json" <<'JSON'
{"prog_id": 1,
 "funcs": [{"name": "f", "addr": "0xffffffffc0001000", "len": 48},
           {"name": "g", "addr": "0xffffffffc0000800", "len": 16}],
 "lines": [
 {"addr": "0xffffffffc0001000", "func": "f", "file": "a.h", "line": 1, "src": "one"},
 {"addr": "0xffffffffc0001010", "func": "f", "file": "a.h", "line": 2, "src": "two"},
 {"addr": "0xffffffffc0001020", "func": "f", "file": "a.h", "line": 1, "src": "one"},
 {"addr": "0xffffffffc0000800", "func": "g", "file": "b.h", "line": 9, "src": "nine"}]}
JSON
printf '%s\n' "ffffffffc0001000 bpf_prog_x_f" "ffffffffc000100f bpf_prog_x_f" \
	"ffffffffc0001010 bpf_prog_x_f" "ffffffffc0001024 bpf_prog_x_f" \
	"ffffffffc0000804 bpf_prog_x_g" "ffffffff81000000 veth_poll" "ffffffff81000000 veth_poll" \
	"ffffffffc0000700 elsewhere" "ffffffffc0000810 bpf_prog_y_next" \
	"ffffffffc0001030 bpf_prog_z_next" >"$OUTDIR/samples"
python3 "$ROOT/scripts/lib/xdp_profile.py" "$OUTDIR/table.json" --top 10 \
	<"$OUTDIR/samples" >"$OUTDIR/attributed"
ok $? "xdp_profile.py reads a table and samples"
like "$(cat "$OUTDIR/attributed")" "in the program 5 \(50.0%\)" "  5 of 10 samples in the program"
like "$(grep "a.h:1 " "$OUTDIR/attributed")" "60.0% .*a.h:1 +one" \
	"  a line JITed in two places has both places' samples (3 of 5)"
like "$(grep "a.h:2 " "$OUTDIR/attributed")" "20.0% .*a.h:2 +two" "  a sample at a line's first byte is that line's"
like "$(grep "b.h:9 " "$OUTDIR/attributed")" "20.0% .*b.h:9 \[g\] +nine" \
	"  a subprogram's line, with its function"
like "$(grep "veth_poll" "$OUTDIR/attributed")" "20.0% .*veth_poll" "  samples outside go to their symbol"
like "$(grep "elsewhere" "$OUTDIR/attributed")" "10.0% .*elsewhere" "  below the lowest function is outside"
like "$(grep "bpf_prog_y_next" "$OUTDIR/attributed")" "10.0% .*bpf_prog_y_next" \
	"  so is the code packed right after a function"
like "$(grep "bpf_prog_z_next" "$OUTDIR/attributed")" "10.0% .*bpf_prog_z_next" \
	"  and after the last one"

# The real thing.
PROFILE_KEEP=$OUTDIR/keep PROFILE_TOP=15 PROFILE_ANNOTATE=2 timeout 90 "$ROOT/scripts/profile-xdp.sh" "$TG" 1 1 \
	>"$OUTDIR/stdout" 2>"$OUTDIR/stderr"
rc=$?
is "$rc" 0 "scripts/profile-xdp.sh TIDEGATE 1 1 exits 0" || {
	diag "stderr:"
	while IFS= read -r l; do diag "  $l"; done < <(tail -15 "$OUTDIR/stderr")
}
like "$(head -1 "$OUTDIR/stdout")" "^1 source\(s\): the receiver takes [0-9.]+ ns a frame, at [0-9.]+ Mpps$" \
	"  it timed the receiver"
n=$(sed -n 's/.* in the program \([0-9]*\) .*/\1/p' "$OUTDIR/stdout")
between "${n:-0}" 1 100000000 "  samples fell in the program (${n:-none})"
grep -Eq "^ +[0-9.]+% +[0-9.]+ ns +(tidegate\.bpf\.c|front\.h|parse\.h|maps\.h|verdict\.h):[0-9]+ " \
	"$OUTDIR/stdout"
ok $? "  on lines of bpf/, with ns a frame"
grep -q "the 2 heaviest lines' instructions" "$OUTDIR/stdout" &&
	grep -Eq '^ +[0-9]+  ffffffff[0-9a-f]+  [a-z]' "$OUTDIR/stdout"
ok $? "  the heaviest lines' instructions, disassembled, with their samples"
python3 - "$OUTDIR/keep/lines.json" "$ROOT/scripts/lib" <<'PY'
import json, os, sys
sys.path.insert(0, sys.argv[2])
import xdp_profile
image = json.load(open(sys.argv[1]))
lines, funcs = image["lines"], image["funcs"]
addrs = [int(l["addr"], 16) for l in lines]
assert addrs == sorted(addrs), "not in address order"
entry = [l for l in lines if l["func"] == "tidegate_xdp" and l["src"].startswith("int tidegate_xdp(")]
assert entry and entry[0]["file"] == "tidegate.bpf.c", "no entry point line"
assert {"tg_decide", "tidegate_xdp"} <= {l["func"] for l in lines}, "functions missing"
ranges = {f["name"]: (int(f["addr"], 16), int(f["addr"], 16) + f["len"]) for f in funcs}
assert all(ranges[l["func"]][0] <= int(l["addr"], 16) < ranges[l["func"]][1] for l in lines), \
    "a line outside its function"
assert os.path.getsize(image["image"]) == sum(f["len"] for f in funcs), "image size"
# The image's functions in the table's order and at its offsets: every
# line starts an instruction of the disassembly.
starts = {a for a, _ in xdp_profile.disassemble(xdp_profile.Image(sys.argv[1]))}
assert all(int(l["addr"], 16) in starts for l in lines), "a line inside an instruction"
PY
ok $? "  tg-bench lines: in address order, each within its function, the entry point's line," \
	"an image whose instructions start where the lines do"

no_sandbox_left
pgrep -f "perf record.*$OUTDIR" >/dev/null && left=1 || left=0
is "$left" 0 "no perf left running"

out=$("$TGB" lines lo 2>&1)
rc=$?
is "$rc" 1 "tg-bench lines on an interface without tidegate fails"
like "$out" "lines: lo: tidegate is not attached" "  and says why"
out=$("$TGB" lines tg-no-such-if 2>&1)
is "$?" 1 "tg-bench lines on no such interface fails"
like "$out" "lines: tg-no-such-if: No such device" "  and says why"
done_testing
