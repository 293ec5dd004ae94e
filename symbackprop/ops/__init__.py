"""The registries: activations and costs, each entry carrying everything a consumer needs
(derivative, LaTeX and Unicode, stable numbers, reader names, exported code, words).
"""
