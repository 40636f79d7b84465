"""Server-rendered pages for hotel staff (Jinja2; htmx as progressive enhancement)."""
