"""``python -m lineage_engine``: the same as the ``lineage-engine`` command."""

from lineage_engine.cli import main

main()
