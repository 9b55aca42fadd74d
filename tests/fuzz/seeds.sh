# The seed corpus of each fuzz target: sourced, never run (by
# tests/fuzz/run.sh and tests/e2e/fuzz-regressions.sh). fuzz_seeds NAME
# prints the folders and files that seed fuzz-NAME, regressions last.
fuzz_seeds() {
	case $1 in
	fuzz-decode)	echo fixtures/reports fixtures/mail/*.json* ;;
	fuzz-report)	echo fixtures/reports fixtures/mail/*.json ;;
	fuzz-mail)	echo fixtures/mail fixtures/mail-bad ;;
	fuzz-config)	echo fixtures/fuzz/config ;;
	fuzz-http)	echo fixtures/fuzz/http ;;
	fuzz-pipeline)	echo fixtures/reports fixtures/mail fixtures/mail-bad ;;
	esac
	r=fixtures/fuzz/regressions/${1#fuzz-}
	[ -d "$r" ] && echo "$r"
	return 0
}
