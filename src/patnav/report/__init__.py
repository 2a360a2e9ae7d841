"""Reports: one report model (sections of paragraphs, key figures, tables and Vega-Lite charts, each with the
query that made it) rendered to self-contained HTML, PDF, DOCX and an XLSX data annex."""
