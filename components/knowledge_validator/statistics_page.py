"""TFDV's statistics of the knowledge as a page to open in a browser, next to the knowledge report."""
from typing import Any, Dict

#: The page's file name in the validator's report (and `reports/<run>/validation/`).
STATISTICS_HTML = "statistics.html"


def statistics_page(statistics: Dict[str, Any], data: str = "") -> str:
    """A standalone HTML page of TFDV's Facets Overview of the splits' statistics.

    The page is TFDV's own (`get_statistics_html`): the browser loads the Facets viewer from the
    web (cdnjs and GitHub), so it renders only with network access.

    Args:
        statistics: Split name -> `DatasetFeatureStatisticsList` (the first two are compared).
        data: The knowledge data, for the title.
    """
    import html

    from tensorflow_data_validation.utils.display_util import get_statistics_html

    names = list(statistics)
    body = get_statistics_html(statistics[names[0]], statistics[names[1]] if len(names) > 1 else None,
                               lhs_name=names[0], rhs_name=names[1] if len(names) > 1 else "rhs_statistics")
    title = html.escape(f"TFDV statistics: {' vs '.join(names)}" + (f" of {data}" if data else ""))
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n"
            f"<h2 style=\"font-family: sans-serif\">{title}</h2>\n{body}\n</body></html>\n")
