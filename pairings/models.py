"""Models of the pairings app; they arrive with their issue."""
