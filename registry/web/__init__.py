"""The web catalog: server-rendered pages for people, from the same use cases the API calls (README: the
web catalog). Reading needs no JavaScript; every asset is served from `static/` by the registry itself."""
