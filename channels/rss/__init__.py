"""Channel ``rss``: an RSS 2.0 / Atom feed file."""
