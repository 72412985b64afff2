"""Views of enterprise identity: one module per noun (settings pages, sign-in, SCIM)."""
