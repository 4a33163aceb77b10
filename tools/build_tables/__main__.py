"""``python -m tools.build_tables``: see the package docstring."""

from tools.build_tables import main

raise SystemExit(main())
