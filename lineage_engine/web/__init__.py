"""The read-only web view and JSON API (``lineage-engine serve``, issue 15 §3).

Modules: :mod:`.app` (the FastAPI app factory and its middleware), :mod:`.auth` (the token
rule), :mod:`.routers` (the list of routers the app mounts: other modules add theirs there),
:mod:`.context` (what a router handler reads: settings, registry, graph), :mod:`.api` (the
JSON API), :mod:`.server` (uvicorn on a bound socket).
"""
