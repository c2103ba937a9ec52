"""Exports for analysts: which models and edges leave the atlas, and the files they become.

select   the pure half: filters, selection, values made safe for each format
writers  the I/O half: one writer per format, in the registry the CLI and the site read
"""
