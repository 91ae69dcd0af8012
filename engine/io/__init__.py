"""Reading typing data (file handles in, a Dataset and a read report out) and writing tree files.

Readers: :mod:`~engine.io.compressed` (gzip-compressed tables inflated, with a bound),
:mod:`~engine.io.blocks` (bytes to checked text, a block of lines at a time), :mod:`~engine.io.text`
(the checks of the text, files refused), :mod:`~engine.io.rows` (the rows of a profile table kept or
left out), :mod:`~engine.io.recoding` (allele codes, the report), :mod:`~engine.io.profiles`
(``read_profiles``), :mod:`~engine.io.mlst` (MLST / cgMLST tables, a block at a time),
:mod:`~engine.io.snp` (SNP strings), :mod:`~engine.io.isolates` (isolate tables joined to the profiles),
:mod:`~engine.io.datasets` (``read_dataset``, ``open_dataset``).

Formats, one module each: :mod:`~engine.io.newick`, :mod:`~engine.io.nexus`, :mod:`~engine.io.json`,
:mod:`~engine.io.graphml`, :mod:`~engine.io.edges` (the edge list), :mod:`~engine.io.coordinates`
(a layout's coordinates); :mod:`~engine.io.formats` is the one table of them that the command line,
the API and the dashboard read.
"""
