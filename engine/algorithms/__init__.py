"""Tree-building algorithms over allele-code matrices: pure functions over arrays, no storage.

- :mod:`engine.algorithms.tree_arrays`: the rooted tree result type, Newick and splits.
- :mod:`engine.algorithms.symmetric_distance`: GrapeTree's symmetric distance (float32).
- :mod:`engine.algorithms.nj`: GrapeTree's neighbour joining (FastME's NJ and its post-processing).
- :mod:`engine.algorithms.hierarchical`: UPGMA, WPGMA, single and complete linkage.
- :mod:`engine.algorithms.cgmlst_dists`: the distance table of ``cgmlst-dists``.
"""
