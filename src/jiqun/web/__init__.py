"""Templates and static assets of the web pages (display board, consoles), shared by both
halves of jiqun. Everything is served locally: no build step, no CDN."""
