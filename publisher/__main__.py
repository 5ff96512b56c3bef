"""``python -m publisher``."""

from publisher.cli.main import main

main()
