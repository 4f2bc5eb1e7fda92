#!/bin/sh
# The project's tests: exit 0 when calc.sh adds correctly.
got=$(sh calc.sh 2 3)
if [ "$got" = "5" ]; then echo "PASS: 2 + 3 = $got"; else echo "FAIL: 2 + 3 gave $got, want 5"; exit 1; fi
