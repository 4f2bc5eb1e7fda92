#!/bin/sh
# usage: calc.sh A B   prints A + B
echo $(( $1 - $2 ))
