#!/usr/bin/env python
"""Django's command-line utility; `opora` (the console script) is the same with friendlier names."""

import sys

from opora.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv))
