"""What each file of ``tests/bad_inputs/`` must be refused with: words of the message and the line named.

``None`` as the line only for problems of the whole file (an empty file, a damaged gzip file). The readers'
tests (``tests/engine/io/test_bad_inputs.py``) and the upload tests (``tests/api/test_bad_uploads.py``)
both check every file against this table.
"""

from __future__ import annotations

EXPECTED: dict[str, tuple[str, int | None]] = {
    "profiles_empty.tsv": ("The profile file is empty.", None),
    "profiles_bom_only.tsv": ("The profile file is empty.", None),
    "profiles_blank_lines.tsv": ("has only blank lines", None),
    "profiles_header_only.tsv": ("has a header but no profiles", 1),
    "profiles_script_header.tsv": ("Column 2 of the profile file holds \"<script>alert('x')</script>\", "
                                   "which is HTML markup", 1),
    "profiles_html_page.html": ("looks like a web page (HTML)", 1),
    "profiles_nul_bytes.tsv": ("contains binary data", 3),
    "profiles_utf16_no_bom.tsv": ("UTF-16 text without a byte-order mark", 1),
    "profiles_utf16_broken.tsv": ("starts like UTF-16 text but cannot be read", None),
    "profiles_gzip_truncated.tsv.gz": ("The profile file is gzip-compressed but cut short", None),
    "profiles_gzip_damaged.tsv.gz": ("The profile file is gzip-compressed but damaged (incorrect data check)",
                                     None),
    "profiles_xlsx.xlsx": ("Excel .xlsx workbook", None),
    "profiles_xls.xls": ("Excel (.xls) workbook", None),
    "profiles_png.png": ("The profile file is a PNG image, not a text table.", None),
    "profiles_pdf.pdf": ("The profile file is a PDF document, not a text table.", None),
    "profiles_latin1.tsv": ("is not UTF-8 text: byte 0xE3", 4),
    "profiles_invalid_utf8.tsv": ("is not UTF-8 text: byte 0xC3", 4),
    "profiles_comma.csv": ("seems to be comma-separated; PhyloDash reads tab-separated", 1),
    "profiles_semicolon.csv": ("seems to be semicolon-separated", 1),
    "profiles_spaces.txt": ("seems to be separated by spaces", 1),
    "profiles_one_column.tsv": ("has a single column", 1),
    "profiles_huge_line.txt": ("has a single column", 1),
    "profiles_ragged.tsv": ("3 of 4 rows cannot be used (line 3 has 3 columns where the header "
                            "has 5)", 3),
    "profiles_ids_missing.tsv": ("3 of 3 rows cannot be used (line 2 has no ST in column 1)", 2),
    "profiles_same_id.tsv": ("line 3 repeats species C. jejuni of line 2", 3),
    "profiles_nothing_usable.tsv": ("No row of the profile file can be used", 2),
    "profiles_snp_ragged.txt": ("has a sequence of 5 characters where the profiles have 6", 3),
    "profiles_formula_id.tsv": ("Column 1 ('ST') of the profile file holds '=HYPERLINK(", 4),
    "profiles_markup_id.tsv": ("Column 1 ('ST') of the profile file holds '<img src=x onerror=alert(1)>', "
                               "which is HTML markup", 3),
    "isolates_empty.tsv": ("The isolates file is empty.", None),
    "isolates_header_only.tsv": ("has a header but no isolates", 1),
    "isolates_no_st_column.tsv": ("has no ST column", 1),
    "isolates_unknown_sts.tsv": ("No isolate names one of the 3 profiles in column 'ST (MLST)'", 1),
    "isolates_comma.csv": ("seems to be comma-separated", 1),
    "isolates_ragged.tsv": ("2 of 3 rows have more columns than the header", 2),
    "isolates_binary.bin": ("contains binary data", 1),
    "isolates_formula_cmd.tsv": ("Column 2 ('country') of the isolates file holds \"=cmd|' /C calc'!A0\", "
                                 "which is a spreadsheet formula", 3),
    "isolates_formula_at.tsv": ("Column 3 ('comment') of the isolates file holds \"@SUM(1+1)*cmd|", 4),
    "isolates_formula_minus.tsv": ("Column 2 ('result') of the isolates file holds \"-2+3+cmd|", 3),
    "isolates_markup.tsv": ("Column 2 ('country') of the isolates file holds "
                            "'<script>alert(document.cookie)</script>', which is HTML markup", 4),
}
