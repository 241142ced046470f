"""The live market server (issue "Market II"): the single writer, the WebSocket protocol,
security, the JSON API and the pages. ``app.run`` is what ``jiqun serve`` calls."""
