"""Small literal typing tables shared by the reader tests (``tests/engine/io/``)."""

from __future__ import annotations

#: Three 7-locus profiles of the PHYLOViZ S. pyogenes sample (STs 1, 2, 3) as a baseline table.
PYOGENES = (b"ST\tgki\tgtr\tmurI\tmutS\trecP\txpt\tyqiZ\n"
            b"1\t10\t6\t6\t6\t12\t13\t8\n"
            b"2\t5\t4\t4\t1\t2\t15\t2\n"
            b"3\t5\t3\t4\t1\t6\t2\t1\n")
#: Isolates of the STs of :data:`PYOGENES` and others: the profile column is the third, ``ST (MLST)``.
ISOLATES = (b"name\tcountry\tST (MLST)\tyear\n"
            b"A\tPT\t2\t2001\n"
            b"B\tES\t2\t2002\n"
            b"C\tPT\t1\t2003\n"
            b"D\tUK\t-\t2004\n"
            b"E\tUK\t\t2005\n"
            b"F\tFR\t99\t2006\n")
