"""Office documents (.docx, and .doc/.wps/.rtf/.odt through LibreOffice) turned into an item's body, in a bounded
worker process: a hostile file costs seconds and a capped amount of memory, never the server's event loop."""
