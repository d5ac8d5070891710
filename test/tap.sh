#!/bin/sh
# prove(1)'s --exec helper: runs one test file the way its kind needs,
# printing TAP.
case $1 in
*.bats) exec bats --tap "$1" ;;
*.sh) exec sh "$1" ;;
*) exec "$1" ;;
esac
