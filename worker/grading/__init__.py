"""worker grading package."""
