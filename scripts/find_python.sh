#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter: first on PATH, then in pyenv. Rasa 3.6 runs on
# Python 3.8-3.10 only, and this project pins 3.10.
set -u
wanted="3.10"
works() { "$1" -c 'import sys, venv; sys.exit(0 if "%d.%d" % sys.version_info[:2] == "'"$wanted"'" else 1)' >/dev/null 2>&1; }
for candidate in python3.10 python3 python; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if works "$path"; then echo "$path"; exit 0; fi
done
root=${PYENV_ROOT:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")}
for path in $(ls -d "$root"/versions/"$wanted".*/bin/python 2>/dev/null | sort -V -r); do
  if works "$path"; then echo "$path"; exit 0; fi
done
cat >&2 <<MSG
error: Python $wanted was not found (Rasa 3.6 supports Python 3.8-3.10 only).
Looked on PATH (python3.10, python3, python) and in pyenv ($root/versions/$wanted.*).
Install it with one of:
  pyenv install 3.10.13                      # then run make again
  apt-get install python3.10 python3.10-venv # where your distribution has it
MSG
exit 1
