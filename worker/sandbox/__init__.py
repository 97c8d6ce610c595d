"""worker sandbox package."""
