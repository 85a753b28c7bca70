"""The language of what the library shows a reader: check messages, widget labels, figure words.

English by default.  The Chinese notebooks start with ``bp_lib.set_language("zh")``::

    >>> import bp_lib
    >>> bp_lib.set_language("zh")
    >>> bp_lib.get_language()
    'zh'

Translations live in ``bp_lib/locale/<lang>.json``: English text → translated text.  An entry
is either a whole string (a mistake's hint, an axis label) or a *template* whose ``{name}``
fields are filled in afterwards (``"{where} should have {n} items; got {got}"``).  Code passes
what it shows through :func:`tr`; figures are translated once drawn (:func:`translate_figure`),
string by string, by exact entries and by templates matched as patterns.

Figures use the translated words only when matplotlib can draw them: for Chinese, a CJK font
must be installed (Debian: ``fonts-noto-cjk``); without one, figures keep their English words
rather than draw empty boxes.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

#: The languages the library speaks.
LANGUAGES = ("en", "zh")

_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_MATH = re.compile(r"(?<!\\)\$.*?(?<!\\)\$", re.S)
#: A template's field: ``{name}`` not right after a LaTeX command (ASCII letters), ``^``, ``_`` or
#: ``}`` (a Chinese character may come right before a field), so the
#: braces of ``$W^{(l)}$`` or ``$\mathrm{diag}$`` in a figure's text are not fields.
FIELD = re.compile(r"(?<![\\A-Za-z0-9_^}])\{([a-z_][a-z0-9_]*)\}")
_LOCALE = Path(__file__).with_name("locale")
_state = {"language": "en", "figures": False}

#: CJK fonts tried in order, the first one installed is used for figure text in Chinese.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC",
             "Hiragino Sans GB", "Droid Sans Fallback")


def set_language(language: str) -> None:
    """Show check messages, widget labels and figure words in ``language`` (``"en"``, ``"zh"``)."""
    if not isinstance(language, str) or language not in LANGUAGES:
        raise ValueError(f"set_language: language must be one of {', '.join(map(repr, LANGUAGES))}; "
                         f"got {language!r}")
    _state["language"] = language
    if language == "en":
        _restore_font()
        _state["figures"] = True
    else:
        _state["figures"] = _use_cjk_font()
        _install_figure_hook()


def get_language() -> str:
    """The language set by :func:`set_language` (``"en"`` until it is called)."""
    return _state["language"]


@lru_cache(maxsize=None)
def catalogue(language: str) -> dict:
    """English → ``language`` entries (empty for English)."""
    if language == "en":
        return {}
    return json.loads((_LOCALE / f"{language}.json").read_text(encoding="utf-8"))


def tr(text: str, /, **values) -> str:
    """``text`` in the current language, its ``{fields}`` filled with ``values`` if any."""
    out = catalogue(_state["language"]).get(text, text)
    return out.format(**values) if values else out


def translate_text(text: str, language: str | None = None) -> str:
    """A whole string shown to a reader, by an exact entry or a template matched as a pattern
    (the template's fields are themselves translated when they are catalogue entries)."""
    language = language or _state["language"]
    table = catalogue(language)
    if not table or not text:
        return text
    if text in table:
        return table[text]
    for pattern, template in _patterns(language):
        m = pattern.fullmatch(text)
        if m:
            values = {k: translate_text(v, language) for k, v in m.groupdict().items()}
            return FIELD.sub(lambda f: values.get(f[1], f[0]), template)
    if "\n" in text:                                    # a label of several lines
        return "\n".join(translate_text(line, language) for line in text.split("\n"))
    return text


@lru_cache(maxsize=None)
def _patterns(language: str):
    found = []
    for english, translated in catalogue(language).items():
        if not FIELD.search(english):
            continue
        regex, pos, seen = "", 0, set()
        for m in FIELD.finditer(english):
            group = f"(?P={m[1]})" if m[1] in seen else f"(?P<{m[1]}>.+?)"   # a repeated field
            regex += re.escape(english[pos:m.start()]) + group
            seen.add(m[1])
            pos = m.end()
        regex += re.escape(english[pos:])
        found.append((re.compile(regex, re.S), translated))
    # Longer templates first: the more literal text a template has, the more specific it is.
    found.sort(key=lambda item: -len(item[0].pattern))
    return tuple(found)


def translate_figure(fig):
    """Translate every text of ``fig`` (titles, labels, legends, annotations, tick labels with
    words) into the current language, in place; returns ``fig``.  Does nothing in English, or
    when no font can draw the language."""
    if _state["language"] == "en" or not _state["figures"]:
        return fig
    from matplotlib.ticker import FixedFormatter, FuncFormatter
    from matplotlib.text import Text

    for artist in fig.findobj(Text):
        new = _translated(artist.get_text())
        if new is not None:
            artist.set_text(new)
            if "\n" in new:            # CJK glyphs stand taller than Latin ones: more room
                spacing = artist.get_linespacing()
                if not isinstance(spacing, (int, float)) or spacing < 1.3:
                    artist.set_linespacing(1.3)
    # Tick labels given as text (set_xticklabels, a category axis) are made while the figure
    # is drawn, from the axis's formatter: translated there.
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            formatter = axis.get_major_formatter()
            if isinstance(formatter, FixedFormatter):
                formatter.seq = [_translated(str(t)) or t for t in formatter.seq]
            elif isinstance(formatter, FuncFormatter):       # set_ticks(…, labels): {loc: label}
                table = getattr(formatter.func, "args", (None,))[0]
                if isinstance(table, dict):
                    for loc, label in table.items():
                        table[loc] = _translated(str(label)) or label
    return fig


def _translated(text):
    """The translation of one figure string, or None when there is nothing to change (no
    words, already translated, or an entry that keeps it as it is); warns when it has none."""
    if not text or not _has_words(text) or _CJK.search(text):       # (translated already)
        return None
    new = translate_text(text)
    if new != text:
        return new
    if text not in catalogue(_state["language"]):                    # an entry may keep a name
        _missing(text)
    return None


#: Figure strings with words that had no translation, in the order they were met.
untranslated: dict = {}


class MissingTranslation(UserWarning):
    """A figure had words the current language's catalogue does not translate."""


def _missing(text):
    """Say once per string that a figure shows English in a translated notebook: the stored
    notebooks must have no such output (tests/test_notebook_hygiene.py refuses stderr)."""
    if text in untranslated:
        return
    untranslated[text] = None
    import warnings

    warnings.warn(f"no {_state['language']} translation of the figure text {text!r} "
                  f"(add it to bp_lib/locale/{_state['language']}.json)", MissingTranslation,
                  stacklevel=2)


def _install_figure_hook():
    """Translate a figure's words just before it is drawn (shown inline, saved, or rendered
    for a widget), wherever it was made: by the library or by a notebook's own code."""
    from matplotlib.figure import Figure

    if getattr(Figure.draw, "_bp_lib_translates", False):
        return
    draw = Figure.draw

    def translating_draw(self, renderer):
        translate_figure(self)
        return draw(self, renderer)

    translating_draw._bp_lib_translates = True
    translating_draw.__wrapped__ = draw
    translating_draw.__doc__ = draw.__doc__
    Figure.draw = translating_draw


def _has_words(text):
    """Words outside $math$ (tick labels such as $\\mathdefault{10^{2}}$ have none)."""
    return re.search(r"[A-Za-z]{2}", _MATH.sub(" ", text)) is not None


def _use_cjk_font() -> bool:
    """Put the first installed CJK font first in matplotlib's fonts; False if there is none."""
    import matplotlib
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in names:
            # The CJK font first: a label that mixes words and $math$ is drawn by mathtext,
            # whose plain text uses the first family only (no fallback), and a CJK font has
            # Latin letters and digits too.  Plain labels fall back glyph by glyph to the
            # English figures' font for what the CJK font lacks (⁽ˡ⁾, ‖, ∝).
            _state.setdefault("font.family", list(matplotlib.rcParams["font.family"]))
            latin = font_manager.FontProperties(family=_state["font.family"]).get_name()
            matplotlib.rcParams["font.family"] = [name, latin]
            return True
    return False


def _restore_font():
    """Back to the fonts the figures had before a language with its own font was set."""
    if "font.family" in _state:
        import matplotlib

        matplotlib.rcParams["font.family"] = _state.pop("font.family")
