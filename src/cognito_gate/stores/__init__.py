"""Session-store backends; each optional dependency is imported only inside its own module."""
