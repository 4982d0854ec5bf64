#!/usr/bin/env python3
"""
The structure drawn from the code's includes: which component's files
include which component's headers.  A component is a folder of src/ (its
private headers stay inside it); a public header include/kiln/X.h belongs
to the component that implements it (HEADER_OWNER).

  scripts/layers.py            prints the edges, one "from -> to" a line
  scripts/layers.py --dot      the same as a Graphviz digraph
  scripts/layers.py --check    exits 1, naming each edge, when a lower
                               layer reaches up (LOWER -> UPPER below)
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')

HEADER_OWNER = {
    'job.h': 'base', 'config.h': 'base',
    'msg.h': 'proc', 'proc.h': 'proc',
    'util.h': 'util', 'error.h': 'util',
    'policy.h': 'sandbox', 'sandbox.h': 'sandbox',
}

# No arrow may go from a component on the left to one on the right.
LOWER = ['util', 'base', 'proc', 'store', 'sched', 'gpu', 'obs', 'cgroup']
UPPER = ['core', 'kilnd', 'api', 'sandbox']

INCLUDE = re.compile(r'^\s*#\s*include\s+"kiln/([a-z_]+\.h)"', re.M)


def owner(header):
    return HEADER_OWNER.get(header, header[:-2])


def edges():
    found = set()
    src = os.path.join(ROOT, 'src')
    for comp in sorted(os.listdir(src)):
        for dirpath, _, files in os.walk(os.path.join(src, comp)):
            for f in files:
                if not f.endswith(('.c', '.h')):
                    continue
                with open(os.path.join(dirpath, f)) as fh:
                    for h in INCLUDE.findall(fh.read()):
                        if owner(h) != comp:
                            found.add((comp, owner(h)))
    # a public header's own includes are its owner's
    inc = os.path.join(ROOT, 'include', 'kiln')
    for f in sorted(os.listdir(inc)):
        with open(os.path.join(inc, f)) as fh:
            for h in INCLUDE.findall(fh.read()):
                if owner(h) != owner(f):
                    found.add((owner(f), owner(h)))
    return sorted(found)


def main():
    e = edges()
    if '--dot' in sys.argv:
        print('digraph kiln {')
        for a, b in e:
            print('  "%s" -> "%s";' % (a, b))
        print('}')
    elif '--check' in sys.argv:
        bad = [(a, b) for a, b in e if a in LOWER and b in UPPER]
        for a, b in bad:
            print('layering: %s includes %s' % (a, b))
        print('%d edges, %d upward' % (len(e), len(bad)))
        sys.exit(1 if bad else 0)
    else:
        for a, b in e:
            print('%s -> %s' % (a, b))


if __name__ == '__main__':
    main()
