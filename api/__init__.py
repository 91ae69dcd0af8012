"""PhyloDash REST API: thin Tornado handlers over the engine (PhyloDB-compatible jobs endpoints)."""
