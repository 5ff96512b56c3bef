"""A bar chart of publications per month per channel (matplotlib, with a CJK font when one is installed)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "AR PL UMing CN",
             # matplotlib before 3.9 adds only a collection's first face (Japanese), which has the same hanzi
             "Noto Sans CJK JP", "Noto Serif CJK JP")


CJK_FILE_HINTS = ("cjk", "wqy", "sourcehan", "simhei", "msyh", "pingfang", "uming", "ukai")


def cjk_font() -> str | None:
    """The first installed font that has Chinese glyphs, by family name.

    matplotlib caches the system's fonts once; a CJK font installed after that is found by its file and added.
    """
    from matplotlib import font_manager

    def first() -> str | None:
        installed = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in installed), None)

    found = first()
    if found is None:
        for path in font_manager.findSystemFonts():
            if any(hint in Path(path).name.lower() for hint in CJK_FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # a collection or file matplotlib cannot read
                    continue
        found = first()
    return found


def chart_png(report: dict[str, Any], dpi: int = 150) -> bytes:
    """PNG bytes: grouped bars, one colour per counted channel, January to December."""
    import logging

    import matplotlib

    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    series = report["chart"]["series"]
    font = cjk_font()
    params = {"font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"], "axes.unicode_minus": False}
    with plt.rc_context(params):
        fig, ax = plt.subplots(figsize=(6.2, 3.0), dpi=dpi)
        months = list(range(1, 13))
        width = 0.8 / max(len(series), 1)
        for i, (name, counts) in enumerate(series.items()):
            ax.bar([m - 0.4 + width * (i + 0.5) for m in months], counts, width, label=f"{name}（{sum(counts)}条）")
        ax.set_xticks(months, [f"{m}月" for m in months])
        ax.set_ylabel("发布条数")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_title(f"{report['year']}年各渠道每月发布信息条数", fontsize=11)
        ax.spines[["top", "right"]].set_visible(False)
        if series:
            ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(series))
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        plt.close(fig)
    return out.getvalue()
