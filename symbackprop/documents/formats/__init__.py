"""The formats a document is written in: LaTeX, Markdown, HTML and text walk the
format-neutral document (:mod:`..model`); JSON lists the formulas themselves."""
