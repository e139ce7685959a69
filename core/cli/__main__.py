"""``python -m artiflow.cli``: the same as the ``artiflow`` console script."""

from __future__ import annotations

from .app import main

if __name__ == "__main__":
    main()
