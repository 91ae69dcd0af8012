"""The science: distances, inference methods, layouts, clusters and metadata values, and the registry
that names them; pure functions over datasets and arrays (no storage, no files, no web)."""
