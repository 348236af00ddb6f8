# Every option tprof --help lists is documented in the man page and README.
. "$(dirname "$0")/lib.sh"

opts=$("$TPROF" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
[ -n "$opts" ]
check "--help lists options" $? "none found"
missing=""
for o in $opts; do
    esc=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
    grep -q -- "$esc" "$ROOT/man/tprof.1" || missing="$missing man:$o"
    grep -q -- "$o" "$ROOT/README.md" || missing="$missing README:$o"
done
[ -z "$missing" ]
check "every --help option is in man/tprof.1 and README.md" $? "missing:$missing"
if command -v man >/dev/null 2>&1; then
    man -l "$ROOT/man/tprof.1" >/dev/null 2>"$TMP/man.err" && [ ! -s "$TMP/man.err" ]
    check "the man page renders without warnings" $? "$(head -2 "$TMP/man.err")"
else
    skip "the man page renders" "man is not installed"
fi
