"""Official documents (公文) of a campaign, in the GB/T 9704-2012 layout: importing the package
registers them (`mofan.core.exports.registry`)."""

from mofan.reports.documents import (  # noqa: F401
    naming_notice,
    rectification_notice,
    results_bulletin,
    work_summary,
)
