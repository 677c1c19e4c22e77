"""Delivery: each stored submission's email, from its outbox row to the SMTP server.

``outbox.py`` is the state machine (claim, send, record, back off, release
rows a dead worker left), ``compose.py`` builds a row's message (documents,
then email) and ``status.py`` answers what staff and monitoring ask. Where the
work runs is ``tasks.py``'s business, never this package's.
"""
