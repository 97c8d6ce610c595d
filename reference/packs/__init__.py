"""reference packs package."""
