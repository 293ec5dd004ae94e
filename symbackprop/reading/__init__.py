"""The formula reader shared by spec files (``define``) and answers: LaTeX and plain text
into SymPy, never through ``eval`` or ``sympify``.
"""
