"""Comments: what readers post and read."""
