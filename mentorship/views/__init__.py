"""Views of the kernel, one module per noun. Home pages and dashboards are the frame's
(``mentorship.frame.views``)."""
