# python.sh: python3 without a version manager's shim (sourced by
# tests/run.sh and tap.sh; POSIX sh).  pyenv's shims/python3 is a shell
# script that runs `pyenv exec` on every call: ~0.5 s each on the 2-core
# test machine, against ~0.08 s for the interpreter itself, and the shell
# tests start python3 hundreds of times.  When python3 is such a script,
# put the directory of the interpreter it runs first in PATH (what
# `pyenv exec` does on every call): the same python, resolved once.
_ew_py=$(command -v python3 2>/dev/null) &&
	[ "$(head -c 2 "$_ew_py" 2>/dev/null)" = "#!" ] &&
	_ew_py=$(python3 -c 'import os, sys; print(os.path.dirname(sys.executable))' 2>/dev/null) &&
	[ -x "$_ew_py/python3" ] && [ "$(head -c 2 "$_ew_py/python3")" != "#!" ] &&
	PATH=$_ew_py:$PATH && export PATH
unset _ew_py
