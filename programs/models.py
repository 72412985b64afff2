"""Models of the programs app; they arrive with their issue."""
