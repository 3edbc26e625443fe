"""One module per endpoint (or per group of pages), each a set of Starlette handlers."""
