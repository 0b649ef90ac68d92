"""Official documents (公文) of a campaign (and `honours_naming`, of an honour programme;
`cases_compilation`, of a call for brand cases), in the
GB/T 9704-2012 layout: importing the package registers them (`mofan.core.exports.registry`)."""

from mofan.reports.documents import (  # noqa: F401
    cases_compilation,
    honours_naming,
    naming_notice,
    rectification_notice,
    results_bulletin,
    work_summary,
)
