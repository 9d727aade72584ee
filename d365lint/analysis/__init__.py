"""Analyses that span more than one syntax tree node: data flow in scripts.

Parsing (``d365lint.parsing``) answers what a piece of text *is*; these
modules answer what a program *does* with a value — where the user's
identity flows, which function a form handler names, what a script hides.
"""
