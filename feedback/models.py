"""Models of the feedback app; they arrive with their issue."""
