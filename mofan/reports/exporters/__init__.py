"""The table exporters (xlsx and CSV; the score sheet also docx and PDF). Importing this package
registers them (`registry.autodiscover`)."""

from mofan.reports.exporters import burden, evidence_index, problems, ranking, score_sheet

__all__ = ["burden", "evidence_index", "problems", "ranking", "score_sheet"]
