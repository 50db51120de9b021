#!/usr/bin/env bash
# hostile.sh: try corpushunt as a hostile user would and print a table of cases.
#
#   bash bench/reliability/hostile.sh [WORKDIR]
#
# Builds bin/corpushunt, makes its own data (a labelled image folder, a text file, vectors),
# then: corrupts and truncates every file of saved indexes; kills `index`, `add` and
# `train` (images and text) with SIGKILL, SIGINT and SIGTERM at many points; runs
# concurrent writers and readers; passes bad flags and inputs. A case passes when nothing
# is lost (the index opens with the old or the new count; the user's files are intact),
# nothing panics, and a bad input is refused with a message. Exit status 1 if any case
# fails. Takes about 3 minutes on 2 cores.
set -uo pipefail
cd "$(dirname "$0")/../.."
export GOMLX_NO_AUTO_INSTALL=1 CORPUSHUNT_QUIET=1
W=${1:-$(mktemp -d /tmp/corpushunt-hostile.XXXXXX)}
mkdir -p "$W"
BIN=$W/corpushunt
go build -o "$BIN" ./cmd/corpushunt || exit 1
go run ./bench/reliability/mkdata "$W/data" || exit 1

pass=0 fail=0
declare -A group_pass group_fail
result() { # group case ok(0/1) detail
	if [ "$3" = 0 ]; then
		pass=$((pass + 1)); group_pass[$1]=$((${group_pass[$1]:-0} + 1))
	else
		fail=$((fail + 1)); group_fail[$1]=$((${group_fail[$1]:-0} + 1))
		echo "FAIL [$1] $2: $4"
	fi
}
count() { # index dir → item count, or "ERR"
	"$BIN" query --index "$1" --item 0 -k 1 --json >/dev/null 2>"$W/count.err" || { echo ERR; return; }
	python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['count'])" "$1/manifest.json"
}
nopanic() { ! grep -q -e "panic:" -e "goroutine " "$1"; }

# --- 1. Corrupted and truncated index files --------------------------------------------
"$BIN" index --images "$W/data/shapes" --out "$W/ix-img" >/dev/null 2>&1
"$BIN" index --text "$W/data/lines.txt" --out "$W/ix-txt" >/dev/null 2>&1
for ix in ix-img ix-txt; do
	for role in index items vectors asset:bow.json; do
		name=$(python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(m['files'].get(sys.argv[2],{}).get('name',''))" "$W/$ix/manifest.json" "$role")
		[ -n "$name" ] || continue
		for how in flip truncate empty; do
			cp -r "$W/$ix" "$W/c"
			f="$W/c/$name"
			case $how in
			flip) python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=0xff; open(p,'wb').write(b)" "$f" ;;
			truncate) python3 -c "import os,sys; p=sys.argv[1]; os.truncate(p, os.path.getsize(p)//2)" "$f" ;;
			empty) : >"$f" ;;
			esac
			out=$("$BIN" query --index "$W/c" --item 0 -k 3 2>&1)
			st=$?
			ok=1
			[ $st -ne 0 ] && echo "$out" | grep -q "$name" && nopanic <(echo "$out") && ok=0
			result corrupt "$ix $role $how" $ok "exit $st: $out"
			rm -rf "$W/c"
		done
	done
	for field in dim metric nprobe name; do
		cp -r "$W/$ix" "$W/c"
		python3 - "$W/c/manifest.json" "$field" <<'EOF'
import json, sys
p, f = sys.argv[1], sys.argv[2]
m = json.load(open(p))
if f == "dim": m["dim"] += 1
if f == "metric": m["metric"] = "cos" if m["metric"] == "l2" else "l2"
if f == "nprobe": m["nprobe"] = 7
if f == "name": m["files"]["items"]["name"] = "../../etc/passwd"
json.dump(m, open(p, "w"))
EOF
		out=$("$BIN" query --index "$W/c" --item 0 -k 3 2>&1)
		st=$?
		ok=1
		[ $st -ne 0 ] && nopanic <(echo "$out") && ok=0
		result manifest "$ix edited $field" $ok "exit $st: $out"
		rm -rf "$W/c"
	done
