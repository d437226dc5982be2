"""`nianbao review`: a static site to read records by — every cell on its source, every problem, across years."""

from nianbao.review.build import ReviewError, build_site, write_eval_page

__all__ = ["ReviewError", "build_site", "write_eval_page"]
