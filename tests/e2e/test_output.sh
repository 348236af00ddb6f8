# -o never destroys what is at the path, and a path that cannot be written
# is refused before the program runs (issue 11: R6, R7). See atomicfile.c
# for what happens to each kind of path.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1

# ----- R6: the output path is checked before the program runs -----
# (the program would leave a marker behind: it must never start)
noexec_check() {
    name=$1 out=$2 want=$3
    rm -f marker
    "$TPROF" -q -o "$out" -- sh -c 'touch marker' >/dev/null 2>"$name.err"
    rc=$?
    [ $rc -eq 1 ] && [ ! -e marker ] && [ "$(wc -l <"$name.err")" -eq 1 ] && grep -q "$want" "$name.err"
    check "R6 $name: refused before the program starts, one line" $? "rc=$rc marker=$([ -e marker ] && echo yes) $(cat "$name.err")"
}
noexec_check missing-dir "$TMP/no/such/dir/x.folded" 'No such file or directory'
mkdir adir
noexec_check directory "$TMP/adir" 'Is a directory'
echo "keep me" >ro.folded
chmod 444 ro.folded
noexec_check read-only "$TMP/ro.folded" 'read-only'
[ "$(cat ro.folded)" = "keep me" ]
check "R7 read-only: the file is left as it was" $? "$(head -c 80 ro.folded)"
mkfifo nofifo
noexec_check fifo-without-reader "$TMP/nofifo" 'no process is reading'

# ----- R7: what is at the path is written through, never replaced -----
if mknod dev.null c 1 3 2>/dev/null; then
    "$TPROF" -q -o "$TMP/dev.null" -- "$PROGS/hot" 0.2 >/dev/null 2>dn.err
    rc=$?
    [ $rc -eq 0 ] && [ -c dev.null ] && [ ! -s dev.null ]
    check "R7: -o a character device (a private /dev/null) writes to it, it stays a device" $? \
        "rc=$rc $(ls -l dev.null) $(cat dn.err)"
else
    skip "R7 character device" "mknod not permitted here"
fi

echo "old" >real.folded
ln -s real.folded link.folded
"$TPROF" -q -o "$TMP/link.folded" -- "$PROGS/hot" 0.2 >/dev/null 2>ln.err
rc=$?
[ $rc -eq 0 ] && [ -L link.folded ] && [ "$(readlink link.folded)" = real.folded ] &&
    grep -q 'spin [0-9]*$' real.folded
check "R7: -o a symlink writes its target, the link stays" $? "rc=$rc $(ls -l link.folded real.folded) $(cat ln.err)"

"$TPROF" -q -o - -- "$PROGS/hot" 0.2 >dash.out 2>dash.err
rc=$?
[ $rc -eq 0 ] && [ ! -e ./- ] && grep -q '^hot;.*spin [0-9]*$' dash.out
check "R7: -o - writes the profile to standard output" $? "rc=$rc $(head -c 200 dash.out) $(cat dash.err)"

# the program's own standard output stays out of the profile: a program
# printing "word N" lines (a frame "word" with N samples, read as folded)
cat >words.sh <<'EOF'
#!/bin/sh
i=0
while [ $i -lt 200 ]; do echo "word $i"; i=$((i + 1)); done
end=$(($(date +%s) + 1))
while [ "$(date +%s)" -lt $end ]; do :; done
EOF
chmod +x words.sh
"$TPROF" -o - -- ./words.sh >wdash.out 2>wdash.err
rc=$?
[ $rc -eq 0 ] && ! grep -q '^word [0-9]' wdash.out && grep -q '^words.sh;' wdash.out &&
    [ "$(grep -c '^word [0-9]*$' wdash.err)" -eq 200 ] &&
    [ "$(grep -c "program's standard output goes to standard error" wdash.err)" -eq 1 ] &&
    "$TPROF" report --top 1 wdash.out >/dev/null 2>&1
check "R7: -o -: the program's stdout goes to stderr (said once), never into the profile" $? \
    "rc=$rc $(grep -c '^word [0-9]' wdash.out) word lines in the profile; $(head -c 300 wdash.err)"

# /dev/stdout as a private link of the same kind (a version with this bug
# would replace the system's own /dev/stdout: it once did, here)
ln -s /proc/self/fd/1 my-stdout
"$TPROF" -q -o "$TMP/my-stdout" -- "$PROGS/hot" 0.2 2>stdout.err | cat >stdout.out
[ "${PIPESTATUS:-0}" = 0 ] && grep -q '^hot;.*spin [0-9]*$' stdout.out && [ -L my-stdout ]
check "R7: -o a link to /proc/self/fd/1 (as /dev/stdout) into a pipe prints the profile" $? \
    "$(head -c 200 stdout.out) $(cat stdout.err)"

mkfifo rfifo
cat rfifo >fifo.out &
CATPID=$!
# (a reader must have the FIFO open before tprof looks for one)
i=0
until ls -l /proc/$CATPID/fd 2>/dev/null | grep -q rfifo || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
"$TPROF" -q -o "$TMP/rfifo" -- "$PROGS/hot" 0.2 >/dev/null 2>rf.err
rc=$?
[ $rc -ne 0 ] && kill $CATPID 2>/dev/null
wait $CATPID
[ $rc -eq 0 ] && [ -p rfifo ] && grep -q 'spin [0-9]*$' fifo.out
check "R7: -o a FIFO with a reader streams into it, the FIFO stays" $? "rc=$rc $(cat rf.err)"

echo "before" >keep.folded
chmod 640 keep.folded
"$TPROF" -q -o "$TMP/keep.folded" -- "$PROGS/hot" 0.2 >/dev/null 2>keep.err
[ "$(stat -c %a keep.folded)" = 640 ] && grep -q 'spin [0-9]*$' keep.folded &&
    [ -z "$(ls | grep '\.tmp\.')" ]
check "R7: a regular file is replaced atomically, its mode kept, no temporary left" $? \
    "$(ls -l keep.folded) $(ls) $(cat keep.err)"

# While recording, no temporary sits next to the output (it is made when
# the profile is written; a killed tprof leaves nothing behind).
mkdir during && cd during || exit 1
"$TPROF" -q -o "$TMP/during/d.folded" -- "$PROGS/hot" 1.5 >/dev/null 2>&1 &
REC=$!
sleep 0.7
mid=$(ls)
exec 3>&2 2>/dev/null # (no "Killed" note from the shell)
kill -KILL $REC
wait $REC
exec 2>&3 3>&-
pkill -f "$PROGS/hot 1.5" 2>/dev/null # (the program outlives a SIGKILLed tprof on perf)
[ -z "$mid" ] && [ -z "$(ls)" ]
check "-o: no temporary file while recording, none after tprof is killed" $? "during: '$mid', after: '$(ls)'"
cd "$TMP" || exit 1
