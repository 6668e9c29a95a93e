"""Evidence packs (issue 15 §2): the exposure as of an instant, written as files an auditor keeps.

- :mod:`.collect`: read the stores (read-only) into :class:`.collect.Evidence`.
- :mod:`.files`: turn the evidence into file contents (JSON, CSV, SVG, ``index.html``); pure.
- :mod:`.manifest`: the SHA-256 manifest, writing a pack folder, and ``evidence verify``.
"""