done

# --- 2. Kills during index, add and train ----------------------------------------------
killpoints="0.05 0.1 0.2 0.3 0.5 0.8 1.2 2"
for sig in KILL INT TERM; do
	for t in $killpoints; do
		for kind in img txt; do
			src=(--images "$W/data/shapes"); [ $kind = txt ] && src=(--text "$W/data/lines.txt")
			ix="$W/k-$kind"
			rm -rf "$ix"
			"$BIN" index "${src[@]}" --out "$ix" >/dev/null 2>&1
			before=$(count "$ix")
			"$BIN" add --index "$ix" "${src[@]}" >/dev/null 2>&1 &
			pid=$!
			sleep "$t"
			kill -s $sig $pid 2>/dev/null
			wait $pid 2>/dev/null
			after=$(count "$ix")
			ok=1
			[ "$after" = "$before" ] || [ "$after" = $((before * 2)) ] && ok=0
			result kill-add "$kind SIG$sig after ${t}s" $ok "count $before → $after ($(cat "$W/count.err"))"
			# the next writer works
			"$BIN" add --index "$ix" "${src[@]}" >/dev/null 2>&1
			result kill-add "$kind SIG$sig after ${t}s: next add" $? "next add failed"
			# re-index killed: the previous index stays
			"$BIN" index "${src[@]}" --out "$ix" >/dev/null 2>&1 &
			pid=$!
			sleep "$t"
			kill -s $sig $pid 2>/dev/null
			wait $pid 2>/dev/null
			after=$(count "$ix")
			ok=1
			[ "$after" != ERR ] && ok=0
			result kill-index "$kind SIG$sig after ${t}s" $ok "index no longer opens: $(cat "$W/count.err")"
		done
	done
done
for t in 0.3 1 2 4; do
	m="$W/model-$t"
	rm -rf "$m"
	"$BIN" train --images "$W/data/shapes" --model small --size 16x16 --epochs 300 --out "$m" >/dev/null 2>&1 &
	pid=$!
	sleep "$t"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	out=$("$BIN" train --images "$W/data/shapes" --model small --size 16x16 --epochs 1 --resume --out "$m" 2>&1)
	st=$?
	ok=$st
	if [ $st = 0 ]; then
		python3 - "$m/history.jsonl" <<'EOF' || ok=1
import json, sys
steps = [json.loads(l)["step"] for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if all(a < b for a, b in zip(steps, steps[1:])) else 1)
EOF
	fi
	result kill-train "images SIGKILL after ${t}s, then --resume" $ok "$out"
done

# --- 3. Concurrent writers and readers ---------------------------------------------------
for trial in 1 2 3 4 5 6 7 8; do
	ix="$W/conc"
	rm -rf "$ix"
	"$BIN" index --images "$W/data/shapes" --out "$ix" >/dev/null 2>&1
	before=$(count "$ix")
	"$BIN" add --index "$ix" --images "$W/data/shapes" >"$W/a.out" 2>&1 &
	p1=$!
	"$BIN" add --index "$ix" --images "$W/data/shapes" >"$W/b.out" 2>&1 &
	p2=$!
	readerr=0
	for _ in 1 2 3 4 5 6; do "$BIN" query --index "$ix" --item 1 -k 3 >/dev/null 2>>"$W/r.err" || readerr=$((readerr + 1)); done
	wait $p1; s1=$?
	wait $p2; s2=$?
	n=$((before * (1 + (s1 == 0) + (s2 == 0))))
	after=$(count "$ix")
	ok=1
	[ "$after" = "$n" ] && [ $readerr = 0 ] && { [ $s1 = 0 ] || grep -q "index busy" "$W/a.out"; } && { [ $s2 = 0 ] || grep -q "index busy" "$W/b.out"; } && ok=0
	result concurrent "two adds and six reads, trial $trial" $ok "exits $s1 $s2, count $after want $n, read errors $readerr"
done

