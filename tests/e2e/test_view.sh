# tprof view in a real terminal: tmux runs it, send-keys types, capture-pane
# reads the screen (tmux's own regress/ style). A private tmux server.
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1
if ! command -v tmux >/dev/null 2>&1; then
    skip "tprof view in tmux" "tmux is not installed"
    exit 0
fi
tmux_start view

cp "$ROOT/tests/e2e/fixtures/small.folded" p.folded

# session ENV...: tprof view p.folded in a new 80x24 window with ENV; the
# shell then prints the exit status and the terminal modes
session() {
    $T new-session -d -s v -x 80 -y 24 \
        "env $* '$TPROF' view p.folded; echo EXIT=\$?; stty -a; sleep 60"
    wait_for "[icicle]"
}

# A UTF-8 terminal, 80x24; after the viewer, the shell reports the exit
# status and whether the terminal modes came back.
session LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen
check "view opens: icicle, header, status and table" $? "$(screen)"
screen | grep -q "^▏all" && screen | grep -q "^▏parse .*▏eval .*▏in…" && wait_for " 40.00%    40.00%          40         40  lex"
check "frames are as wide as their share, labels cut with an ellipsis" $? "$(screen)"

keys j j j
wait_for "parse  self 10  total 50  50.00% of all  50.00% of zoom"
check "arrows/vim keys move the selection (j: heaviest child)" $? "$(screen | tail -12)"
keys l
wait_for "eval  self 15  total 45"
check "l: next sibling" $? "$(screen | tail -12)"
keys Enter
wait_for "all › prog › main › eval"
check "Enter zooms in; the breadcrumb shows the path" $? "$(screen | head -3)"
keys BSpace
wait_for "all › prog › main"
screen | sed -n 2p | grep -qv "eval"
check "Backspace zooms out one level" $? "$(screen | head -3)"

keys / l . x Enter
wait_for "/l.x: 40 samples, 40.00% of all, 40.00% of zoomed"
check "/ search: samples and percentages of all and of the zoom" $? "$(screen | tail -2)"
keys n
wait_for "lex  self 40"
check "n jumps to the next match" $? "$(screen | tail -10)"

keys f
wait_for "[focus lex]"
check "f focuses on the selected function; the transform shows" $? "$(screen | head -2)"
keys i
wait_for "[focus lex] [invert]"
check "i inverts; transforms stack up" $? "$(screen | head -2)"
keys u u
wait_for "? help"
screen | head -1 | grep -qv "focus"
check "u undoes transforms" $? "$(screen | head -2)"

keys Tab
wait_for "[tree]"
check "Tab: tree view" $? "$(screen | head -5)"
keys Tab
wait_for "[top]"
check "Tab: top table" $? "$(screen | head -5)"
keys Tab
wait_for "Callers and callees of"
check "Tab: callers/callees" $? "$(screen | head -5)"
keys Tab
wait_for "[icicle]"

keys ?
wait_for "tprof keys (any key closes this)"
check "? lists every key" $? "$(screen | head -3)"
keys Space
wait_for "[icicle]"

$T resize-window -t v -x 120 -y 40
wait_for "$(printf '%*s' 1 '')100 samples"
w=$(screen | head -1 | awk '{print length($0)}')
[ "${w:-0}" -ge 110 ]
check "resizing redraws at the new size (header $w columns)" $? "$(screen | head -1)"

keys q
wait_for "EXIT=0"
check "q quits with status 0" $? "$(screen | tail -5)"
wait_for "icanon" # stty -a runs after the echo: wait for it too
screen | grep -q -- " icanon" && screen | grep -q -- " echo "
check "the terminal is restored (icanon, echo)" $? "$(screen | grep -o -- '.icanon\|.echo ' | head)"
$T kill-session -t v

# A plain terminal: no UTF-8, no colours.
session LANG=C LC_ALL=C NO_COLOR=1 TERM=screen
screen | grep -q "^|all" && screen | grep -q "|in~"
check "ASCII terminal: '|' borders and '~' for cut labels" $? "$(screen | head -8)"
keys q
wait_for "EXIT=0"
$T kill-session -t v

# A signal ends the viewer cleanly: terminal restored, 128+N.
session LANG=C.UTF-8 TERM=screen
pkill -TERM -f "$TPROF view p.folded"
wait_for "EXIT=143"
r=$?
wait_for "icanon"
screen | grep -q -- " icanon" && [ $r -eq 0 ]
check "SIGTERM: the viewer exits 143 with the terminal restored" $? "$(screen | tail -4)"
$T kill-session -t v

# A crash (SIGSEGV) still leaves the terminal usable: the handler restores
# it, then the signal kills the viewer as it would have.
session LANG=C.UTF-8 TERM=screen
pkill -SEGV -f "$TPROF view p.folded"
wait_for "EXIT=139"
r=$?
wait_for "icanon"
screen | grep -q -- " icanon" && [ $r -eq 0 ]
check "SIGSEGV: the terminal is restored before the crash is reported (139)" $? "$(screen | tail -4)"
$T kill-session -t v

# The profile from standard input; keys still come from the terminal.
$T new-session -d -s v -x 80 -y 24 \
    "cat p.folded | env LANG=C.UTF-8 TERM=screen '$TPROF' view -; echo EXIT=\$?; sleep 60"
