"""Ready for the quarterly inspection: re-scans of what is already out (correction tasks) and the link check.

``rescan`` re-runs the gate over published items and opens a correction task per finding (``corrections``, whose
states are ``correction_status``); ``links`` checks every link and image publisher published; ``jobs`` runs both
from the daemon; ``state`` remembers the rules' fingerprint and the last link check; ``summary`` is the 工作台's view.
"""
