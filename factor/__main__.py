"""Entry point for ``python -m factor``."""

from factor.cli import main

raise SystemExit(main())
