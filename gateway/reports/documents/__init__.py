"""Report documents (issue 13): a county's, prefecture's, province's or the nation's figures
for a closed period, versioned and published as JSON Schema, stored as immutable revisions
with a content hash, rendered as CSV and XLSX (ADR 0080)."""
