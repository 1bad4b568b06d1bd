"""Charts drawn on the server as inline SVG: the small shared pieces live in `svg`."""