# --- 4. --out never deletes a user's files ------------------------------------------------
d="$W/userdir"
rm -rf "$d"; mkdir -p "$d"
for f in index-of-my-photos.html items-todo.txt vectors-notes.md thesis.tmp keep.txt index-1.faiss; do echo "$f" >"$d/$f"; done
"$BIN" index --images "$W/data/shapes" --out "$d" >/dev/null 2>&1
result user-files "--out into a folder of other files is refused" $((! $?)) "exit 0"
for i in 1 2 3; do "$BIN" index --images "$W/data/shapes" --into-existing --out "$d" >/dev/null 2>&1; "$BIN" add --index "$d" --images "$W/data/shapes" >/dev/null 2>&1; done
ok=0
for f in index-of-my-photos.html items-todo.txt vectors-notes.md thesis.tmp keep.txt index-1.faiss; do [ "$(cat "$d/$f" 2>/dev/null)" = "$f" ] || ok=1; done
result user-files "three re-indexes and adds beside the user's files keep them" $ok "a user file changed or went"

# --- 5. Bad flags and inputs ---------------------------------------------------------------
bad() { # group description expected-substring args...
	local g=$1 desc=$2 want=$3
	shift 3
	out=$("$BIN" "$@" 2>&1)
	st=$?
	ok=1
	[ $st -ne 0 ] && echo "$out" | grep -qF -- "$want" && nopanic <(echo "$out") && ok=0
	result "$g" "$desc" $ok "exit $st: $out"
}
bad flags "--item -1" "row id" query --index "$W/ix-img" --item -1
bad flags "-k huge" "want 1 to" query --index "$W/ix-img" --item 1 -k 9223372036854775807
bad flags "--limit -5" "--limit -5" index --images "$W/data/shapes" --limit -5 --out "$W/x1"
bad flags "train --epochs 0" "--epochs" train --images "$W/data/shapes" --epochs 0 --out "$W/x2"
bad flags "tune --queries -1" "queries" tune --index "$W/ix-img" --queries -1
bad flags "eval -k beyond the index" "the index holds" eval --index "$W/ix-img" --self 10 -k 1000
bad flags "eval on the indexed items" "indexed items themselves" eval --index "$W/ix-img" --queries "$W/data/shapes"
bad flags "--data /nonexistent" "/nonexistent" index --data /nonexistent --dataset cifar10 --out "$W/x3"
bad flags "unknown --factory" "factory" index --images "$W/data/shapes" --factory IVFnope --out "$W/x4"
bad flags "unknown --metric" "metric" index --images "$W/data/shapes" --metric manhattan --out "$W/x5"
bad inputs "corrupt image" "broken.png" index --images "$W/data/bad-images" --out "$W/x6"
bad inputs "huge PNG header as a query" "20000" query --index "$W/ix-img" --image "$W/data/huge.png"
bad inputs "text query of unknown words" "none of the query's words" query --index "$W/ix-txt" --text "zebra quokka"
bad inputs "invalid UTF-8 in a text file" "UTF-8" index --text "$W/data/bad-utf8.txt" --out "$W/x7"
bad inputs "ragged vectors CSV" "row" index --vectors "$W/data/ragged.csv" --out "$W/x8"
bad inputs "NaN in vectors" "NaN" index --vectors "$W/data/nan.csv" --out "$W/x9"
bad inputs "CSV without --text-column" "text-column" index --text "$W/data/tickets.csv" --out "$W/x10"
"$BIN" index --images "$W/data/bad-images" --skip-bad --out "$W/x11" >"$W/skip.out" 2>&1
grep -q "skipped 1 bad images" "$W/skip.out"
result inputs "--skip-bad counts what it skipped" $? "$(cat "$W/skip.out")"

echo
printf "%-12s %6s %6s\n" group passed failed
for g in $(printf "%s\n" "${!group_pass[@]}" "${!group_fail[@]}" | sort -u); do
	printf "%-12s %6d %6d\n" "$g" "${group_pass[$g]:-0}" "${group_fail[$g]:-0}"
done
printf "%-12s %6d %6d\n" ALL $pass $fail
[ $fail = 0 ]
