"""ASGI adapters over the core: middleware, sign-in routes, error pages, FastAPI dependencies."""
