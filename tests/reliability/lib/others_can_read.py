#!/usr/bin/env python3
"""Lists the files under each ROOT that a user other than the owner and
outside the group could read: the file has o+r and every directory from ROOT
down to it has o+x (ROOT itself is taken as reachable, as /var/lib is).
Symbolic links are not followed. Usage: others_can_read.py ROOT..."""
import os
import stat
import sys


def walk(path, reachable, out):
    try:
        st = os.lstat(path)
    except OSError:
        return
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        inner = reachable and bool(mode & stat.S_IXOTH)
        if not inner:
            return
        try:
            names = os.listdir(path)
        except OSError:
            return
        for name in names:
            walk(os.path.join(path, name), inner, out)
    elif stat.S_ISREG(mode) or stat.S_ISSOCK(mode):
        if reachable and mode & stat.S_IROTH:
            out.append(path)


def main():
    out = []
    for root in sys.argv[1:]:
        walk(root, True, out)
    for p in out:
        print(p)


main()
