"""Placeholder: being written (issue 17). A pure module: no Django import."""
