"""Channel ``resource_site``: a form-driven legacy trading-centre site, and its emulator."""
