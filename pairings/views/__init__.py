"""Views of the pairings app, one module per noun."""
