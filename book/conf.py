"""Sphinx's configuration of the self-study book (built by scripts/build_book.py, `make book`).

The sources Sphinx reads are made by scripts/build_book.py in build/book/src: the executed
chapters, their explorer pictures, and the pages of this folder. Everything a page needs to
render ships in the site: the theme's CSS, scripts and icon fonts are the theme package's,
MathJax is copied from sphinx-mathjax-offline (_ext/offline_mathjax.py), and no widget
script is loaded (the explorers are pictures here).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "Types of convolutional layers"
author = "the course's authors"
copyright = "the course's authors, MIT license"
language = "en"

extensions = ["myst_nb", "sphinx_design", "offline_mathjax"]

# Sources: MyST markdown pages and the executed notebooks.
exclude_patterns = ["**/.ipynb_checkpoints"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_dmath_double_inline = True  # $$...$$ inside a paragraph, as the notebooks write display math

# MyST-NB: the notebooks arrive executed (nbclient, in build_book.py), so nothing runs here.
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # no widget scripts from a CDN: the explorers' views were dropped
nb_merge_streams = True
nb_render_markdown_format = "myst"

html_theme = "sphinx_book_theme"
html_title = "Types of convolutional layers"
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_copy_source = False  # no _sources: the notebooks there would be the solutions, without need
html_show_sourcelink = False
html_last_updated_fmt = None
html_show_search_summary = False  # summaries are fetched with fetch(), which a page opened from a file cannot do
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": False,  # it would offer _sources, which the site does not have
    "use_fullscreen_button": True,
    "use_repository_button": False,
    "launch_buttons": {},
    "navigation_with_keys": False,
    "search_bar_text": "Search the course…",
}
html_context = {"default_mode": "light"}  # the theme reads it; without it, it logs an error and picks auto
numfig = False
suppress_warnings = ["myst.header"]  # lessons may go from ## to #### without a ###
