"""Reports: exports (xlsx, docx, ics) and charts over already permission-filtered rows."""