wait_for "standard input"
check "view - reads the profile from stdin" $? "$(screen | head -2)"
keys j Enter
wait_for "all › prog"
check "keys work while the profile came from stdin" $? "$(screen | head -2)"
keys q
wait_for "EXIT=0"
$T kill-session -t v

# A pprof file keeps a root per thread: shown by program first, t cycles.
printf 'srv-10/11;main;a 2\nsrv-10/12;main;b 3\nsrv-20/20;main;a 5\n' >thr.folded
"$TPROF" convert thr.folded -o thr.pb.gz 2>/dev/null
$T new-session -d -s v -x 80 -y 24 \
    "env LANG=C.UTF-8 TERM=screen '$TPROF' view thr.pb.gz; echo EXIT=\$?; sleep 60"
wait_for "[by program]" && screen | grep -q "^▏srv *$" && keys t && wait_for "[per process]" &&
    screen | grep -q "^▏srv-10 .*▏srv-20" && keys t && wait_for "[per thread]"
check "view of a pprof file: roots by program, t per process, per thread" $? "$(screen | head -6)"
keys q
wait_for "EXIT=0"
$T kill-session -t v

# Mouse: a click (an xterm SGR mouse report, press then release, as
# Debian's xterm terminfo expects) selects the frame under it, a double
# click zooms.
session LANG=C.UTF-8 TERM=xterm
click() { # column, row (0-based)
    keys -l "$(printf '\033[<0;%d;%dM' $(($1 + 1)) $(($2 + 1)))"
    keys -l "$(printf '\033[<0;%d;%dm' $(($1 + 1)) $(($2 + 1)))"
}
click 50 5
if wait_for "eval  self 15"; then
    pass "mouse: a click selects the frame under it"
    click 50 5; click 50 5
    wait_for "all › prog › main › eval"
    check "mouse: a double click zooms" $? "$(screen | head -3)"
else
    fail "mouse: a click selects the frame under it" "$(screen | tail -12)"
fi
keys q
wait_for "EXIT=0"
$T kill-session -t v

# Errors: one line, non-zero, no terminal left in a state.
"$TPROF" view nothere.folded 2>err.txt </dev/null
rc=$?; [ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "cannot open 'nothere.folded'" err.txt
check "view of a missing file: one line, exit 1" $? "rc=$rc $(cat err.txt)"
"$TPROF" view "$TMP" 2>err.txt </dev/null
rc=$?; [ $rc -eq 1 ] && grep -q "Is a directory" err.txt
check "view of a directory: one line, exit 1" $? "rc=$rc $(cat err.txt)"
printf 'nothing here\n\n' >bad.folded
"$TPROF" view bad.folded 2>err.txt </dev/null
rc=$?; [ $rc -eq 1 ] && grep -q "no stacks in 'bad.folded'" err.txt
check "view of a file with no valid line: one line, exit 1" $? "rc=$rc $(cat err.txt)"
setsid "$TPROF" view p.folded </dev/null >out.txt 2>err.txt
rc=$?; [ $rc -eq 1 ] && grep -q "no terminal" err.txt
check "view with no terminal: says so, exit 1" $? "rc=$rc $(cat err.txt)"

# Not a profile: an executable, /dev/zero (once read until out of memory).
for f in /dev/zero /bin/ls; do
    timeout -k 5 60 "$TPROF" view "$f" 2>err.txt </dev/null
    rc=$?; [ $rc -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "is binary data (a NUL byte at offset [0-9]*), none of the formats tprof reads" err.txt
    check "view $f: not a profile, one line, exit 1" $? "rc=$rc $(head -c 200 err.txt)"
done

# A terminal that cannot move the cursor: an error, not a blank screen.
$T new-session -d -s v -x 80 -y 24 "env TERM=dumb '$TPROF' view p.folded; echo EXIT=\$?; sleep 60"
wait_for "EXIT="
screen | grep -q "terminal type 'dumb' cannot move the cursor" && screen | grep -q "EXIT=1"
check "TERM=dumb: one clear line, exit 1" $? "$(screen | head -5)"
$T kill-session -t v

# Keys faster than the views (issue 11, V1-V5): each sequence is typed in
# one send-keys, so it arrives before the deferred work it races with. The
# viewer must survive, act on the right frame, and say what it did. (Run
# with the sanitizer build too: make check runs the suite with both.)
race() {
    name=$1 want=$2; shift 2
    $T new-session -d -s v -x 80 -y 24 \
        "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen '$TPROF' view p.folded; echo EXIT=\$?; sleep 60"
    wait_for "[icicle]"
    while [ $# -gt 0 ]; do
        if [ "$1" = wait ]; then sleep 0.5; else keys $1; fi
        shift
    done
    wait_for "$want" 30
    ok=$?
    keys q
    wait_for "EXIT=0" 30 && [ $ok -eq 0 ]
    check "keys at speed, $name: $want" $? "$(screen | head -4) / $(screen | tail -3)"
    $T kill-session -t v
}
race "V1 i j S-Tab (wait) u" "Callers and callees of lex" "i j BTab" wait u
race "V2 j S-Tab f" "[focus prog]" "j BTab f"
race "V3 Tab Tab f" "[focus lex]" "Tab Tab f"
race "V4 Tab Tab (wait) f f" "[focus lex] [focus lex]" "Tab Tab" wait "f f"
