. tests/live/env.sh
live_start
run_live good good.test
cat $T/good.rc $T/good.err; cat $T/good.json | head -150
cat $T/dns/nsd.log | tail -5
