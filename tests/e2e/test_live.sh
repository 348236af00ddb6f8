# Live mode: tprof -- PROGRAM and tprof -p PID in a real terminal (tmux).
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
if ! command -v tmux >/dev/null 2>&1; then
    skip "live mode in tmux" "tmux is not installed"
    exit 0
fi
BG=""
tmux_start live
$T set -g history-limit 50000

live() { # run tprof ARGS... in an 80x24 window; the shell then says the status
    $T new-session -d -s v -x 80 -y 24 \
        "cd '$TMP' && env LANG=C.UTF-8 TERM=screen '$TPROF' $*; echo EXIT=\$?; sleep 600"
}
status_samples() { screen | sed -n 2p | sed -n 's/.* \([0-9]*\) samples.*/\1/p'; }

# A live run: the hot function shows up while the program runs.
live -o live.folded -- "$PROGS/hot" 30
wait_for "spin"
check "live: the hot function is on screen within seconds" $? "$(screen | head -12)"
screen | sed -n 2p | grep -q "^running "
check "live: the status line says running, with samples and rate" $? "$(screen | sed -n 2p)"

# Drill in while it runs; the selection stays on its frame across refreshes.
keys j j j j j j
wait_for "work (hot)  self"
keys Enter
wait_for "› main › work"
r=$?
screen | sed -n 2p | grep -q "^running "
check "live: drilling in while the program runs" $((r + $?)) "$(screen | head -4)"
keys j
wait_for "alpha (hot)  self"
s1=$(status_samples)
i=0; while [ $i -lt 50 ] && [ "$(status_samples)" = "$s1" ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.7 # one more refresh
s2=$(status_samples)
screen | grep -q "^alpha (hot)  self" && [ "${s2:-0}" -gt "${s1:-0}" ] && screen | grep -q "› work$"
check "live: selection and zoom stay on their frames as samples arrive ($s1 -> $s2)" $? "$(screen | head -4; screen | tail -9 | head -1)"

# p freezes the display while sampling goes on.
keys p
wait_for "[paused]"
t1=$(screen | grep "^alpha (hot)  self")
sleep 1.2
t2=$(screen | grep "^alpha (hot)  self")
s3=$(status_samples)
sleep 0.7
s4=$(status_samples)
[ -n "$t1" ] && [ "$t1" = "$t2" ] && [ "${s4:-0}" -gt "${s3:-0}" ]
check "p: the tree is frozen while the sample count goes on" $? "'$t1' vs '$t2', $s3 -> $s4"
keys p
wait_for "resumed"

# e asks where (a name offered) and exports the profile so far.
keys e
wait_for "export to (.folded .json .svg .pb.gz): tprof-"
keys Enter
wait_for "exported "
f=$(screen | sed -n 's/.* to \(tprof-[0-9]*-[0-9]*\.folded\) (folded).*/\1/p' | head -1)
[ -n "$f" ] && [ -s "$f" ] && grep -q ";spin " "$f"
check "e: the profile so far is written to a file, and where is said" $? "file '$f': $(screen | tail -1)"
# the name's extension is the format; Ctrl-U clears the name offered
keys e
wait_for "export to (.folded"
keys C-u l i v e . s v g Enter
wait_for "exported "
screen | grep -q "to live.svg (svg)" && grep -q "<title>spin (" live.svg && grep -q "</svg>" live.svg
check "e: a name ending .svg writes an SVG flame graph" $? "$(screen | tail -1)"

# q while the program runs: it is ended (SIGTERM), -o is written, status 143.
keys q
wait_for "EXIT="
screen | grep -q "EXIT=143" && [ -s live.folded ] && ! pgrep -f "$PROGS/hot 30" >/dev/null
check "q ends the running program and leaves with its status (143), -o written" $? "$(screen | grep EXIT)"
$T kill-session -t v

# The program ends first: the header says how, the profile stays, q returns
# the program's status.
live -o end.folded -- "$PROGS/hot" 1 3
wait_for "exited 3" 150
check "when the program exits, the status line says how (exited 3)" $? "$(screen | sed -n 2p)"
keys j j
wait_for "_start (hot)  self"
explored=$? explored_screen=$(screen)
keys q
wait_for "EXIT=3"
check "q leaves with the program's exit status (3)" $? "$(screen | grep EXIT)"
# (judged after q so that a failure can show the stacks written with -o)
check "the final profile stays explorable" $explored \
    "$(printf '%s\n' "$explored_screen" | tail -8 | head -1); screen: $explored_screen; \
end.folded: $(head -c 600 end.folded 2>/dev/null)"
$T kill-session -t v

# A program that prints thousands of lines does not disturb the screen; o
# shows its output; all of it is written through when the viewer closes.
live -- "$PROGS/chatty" 5000 3
wait_for "exited 0" 200
screen | head -22 | grep -q "chatty output"
r=$?
[ $r -ne 0 ] && screen | grep -q "chatter_work"
check "5000 lines of program output do not reach the screen" $? "$(screen | head -6)"
keys o
wait_for "Program output (5500 lines"
r=$?
# Home shows the oldest lines kept, End the newest ("line 5000" or "err
# 5000": the two pipes are read in chunks, so either may come last), and
# paging up from the end reaches stderr rows, marked '!'. Rows are waited
# for (tmux may show a half-drawn redraw).
rows() { # rows KEY: press KEY, wait for program rows, print the screen
    keys "$1"
    i=0
    until screen | grep -Eq 'of chatty output|! err ' || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
    sleep 0.2
    screen
}
home=$(rows Home)
end=$(rows End)
marked=1
echo "$end" | grep -q '^! err ' && marked=0
i=0
while [ $marked -ne 0 ] && [ $i -lt 120 ]; do
    screen | grep -q '^! err ' && marked=0
    keys PPage
    i=$((i + 1))
done
[ $r -eq 0 ] && echo "$home" | grep -Eq 'of chatty output|^! err ' && [ $marked -eq 0 ] &&
    ! echo "$home" | grep -Eq 'line 5000 of|err 5000' && echo "$end" | grep -Eq 'line 5000 of|err 5000'
check "o: the log pane shows the program's output (5500 lines; Home, End, stderr marked '!')" $? "marked=$marked $(echo "$home" | sed -n 4,6p) / $(echo "$end" | tail -4)"
keys End
keys o q q
wait_for "EXIT=0"
n=$($T capture-pane -p -t v -S - -E - | grep -c "of chatty output")
e=$($T capture-pane -p -t v -S - -E - | grep -c "^err [0-9]")
[ "$n" -eq 5000 ] && [ "$e" -eq 500 ]
check "the captured output is written through on exit, nothing lost ($n + $e lines)" $? "$n stdout, $e stderr lines"
$T kill-session -t v

# V5 (issue 11): Tab, a row, o, f, Tab typed at once while the program runs:
# leaving the output pane after the focus must not use the tree built
# before it. The viewer goes on, focused, and q ends it as usual.
live -- "$PROGS/hot" 30
wait_for "spin"
keys Tab End o f Tab
wait_for "[focus "
ok=$?
# with no -o, q asks first; another key forgets it; q q quits
keys q
wait_for "the profile is not saved: e exports it, q again quits"
asked=$?
keys j q
sleep 0.5
screen | grep -q "EXIT=" && asked=1
keys q
wait_for "EXIT=143" && [ $ok -eq 0 ]
check "keys at speed, V5 live Tab End o f Tab: focused, the viewer goes on, q ends it" $? \
    "$(screen | head -3) / $(screen | grep EXIT)"
[ $asked -eq 0 ] &&
    $T capture-pane -pJ -t v -S - -E - | tr -d '\n' |
    grep -q "profile not kept (-o FILE writes it; e in the viewer exports it)"
check "live without -o: q asks before quitting unsaved; the summary says how to keep it" $? \
    "asked=$asked $($T capture-pane -pJ -t v -S - -E - | grep '^tprof:')"
$T kill-session -t v

# --threads chooses the first view: per thread; the export follows what
# is on screen (t: by program).
live --threads -- "$PROGS/hot" 30
wait_for "spin" && screen | grep -q "\[per thread\]" && screen | grep -q "hot-[0-9]*/[0-9]*"
first=$?
keys t e
wait_for "export to (.folded"
keys C-u t h r . f o l d e d Enter
wait_for "exported " && [ $first -eq 0 ] && head -c 4 "$TMP/thr.folded" | grep -q "^hot;"
check "live --threads: per thread first; e exports the roots shown (t: by program)" $? \
    "first=$first $(screen | head -3) $(head -c 100 "$TMP/thr.folded")"
keys q
wait_for "EXIT=143"
$T kill-session -t v

# After an e export, q quits at once. (t first: the roots per process,
# then per thread, then by program again.)
live -- "$PROGS/hot" 30
wait_for "spin"
keys t
wait_for "[per process]" && screen | grep -q "hot-[0-9][0-9]*$" && keys t &&
    wait_for "[per thread]" && screen | grep -q "hot-[0-9]*/[0-9]*" && keys t &&
    wait_for "[by program]"
check "live: t shows the roots per process, per thread, by program" $? "$(screen | head -8)"
keys e
wait_for "export to (.folded"
keys Enter
wait_for "exported "
keys q
wait_for "EXIT=143"
check "live: after an e export, q quits at once" $? "$(screen | tail -4)"
$T kill-session -t v

# Ctrl-C, as in a shell: the program is interrupted (SIGINT: the terminal
# sends it to the program's process group too, tprof sends no second one),
# the viewer stays on the profile; then Ctrl-C is q: it asks (unsaved), q
# quits with the program's status, 130. (The shell around it traps SIGINT
# so that it lives to print the status.)
$T new-session -d -s v -x 80 -y 24 \
    "trap true INT; cd '$TMP' && env LANG=C.UTF-8 TERM=screen '$TPROF' -- '$PROGS/hot' 30; echo EXIT=\$?; sleep 600"
wait_for "spin"
keys C-c
wait_for "killed by SIGINT" &&
    screen | grep -q "Ctrl-C: the program was interrupted (SIGINT); the profile stays, q quits" &&
    screen | grep -q "spin" && ! screen | grep -q "EXIT="
stayed=$?
keys C-c
wait_for "the profile is not saved: e exports it, q again quits"
asked=$?
keys q
wait_for "EXIT=130" && [ $stayed -eq 0 ] && [ $asked -eq 0 ] && ! pgrep -f "$PROGS/hot 30" >/dev/null
check "live: Ctrl-C interrupts the program, the viewer stays; Ctrl-C again asks as q does; status 130" $? \
    "stayed=$stayed asked=$asked $(screen | head -3) / $(screen | tail -2)"
$T kill-session -t v

# A terminal curses cannot drive (TERM=dumb: Emacs shells, some CI ptys):
# the program is recorded without the viewer, said in one line.
$T new-session -d -s v -x 80 -y 24 \
    "cd '$TMP' && env TERM=dumb '$TPROF' -o dumb.folded -- '$PROGS/hot' 0.5 2>dumb.err; echo EXIT=\$?; sleep 600"
wait_for "EXIT="
screen | grep -q "EXIT=0" && grep -q ';spin [0-9]*$' dumb.folded &&
    [ "$(grep -c "terminal type 'dumb' cannot move the cursor: recording without the viewer, as --no-tui" dumb.err)" -eq 1 ]
check "TERM=dumb: recorded without the viewer, said in one line" $? "$(screen | grep EXIT) $(cat dumb.err)"
$T kill-session -t v

# Time: a program whose hot function changes after 3 s, for 12 s more. The
# status line's sparkline shows phase_one's share fall; w shows the last
# 10 seconds only, where phase_one is gone.
$T new-session -d -s v -x 100 -y 30 \
    "cd '$TMP' && env LANG=C.UTF-8 TERM=screen '$TPROF' -o ph.folded -- '$PROGS/phases' 3 12; echo EXIT=\$?; sleep 600"
wait_for "exited 0" 250
keys / p h a s e _ o n e Enter n
wait_for "phase_one (phases)  self"
spark=$(screen | grep "phase_one (phases)  self")
echo "$spark" | grep -q "[▇█].*▁$"
check "live: the sparkline shows the selected frame's share falling (phase_one)" $? "$spark"
keys w
wait_for "[last 10 s]" && screen | grep -q "phase_two" && ! screen | grep -q "phase_one"
check "live: w shows the last 10 seconds only (phase_two, no phase_one)" $? "$(screen | head -24)"
keys w
wait_for "the whole run (w: the last 10 seconds)" && screen | grep -q "phase_one"
check "live: w again shows the whole run" $? "$(screen | head -24)"
keys q
wait_for "EXIT=0"
$T kill-session -t v

# Attach: -p shows a running process live; q detaches and it runs on.
"$PROGS/hot" 60 >/dev/null &
BG=$!
sleep 0.3
live -p $BG
wait_for "spin"
check "-p: a running process is shown live" $? "$(screen | head -10)"
keys q q
wait_for "EXIT=0"
check "-p: q leaves with status 0" $? "$(screen | grep EXIT)"
state=$(sed 's/.*) //' /proc/$BG/stat | cut -c1)
tracer=$(awk '/TracerPid/ {print $2}' /proc/$BG/status)
kill -0 $BG 2>/dev/null && [ "$state" != "T" ] && [ "$state" != "t" ] && [ "$tracer" = 0 ]
check "-p: after q the process runs on, neither stopped nor traced (state $state)" $? "state=$state tracer=$tracer"
$T kill-session -t v

# Attach headless: every thread, ended by --duration; the process runs on.
"$PROGS/threads" 20 &
TH=$!
sleep 0.3
"$TPROF" -p $TH --duration 1 -o attach.folded </dev/null >/dev/null 2>err.txt
rc=$?
[ $rc -eq 0 ] && grep -q "^threads;clone3;start_thread;run_one;worker_one" attach.folded &&
    grep -q "^threads;_start;.*;main;main_loop" attach.folded && kill -0 $TH
check "-p headless: all existing threads sampled, --duration ends it, process runs on" $? "rc=$rc $(cat err.txt) $(head -3 attach.folded)"
kill $TH 2>/dev/null
kill $BG 2>/dev/null
BG=""

# Threads and children created after the attach are followed.
"$PROGS/latefork" 0.8 1.5 &
LF=$!
sleep 0.2
"$TPROF" -p $LF -o late.folded </dev/null >/dev/null 2>err.txt
rc=$?
[ $rc -eq 0 ] && grep -q ";late_thread_work" late.folded && grep -q ";late_child_work" late.folded
check "-p: a thread and a child created after the attach are sampled" $? "rc=$rc $(cat err.txt) $(cat late.folded)"
wait $LF 2>/dev/null

"$TPROF" -p 999999 -o x.folded </dev/null 2>err.txt
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "no process 999999" err.txt
check "-p of a process that does not exist: one line, exit 1" $? "rc=$rc $(cat err.txt)"
"$TPROF" -p 12,abc 2>err.txt
rc=$?
[ $rc -eq 2 ] && grep -q "invalid process id 'abc'" err.txt
check "-p with a bad id: usage error" $? "rc=$rc $(cat err.txt)"
