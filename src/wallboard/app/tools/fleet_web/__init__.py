"""IT's fleet in a browser (``wallboard fleet --serve``): every board's screen, flags and alarm on one live page.

``watcher`` holds what the broker says (statuses, bridge states, screenshots), ``shots`` decides which
screenshot to ask for next, ``cards`` turns a board into what the page shows, ``hub`` sends the changes to
every open page, ``app`` is the Starlette application and ``serve`` runs it under uvicorn. Needs the
``fleet`` extra (Starlette, uvicorn); nothing else in the product imports it.
"""
