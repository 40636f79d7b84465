"""Use cases: load through repositories, call the engine, save, return (docs/architecture.md, "Layers").

The API, the web pages and the CLI call these same functions; none of them commits: the request or the
command that calls them owns the transaction.
"""
